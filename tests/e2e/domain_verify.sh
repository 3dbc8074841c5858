#!/bin/bash
# End to end: 'burrow domain verify' walks real referrals, from a root zone
# served by NSD to the parent zone example.com served by a second NSD, and
# classifies each customer domain's delegation.
. "$(dirname "$0")/lib.sh"
B="$BIN/burrow"
export BURROW_DB="$T_DIR/burrow.db"
command -v nsd >/dev/null || { echo "not ok 1 - nsd is not installed"; exit 1; }

# Three loopback hosts on one port: root, parent (example.com, modal.host)
# and ours (w-ns-a..d.modal.host).
net="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))"
ROOT=$net.1 PARENT=$net.3 OURS=$net.2
PORT=$(free_port)

serve_nsd() { # NAME ADDR ZONE...
	name=$1 addr=$2
	shift 2
	dir=$T_DIR/$name
	mkdir -p "$dir"
	{
		echo "server:"
		echo "  ip-address: $addr@$PORT"
		echo "  username: \"\""
		echo "  zonesdir: \"$dir\""
		echo "  database: \"\""
		echo "  pidfile: \"$dir/nsd.pid\""
		echo "  xfrdfile: \"$dir/xfrd.state\""
		echo "  zonelistfile: \"$dir/zone.list\""
		echo "  logfile: \"$dir/nsd.log\""
		echo "  server-count: 1"
		echo "remote-control:"
		echo "  control-enable: no"
		for z in "$@"; do
			echo "zone:"
			echo "  name: \"$z\""
			f=$z
			[ "$z" = . ] && f=root
			echo "  zonefile: \"$f.zone\""
		done
	} >"$dir/nsd.conf"
	start "nsd-$name" nsd -d -c "$dir/nsd.conf"
}

cat >"$T_DIR/root.zone.tmp" <<ZONE
\$TTL 60
. IN SOA a.root. hostmaster.root. 1 3600 600 86400 60
. IN NS a.root.
a.root. IN A $ROOT
example.com. IN NS ns1.example.com.
ns1.example.com. IN A $PARENT
modal.host. IN NS ns.modal.host.
ns.modal.host. IN A $PARENT
ZONE
mkdir -p "$T_DIR/root" "$T_DIR/parent"
mv "$T_DIR/root.zone.tmp" "$T_DIR/root/root.zone"
cat >"$T_DIR/parent/example.com.zone" <<ZONE
\$TTL 60
@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 60
@ IN NS ns1.example.com.
ns1 IN A $PARENT
www IN A 192.0.2.80
sandbox IN NS w-ns-a.modal.host.
sandbox IN NS w-ns-b.modal.host.
sandbox IN NS w-ns-c.modal.host.
sandbox IN NS w-ns-d.modal.host.
tunnels.a.b.c IN NS w-ns-a.modal.host.
tunnels.a.b.c IN NS w-ns-b.modal.host.
tunnels.a.b.c IN NS w-ns-c.modal.host.
tunnels.a.b.c IN NS w-ns-d.modal.host.
wrong IN NS ns1.elsewhere.net.
wrong IN NS ns2.elsewhere.net.
partial IN NS w-ns-a.modal.host.
partial IN NS w-ns-b.modal.host.
ZONE
cat >"$T_DIR/parent/modal.host.zone" <<ZONE
\$TTL 60
@ IN SOA ns.modal.host. hostmaster.modal.host. 1 3600 600 86400 60
@ IN NS ns.modal.host.
ns IN A $PARENT
w-ns-a IN A $OURS
w-ns-b IN A $OURS
w-ns-c IN A $OURS
w-ns-d IN A $OURS
ZONE
serve_nsd root "$ROOT" .
serve_nsd parent "$PARENT" example.com modal.host
ok "NSD serves the root zone" wait_for 10 dig +short +norec @"$ROOT" -p "$PORT" . SOA
ok "NSD serves the parent zone" wait_for 10 dig +short +norec @"$PARENT" -p "$PORT" example.com SOA

"$B" init >/dev/null
for d in sandbox.example.com tunnels.a.b.c.example.com wrong.example.com \
    missing.example.com partial.example.com; do
	"$B" domain add "$d" --workspace ws >/dev/null
done
verify() { "$B" domain verify "$1" --root "$ROOT" --port "$PORT" --json; }
state() { "$B" domain show "$1" --json | jq -r .state; }
reason() { "$B" domain show "$1" --json | jq -r .reason; }

ok "a delegation elsewhere fails verification" exit_status 1 verify wrong.example.com
same "  and is stored as wrong-ns" "wrong-ns" "$(state wrong.example.com)"
same "  naming the NS set found" "wrong NS: ns1.elsewhere.net, ns2.elsewhere.net" "$(reason wrong.example.com)"
ok "a missing delegation fails verification" exit_status 1 verify missing.example.com
same "  and is stored as missing-ns" "missing-ns" "$(state missing.example.com)"
ok "a delegation to part of our NS set fails" exit_status 1 verify partial.example.com
same "  as wrong-ns" "wrong-ns" "$(state partial.example.com)"
ok "a delegation to us with no server of ours running fails" exit_status 1 verify sandbox.example.com
same "  as lame" "lame" "$(state sandbox.example.com)"
ok "a deep delegation is found through the walk" exit_status 1 verify tunnels.a.b.c.example.com
same "  (lame too without our server)" "lame" "$(state tunnels.a.b.c.example.com)"
ok "a lame domain still gets no tunnels" \
	exit_status 1 "$B" tunnel create --target 10.0.0.5:80 --zone sandbox.example.com
ok "an unreachable root is a clear failure" \
	exit_status 1 "$B" domain verify missing.example.com --root 127.0.0.1 --port "$(free_port)"
same "  that leaves the stored state alone" "missing-ns" "$(state missing.example.com)"
"$B" domain verify --all --root "$ROOT" --port "$PORT" --json >"$T_DIR/all.json"
same "verify --all checks every customer domain" "5" "$(jq length "$T_DIR/all.json")"
ok "  and fails while any is not delegated" exit_status 1 "$B" domain verify --all --root "$ROOT" --port "$PORT"
ok "the base zone cannot be verified as a domain" exit_status 1 verify w.modal.host
ok "an unknown domain fails" exit_status 1 verify nope.example.org
done_testing
