# Shared by the xfr_*.sh tests: NSD and Knot as secondaries of burrow-dns on
# loopback, each with its own TSIG key.  Source after lib.sh.

# key_secret NAME: the base64 secret of a TSIG key in the store.
key_secret() {
	$BIN/burrow tsig list --json | python3 -c '
import json, sys
for k in json.load(sys.stdin):
    if k["name"] == sys.argv[1]:
        print(k["secret"])' "$1"
}

# nsd_config DIR PORT PRIMARY_PORT KEY SECRET ZONE...: an NSD secondary.
nsd_config() {
	dir=$1 port=$2 pport=$3 key=$4 secret=$5
	shift 5
	mkdir -p "$dir"
	cat > "$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  username: ""
  pidfile: "$dir/nsd.pid"
  zonesdir: "$dir"
  database: ""
  xfrdfile: "$dir/xfrd.state"
  zonelistfile: "$dir/zone.list"
  logfile: "$dir/nsd.log"
  server-count: 1
  verbosity: 2
  # NSD waits this long between reloads after transfers (default 1 s).
  xfrd-reload-timeout: 0
  rrl-ratelimit: 0
remote-control:
  control-enable: no
key:
  name: "$key"
  algorithm: hmac-sha256
  secret: "$secret"
CONF
	for z in "$@"; do
		cat >> "$dir/nsd.conf" <<CONF
zone:
  name: $z
  zonefile: "$z.zone"
  allow-notify: 127.0.0.1 $key
  request-xfr: 127.0.0.1@$pport $key
  provide-xfr: 127.0.0.1 NOKEY
CONF
	done
}

# knot_config DIR PORT PRIMARY_PORT KEY SECRET CATALOG: a Knot secondary
# that learns its zones from the catalog zone (RFC 9432).
knot_config() {
	dir=$1 port=$2 pport=$3 key=$4 secret=$5 catalog=$6
	mkdir -p "$dir"
	cat > "$dir/knot.conf" <<CONF
server:
  rundir: "$dir"
  listen: 127.0.0.1@$port
log:
  - target: "$dir/knot.log"
    any: info
database:
  storage: "$dir"
key:
  - id: $key
    algorithm: hmac-sha256
    secret: $secret
remote:
  - id: primary
    address: 127.0.0.1@$pport
    key: $key
acl:
  - id: from_primary
    address: 127.0.0.1
    key: $key
    action: notify
  - id: local_transfer
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$dir"
  - id: member
    storage: "$dir"
    master: primary
    acl: [ from_primary, local_transfer ]
zone:
  - domain: $catalog
    master: primary
    acl: [ from_primary, local_transfer ]
    catalog-role: interpret
    catalog-template: member
CONF
}

# answers PORT NAME TYPE: the sorted short answer of a server.
answers() {
	dig -p "$1" @127.0.0.1 +time=1 +tries=1 +short "$2" "$3" 2>/dev/null | sort
}

# serves PORT NAME TYPE EXPECTED
serves() {
	[ "$(answers "$1" "$2" "$3")" = "$4" ]
}

# now_ms: a monotonic-enough wall clock in milliseconds.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}
