#!/bin/sh
# Starts a throw-away Pebble (local development ACME CA) in the foreground,
# resolving DNS-01 names through burrow-dns.  Used by `make run`:
#
#   deploy/pebble-local.sh DIR DNS_ADDR:PORT [PORT MGMT_PORT]
#
# Writes DIR/env (PEBBLE_DIRECTORY, PEBBLE_CA, PEBBLE_MGMT) for the other
# scripts, then execs pebble; stop it with SIGTERM.  Set PEBBLE_VA_NOSLEEP=1
# for fast validations (the default here).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DIR DNS_ADDR:PORT [PORT MGMT_PORT]" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mkdir -p "$1" && cd "$1" && pwd)
. "$here/tests/e2e/acme_tools/pebble_lib.sh"
pebble_setup "$dir" "${3:-14000}" "${4:-15000}"
printf 'PEBBLE_DIRECTORY=%s\nPEBBLE_CA=%s\nPEBBLE_MGMT=%s\n' \
	"$PEBBLE_DIRECTORY" "$PEBBLE_CA" "$PEBBLE_MGMT" >"$dir/env"
export PEBBLE_VA_NOSLEEP=${PEBBLE_VA_NOSLEEP:-1}
# shellcheck disable=SC2046
exec $(pebble_cmd "$dir" "$2")
