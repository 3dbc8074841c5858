#!/bin/sh
# make run: the whole service on this machine, on loopback, with an embedded
# default store (./run/burrow.db).  Ctrl-C stops everything it started.
set -eu
cd "$(dirname "$0")/.."
RUN=${BURROW_RUN_DIR:-run}
mkdir -p "$RUN"
export BURROW_DB=${BURROW_DB:-$RUN/burrow.db}

bin/burrow init --zone "${BURROW_ZONE:-w.modal.host}" --tls-port 8443
echo
echo "store: $BURROW_DB"
echo "try:   BURROW_DB=$BURROW_DB bin/burrow tunnel create --target 127.0.0.1:8000"
