#!/bin/sh
# lego's `exec` DNS provider hook for bench/acme_bench.sh: writes the DNS-01
# TXT row into the same Burrow store that burrow-dns serves, as burrow-acme
# does.  lego calls it as: HOOK present|cleanup FQDN VALUE
set -eu
name=${2%.}
case $1 in
present) exec "$BURROW_BIN/burrow" record add "$name" TXT --ttl 10 "\"$3\"" >/dev/null ;;
cleanup) exec "$BURROW_BIN/burrow" record rm "$name" TXT "\"$3\"" >/dev/null ;;
*) exit 0 ;;
esac
