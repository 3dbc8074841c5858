#!/bin/bash
# One CLI convention for every program (issue #15): options before or after
# the verb, "--" ends them, --version everywhere, --help on every verb with
# an example, a bad value is one line and exit 2, BURROW_DB honoured by each
# daemon, the edge's TLS port said once (in the store), and burrow-acme's
# failures in its --log file.
. "$(dirname "$0")/lib.sh"
B="$BIN/burrow"
NS=bxc$$
S="$T_DIR/s.db"
# Daemons run from an empty folder: a ./burrow.db cannot stand in for
# $BURROW_DB or --db.
EMPTY="$T_DIR/empty"
mkdir -p "$EMPTY"

ns_cleanup() {
	t_cleanup
	ip netns del "$NS" 2>/dev/null
}
trap ns_cleanup EXIT

# runs CMD...: its status in $T_DIR/rc, stdout in $T_DIR/out, stderr in $T_DIR/err.
runs() { "$@" >"$T_DIR/out" 2>"$T_DIR/err"; echo $? >"$T_DIR/rc"; }
status() { cat "$T_DIR/rc"; }
one_line() { [ "$(wc -l <"$T_DIR/err")" -eq 1 ] && grep -q "^$1: $2" "$T_DIR/err"; }
listening() { ss -Htln | grep -q "127.0.0.1:$1 "; }

# ---- options before or after the verb (burrow) ----
runs "$B" --db "$S" init
same "burrow --db S init creates the store" "0" "$(status)"
ok "  at S" test -s "$S"
"$B" tunnel create --target 10.0.0.5:8000 --db "$S" >/dev/null
"$B" --json --db "$S" tunnel create --target 10.0.0.6:8000 >/dev/null
after=$("$B" tunnel list --db "$S" --json | jq -r '[.[].target] | sort | join(",")')
same "burrow tunnel list --db S" "10.0.0.5:8000,10.0.0.6:8000" "$after"
same "burrow --db S tunnel list: the same" "$after" \
	"$("$B" --db "$S" --json tunnel list | jq -r '[.[].target] | sort | join(",")')"
same "burrow tunnel --db S list: the same" "$after" \
	"$("$B" tunnel --db="$S" list --json | jq -r '[.[].target] | sort | join(",")')"
same "options split around both verbs" "1" \
	"$("$B" --db "$S" tunnel --json list --zone w.modal.host | jq '[.[] | select(.target == "10.0.0.5:8000")] | length')"
runs "$B" --db "$S" tunnel create --target 10.0.0.7:80 --kind tcp --json
same "a verb's own options after it, common ones before" "tcp" "$(jq -r .kind "$T_DIR/out")"
# A store named like a verb is still the store.
runs "$B" --db "$T_DIR/init" init
ok "a store named 'init' before the verb" test -s "$T_DIR/init"

# ---- "--" ends options ----
runs "$B" --db "$S" tunnel rm -- --no-such-name
same "after --, '--no-such-name' is a hostname (not found: 1)" "1" "$(status)"
ok "  named as one" one_line burrow "no tunnel --no-such-name"
runs "$B" -- tunnel list --db "$S"
same "after --, '--db S' is an operand (usage: 2)" "2" "$(status)"
ok "  in one line" one_line burrow "usage: burrow tunnel list"

# ---- --version on every program ----
v=$("$B" --version)
ok "burrow --version: NAME VERSION" sh -c "echo '$v' | grep -Eq '^burrow [0-9]+\.[0-9]+\.[0-9]+'"
# Every program in bin/, so a new daemon is held to it too.
DAEMONS=$(cd "$BIN" && ls burrow-* 2>/dev/null)
ok "the four daemons at least" sh -c "[ $(echo $DAEMONS | wc -w) -ge 4 ]"
for p in $DAEMONS; do
	same "$p --version: the same version" "$p ${v#burrow }" "$("$BIN/$p" --version)"
done

# ---- --help on every verb, with an example ----
# The verbs come from burrow's own listings, so a new one is checked too.
help_ok() {
	"$B" "$@" --help >"$T_DIR/help" 2>&1 || return 1
	grep -q '^usage: burrow' "$T_DIR/help" && grep -q '^example: burrow' "$T_DIR/help"
}
nverbs=0
bad=""
for top in $("$B" --help | awk '$1 == "burrow" { print $2 }'); do
	if "$B" "$top" --help | head -1 | grep -q "^usage: burrow $top"; then
		leaves="-"
	else
		leaves=$("$B" "$top" --help | awk -v g="$top" '$1 == "burrow" && $2 == g { print $3 }')
	fi
	for leaf in $leaves; do
		nverbs=$((nverbs + 1))
		if [ "$leaf" = - ]; then
			help_ok "$top" || bad="$bad $top"
		else
			help_ok "$top" "$leaf" || bad="$bad $top/$leaf"
		fi
	done
