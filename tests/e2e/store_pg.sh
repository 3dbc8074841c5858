#!/bin/bash
# The store unit tests (test_store*, test_proxy_store, test_acme_store,
# test_api_store) once more, on PostgreSQL: a throw-away cluster on a free
# loopback port, each test in a schema of its own
# (tests/unit/store_target.h).  The same programs run on SQLite as unit/
# suites.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_tools/cluster.bash"
BUILD=${BUILD:-build/release}
TESTS_DIR=$E2E_ROOT/$BUILD/tests

ok "postgres cluster starts" pg_cluster_start
for t in test_store test_store_watch test_proxy_store test_acme_store test_api_store; do
	ok "$t on PostgreSQL" env BURROW_TEST_PG="$PG_URL" CMOCKA_MESSAGE_OUTPUT=TAP \
		"$TESTS_DIR/$t"
done
pg_cluster_stop
done_testing
