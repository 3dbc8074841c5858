#!/bin/sh
# make run: the whole service on this machine, on loopback, with an embedded
# default store (run/burrow.db): burrow-dns on 127.0.0.1:5353, a throw-away
# Pebble CA on 127.0.0.1:14000 validating through burrow-dns, burrow-acme
# issuing the base zone's wildcard certificate from it, and burrow-edge on
# 127.0.0.1:8443, and burrow-api on 127.0.0.1:8480.  Ctrl-C stops everything
# it started.
set -eu
cd "$(dirname "$0")/.."
RUN_DIR=${BURROW_RUN_DIR:-$PWD/run}
mkdir -p "$RUN_DIR"
export BURROW_DB=${BURROW_DB:-$RUN_DIR/burrow.db}
DNS_LISTEN=${BURROW_DNS_LISTEN:-127.0.0.1:5353}
EDGE_LISTEN=${BURROW_EDGE_LISTEN:-127.0.0.1:8443}
PEBBLE_PORT=${BURROW_PEBBLE_PORT:-14000}
API_LISTEN=${BURROW_API_LISTEN:-127.0.0.1:8480}
pids=""

stop_all() {
	trap - INT TERM EXIT
	for pid in $pids; do kill "$pid" 2>/dev/null || :; done
	for pid in $pids; do wait "$pid" 2>/dev/null || :; done
}
trap stop_all INT TERM EXIT

bin/burrow init --zone "${BURROW_ZONE:-w.modal.host}" --tls-port "${EDGE_LISTEN##*:}"

bin/burrow-dns --db "$BURROW_DB" --listen "$DNS_LISTEN" --log "$RUN_DIR/dns.log" &
pids="$pids $!"
deploy/pebble-local.sh "$RUN_DIR/pebble" "$DNS_LISTEN" "$PEBBLE_PORT" "$((PEBBLE_PORT + 1))" \
	>"$RUN_DIR/pebble.log" 2>&1 &
pids="$pids $!"
bin/burrow-acme --db "$BURROW_DB" --directory "https://127.0.0.1:$PEBBLE_PORT/dir" \
	--ca-bundle "$RUN_DIR/pebble/ca.pem" --dns "$DNS_LISTEN" --log "$RUN_DIR/acme.log" \
	run --interval 10 &
pids="$pids $!"
bin/burrow-edge --db "$BURROW_DB" --listen "$EDGE_LISTEN" --log "$RUN_DIR/edge.log" &
pids="$pids $!"
bin/burrow-api --db "$BURROW_DB" --listen "$API_LISTEN" --log "$RUN_DIR/api.log" &
pids="$pids $!"

cat <<MSG

Burrow is running (logs in $RUN_DIR):
  store        $BURROW_DB
  burrow-dns   $DNS_LISTEN
  pebble CA    https://127.0.0.1:$PEBBLE_PORT/dir (root: https://127.0.0.1:$((PEBBLE_PORT + 1))/roots/0)
  burrow-acme  certificates for every zone, within seconds
  burrow-edge  $EDGE_LISTEN
  burrow-api   http://$API_LISTEN/v1/ (docs/api.md)

In another shell:
  export BURROW_DB=$BURROW_DB
  bin/burrow cert list
  python3 -m http.server 8000 --bind 127.0.0.1 &
  H=\$(bin/burrow tunnel create --target 127.0.0.1:8000 --json | jq -r .hostname)
  dig @${DNS_LISTEN%:*} -p ${DNS_LISTEN##*:} \$H A +short
  curl -sk https://127.0.0.1:$((PEBBLE_PORT + 1))/roots/0 > $RUN_DIR/root.pem
  curl --cacert $RUN_DIR/root.pem --resolve \$H:${EDGE_LISTEN##*:}:127.0.0.1 https://\$H:${EDGE_LISTEN##*:}/

Through the API, as a container runtime would:
  KEY=\$(bin/burrow apikey create --workspace acme)
  curl -s -H "Authorization: Bearer \$KEY" -d '{"sandbox": "sb-1", "target": "127.0.0.1:8000"}' \\
      http://$API_LISTEN/v1/tunnels

Ctrl-C stops everything.
MSG
wait
