#!/bin/bash
# End to end: 'burrow domain verify' walks real referrals, from a root zone
# served by NSD to the parent zone example.com served by a second NSD, and
# classifies each customer domain's delegation.
. "$(dirname "$0")/lib.sh"
B="$BIN/burrow"
export BURROW_DB="$T_DIR/burrow.db"
command -v nsd >/dev/null || { echo "not ok 1 - nsd is not installed"; exit 1; }

. "$E2E_ROOT/tests/e2e/domain_tools/parents.sh"
ok "NSD serves the root zone and the parent zones" parents_start

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