done
ok "every verb's --help ($nverbs verbs) exits 0 with usage and an example" \
	sh -c "[ '$nverbs' -ge 30 ] && [ -z '$bad' ] || { echo 'without:$bad'; exit 1; }"
for p in $DAEMONS; do
	ok "$p --help exits 0 with an example" \
		sh -c "'$BIN/$p' --help | grep -Eq '^(example: |  )$p '"
done

# ---- a bad value: one line naming the option, exit 2 ----
bad_value() { # PROGRAM OPTION WANT ARGS...
	prog=$1 opt=$2 want=$3
	shift 3
	(cd "$EMPTY" && runs "$BIN/$prog" "$@")
	[ "$(status)" -eq 2 ] && one_line "$prog" "$opt '.*': want $want"
}
ok "burrow init --tls-port 70000" bad_value burrow --tls-port "a port" --db "$S" init --tls-port 70000
ok "burrow record add --ttl 5x" bad_value burrow --ttl "a duration" \
	record add w.modal.host TXT --ttl 5x hello --db "$S"
ok "burrow-dns --threads 0" bad_value burrow-dns --threads "an integer from 1 to 256" --threads 0
ok "burrow-dns --listen 127.0.0.1" bad_value burrow-dns --listen "an IP address and a port" \
	--listen 127.0.0.1
ok "burrow-edge --max-conns 10k" bad_value burrow-edge --max-conns "an integer" --max-conns 10k
ok "burrow-edge --idle-timeout 5x" bad_value burrow-edge --idle-timeout "a duration" \
	--idle-timeout 5x
ok "burrow-exit --poll-ms 5" bad_value burrow-exit --poll-ms "a duration from 10ms" --poll-ms 5
ok "burrow-acme --jobs 8x (atoi took it as 8)" bad_value burrow-acme --jobs "an integer" \
	--jobs 8x issue w.modal.host
ok "burrow-acme --dns-timeout -1" bad_value burrow-acme --dns-timeout "a duration" \
	issue w.modal.host --dns-timeout -1
ok "  and burrow-acme left nothing behind" test ! -e "$EMPTY/burrow.db"

# ---- BURROW_DB honoured by each daemon; the edge's TLS port in the store ----
export BURROW_DB="$S"
DNS=$(free_port)
(cd "$EMPTY" && exec "$BIN/burrow-dns" --listen "127.0.0.1:$DNS" >"$T_DIR/dns.log" 2>&1) &
DNS_PID=$!
T_PIDS="$T_PIDS $DNS_PID"
ok "burrow-dns serves \$BURROW_DB" wait_for 30 sh -c \
	"dig +norec +short @127.0.0.1 -p $DNS w.modal.host SOA | grep -q w-ns-a.modal.host"
stop "$DNS_PID"
ok "  and stops on SIGTERM" sh -c "! kill -0 $DNS_PID 2>/dev/null"

EDGE=$(free_port)
"$B" init --tls-port "$EDGE" >/dev/null
url=$("$B" tunnel list --json | jq -r '[.[] | select(.kind == "tls")][0].url')
ok "burrow init --tls-port sets the port of the URLs" \
	sh -c "echo '$url' | grep -Eq '^https://[a-z0-9]{14}\.w\.modal\.host:$EDGE\$'"
(cd "$EMPTY" && exec "$BIN/burrow-edge" --poll-ms 50 >"$T_DIR/edge.log" 2>&1) &
EDGE_PID=$!
T_PIDS="$T_PIDS $EDGE_PID"
ok "burrow-edge reads \$BURROW_DB and listens on its TLS port" wait_for 30 listening "$EDGE"
stop "$EDGE_PID"
ok "  and stops on SIGTERM" sh -c "! kill -0 $EDGE_PID 2>/dev/null"
(cd "$EMPTY" && exec "$BIN/burrow-edge" --listen 127.0.0.1 --poll-ms 50 >"$T_DIR/edge2.log" 2>&1) &
EDGE_PID=$!
T_PIDS="$T_PIDS $EDGE_PID"
ok "burrow-edge --listen ADDR takes the store's port" wait_for 30 listening "$EDGE"
stop "$EDGE_PID"
OTHER=$(free_port)
(cd "$EMPTY" && runs "$BIN/burrow-edge" --listen "127.0.0.1:$OTHER")
same "burrow-edge --listen ADDR:OTHER-PORT is refused (2)" "2" "$(status)"
ok "  in one line naming the store's port" one_line burrow-edge \
	"--listen 127.0.0.1:$OTHER: the store's TLS port is $EDGE"
