#!/bin/bash
# The store unit tests (test_store*, test_proxy_store, test_acme_store,
# test_api_store) once more, on PostgreSQL: a database on the throw-away
# cluster lib.sh starts for this suite (BURROW_TEST_STORE=pg,
# tests/e2e/pg_lib.bash), each test in a schema of its own
# (tests/unit/store_target.h).  The same programs run on SQLite as unit/
# suites.
BURROW_TEST_STORE=pg
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build/release}
TESTS_DIR=$E2E_ROOT/$BUILD/tests

for t in test_store test_store_watch test_proxy_store test_acme_store test_api_store; do
	ok "$t on PostgreSQL" env BURROW_TEST_PG="$T_STORE" CMOCKA_MESSAGE_OUTPUT=TAP \
		"$TESTS_DIR/$t"
done
done_testing
