#!/bin/bash
# dns_rrl.sh with its store on a throw-away PostgreSQL cluster (tests/e2e/lib.sh,
# BURROW_TEST_STORE=pg): make check runs it on both engines.
BURROW_TEST_STORE=pg exec bash "$(dirname "$0")/dns_rrl.sh"