ok "  and nothing listens there" sh -c "! ss -Htln | grep -q '127.0.0.1:$OTHER '"
(cd "$EMPTY" && exec "$BIN/burrow-edge" --listen "127.0.0.1:$EDGE" >"$T_DIR/edge3.log" 2>&1) &
EDGE_PID=$!
T_PIDS="$T_PIDS $EDGE_PID"
ok "burrow-edge --listen ADDR:THE-STORE'S-PORT starts" wait_for 30 listening "$EDGE"
stop "$EDGE_PID"

# burrow-exit in a network namespace of its own: its interfaces and nftables
# rules never touch the host's.
if ip netns add "$NS" 2>/dev/null && ip -n "$NS" link set lo up; then
	XP=$(free_port)
	start exit sh -c "cd '$EMPTY' && exec ip netns exec $NS '$BIN/burrow-exit' \
		--listen 127.0.0.1:$XP --poll-ms 100"
	EXIT_PID=$LAST_PID
	ok "burrow-exit serves \$BURROW_DB" wait_for 30 grep -q "serving node" "$T_DIR/exit.log"
	ok "  its API answers (401 without a token)" sh -c \
		"[ \"\$(ip netns exec $NS curl -s -o /dev/null -w '%{http_code}' -d '{}' \
		http://127.0.0.1:$XP/connect)\" = 401 ]"
	stop "$EXIT_PID"
	ok "  and stops on SIGTERM" sh -c "! kill -0 $EXIT_PID 2>/dev/null"
else
	echo "ok $((T_N += 1)) - burrow-exit serves \$BURROW_DB # SKIP no network namespaces"
fi

# ---- burrow-acme: options around the verb, failures in --log ----
DEAD=$(free_port)
URL="https://127.0.0.1:$DEAD/dir"
acme_logged() { # LOG WHAT: WHAT is in LOG, and nothing went to stderr
	grep -q "burrow-acme\[error\]: .*$2" "$1" && [ ! -s "$T_DIR/err" ]
}
(cd "$EMPTY" && runs "$BIN/burrow-acme" issue w.modal.host --directory "$URL" --log "$T_DIR/a1.log")
same "burrow-acme issue ZONE --directory URL --log F: one failure (1)" "1" "$(status)"
ok "  it used the URL given after the verb, and logged why" \
	acme_logged "$T_DIR/a1.log" "cannot reach the ACME directory: $URL"
(cd "$EMPTY" && runs "$BIN/burrow-acme" --directory "$URL" --log "$T_DIR/a2.log" issue w.modal.host)
ok "burrow-acme --directory URL --log F issue ZONE: the same" \
	acme_logged "$T_DIR/a2.log" "cannot reach the ACME directory: $URL"
(cd "$EMPTY" && runs "$BIN/burrow-acme" --db "$T_DIR/none.db" run --log "$T_DIR/a3.log")
ok "a missing store is logged, not printed" acme_logged "$T_DIR/a3.log" "cannot open the store"
(cd "$EMPTY" && runs "$BIN/burrow-acme" --log "$T_DIR/a4.log" account)
ok "no directory given nor remembered: logged" acme_logged "$T_DIR/a4.log" "no --directory given"
(cd "$EMPTY" && runs "$BIN/burrow-acme" --log "$T_DIR/a5.log" --directory "$URL" -- issue --bad..)
same "after --, '--bad..' is a zone operand, malformed (2)" "2" "$(status)"
ok "  said in one line" one_line burrow-acme "'--bad..' is not a zone name"
(cd "$EMPTY" && runs "$BIN/burrow-acme" --log "$T_DIR/a6.log" --directory "$URL" revoke \
	w.modal.host)
ok "a failed revoke is logged" acme_logged "$T_DIR/a6.log" "w.modal.host: "
(cd "$EMPTY" && exec "$BIN/burrow-acme" run --interval 1s --log "$T_DIR/a7.log" \
	--directory "$URL" >/dev/null 2>"$T_DIR/acme-run.err") &
ACME_PID=$!
T_PIDS="$T_PIDS $ACME_PID"
ok "burrow-acme run reads \$BURROW_DB and logs its retries" wait_for 30 \
	grep -q "cannot reach the ACME directory: $URL.*(retrying)" "$T_DIR/a7.log"
stop "$ACME_PID"
ok "  and stops on SIGTERM, nothing on stderr" sh -c \
	"! kill -0 $ACME_PID 2>/dev/null && [ ! -s '$T_DIR/acme-run.err' ]"

done_testing
