/*
 * Unit tests: ACME accounts and orders in the store (db/acme.c), above all
 * that finishing an order is one transaction: certificate in, challenge TXT
 * rows out, order done.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/error.h"
#include "db/store_acme.h"
#include "tests/unit/store_target.h"

struct fixture {
	char dir[64];
	char path[512];
	struct store *s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *ns[] = { "ns1.example.net" };
	struct store_init_params p = { "w.example.net", ns, 1, "192.0.2.1", NULL, 20000, 20100 };

	strcpy(f->dir, "/tmp/burrow-acme-unit.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (test_store_target(f->dir, "burrow.db", f->path, sizeof(f->path)) != 0)
		return -1;
	if (store_open(f->path, STORE_CREATE, &f->s, NULL, 0) != BURROW_OK ||
	    store_init(f->s, &p) != BURROW_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int
count_txt(const struct store_record *r, void *ctx)
{
	if (strcmp(r->type, "TXT") == 0)
		(*(int *)ctx)++;
	return 0;
}

static void
test_accounts(void **state)
{
	struct fixture *f = *state;
	struct store_acme_account a, b;

	assert_int_equal(store_acme_account_get(f->s, "https://ca/dir", &a), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_acme_account_add(f->s, "https://ca/dir", "KEY1", &a), BURROW_OK);
	assert_string_equal(a.key_pem, "KEY1");
	assert_string_equal(a.kid, "");
	assert_string_equal(a.next_key_pem, "");
	assert_int_equal(store_acme_account_add(f->s, "https://ca/dir", "KEY2", &b),
	    BURROW_ERR_EXISTS);
	assert_int_equal(store_acme_account_set_kid(f->s, a.id, "https://ca/acct/1",
	    "mailto:ops@example.net"), BURROW_OK);
	/* Key change: pending first, then committed in one step. */
	assert_int_equal(store_acme_account_commit_key(f->s, a.id), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_acme_account_set_next_key(f->s, a.id, "KEY2"), BURROW_OK);
	assert_int_equal(store_acme_account_get(f->s, "https://ca/dir", &b), BURROW_OK);
	assert_string_equal(b.key_pem, "KEY1");
	assert_string_equal(b.next_key_pem, "KEY2");
	assert_string_equal(b.kid, "https://ca/acct/1");
	store_acme_account_clear(&b);
	assert_int_equal(store_acme_account_commit_key(f->s, a.id), BURROW_OK);
	assert_int_equal(store_acme_account_get(f->s, "https://ca/dir", &b), BURROW_OK);
	assert_string_equal(b.key_pem, "KEY2");
	assert_string_equal(b.next_key_pem, "");
	store_acme_account_clear(&b);
	store_acme_account_clear(&a);
	store_acme_account_clear(NULL);
}

static void
test_order_lifecycle(void **state)
{
	struct fixture *f = *state;
	struct store_acme_account a;
	struct store_acme_order o, open;
	struct store_cert c, cur;
	const char *rd[] = { "\"value-one\"", "\"value-two\"" };
	int n = 0;

	assert_int_equal(store_acme_account_add(f->s, "https://ca/dir", "KEY", &a), BURROW_OK);
	assert_int_equal(store_acme_order_open(f->s, "w.example.net", &open), BURROW_ERR_NOTFOUND);
	memset(&o, 0, sizeof(o));
	strcpy(o.zone, "w.example.net");
	o.account_id = a.id;
	strcpy(o.order_url, "https://ca/order/1");
	strcpy(o.status, "pending");
	strcpy(o.step, "created");
	assert_int_equal(store_acme_order_add(f->s, &o), BURROW_OK);
	strcpy(o.zone, "nope.example.org");
	assert_int_equal(store_acme_order_add(f->s, &o), BURROW_ERR_NOTFOUND);
	strcpy(o.zone, "w.example.net");
	/* The step and state written are what a restart reads back. */
	strcpy(o.step, "published");
	o.state_json = strdup("{\"txt\":[\"value-one\",\"value-two\"]}");
	o.key_pem = strdup("CERTKEY");
	assert_int_equal(store_acme_order_update(f->s, &o), BURROW_OK);
	assert_int_equal(store_acme_order_open(f->s, "w.example.net", &open), BURROW_OK);
	assert_int_equal(open.id, o.id);
	assert_string_equal(open.order_url, "https://ca/order/1");
	assert_string_equal(open.step, "published");
	assert_string_equal(open.key_type, "ecdsa");
	assert_string_equal(open.key_pem, "CERTKEY");
	assert_string_equal(open.state_json, "{\"txt\":[\"value-one\",\"value-two\"]}");
	store_acme_order_clear(&open);
	assert_int_equal(store_record_add(f->s, "_acme-challenge.w.example.net", "TXT", 10,
	    rd[0], NULL), BURROW_OK);
	assert_int_equal(store_record_add(f->s, "_acme-challenge.w.example.net", "TXT", 10,
	    rd[1], NULL), BURROW_OK);
	assert_int_equal(store_record_add(f->s, "_acme-challenge.w.example.net", "TXT", 10,
	    "\"operator-owned\"", NULL), BURROW_OK);

	/* A certificate without PEM is refused and changes nothing. */
	memset(&c, 0, sizeof(c));
	strcpy(c.names, "w.example.net,*.w.example.net");
	c.not_before = 1000;
	c.not_after = 1000 + 90 * 86400;
	c.renew_after = 1000 + 60 * 86400;
	assert_int_equal(store_acme_order_complete(f->s, o.id, &c,
	    "_acme-challenge.w.example.net", rd, 2), BURROW_ERR_INVALID);
	assert_int_equal(store_cert_current(f->s, "w.example.net", &cur), BURROW_ERR_NOTFOUND);
	c.chain_pem = "CHAIN";
	c.key_pem = "CERTKEY";
	assert_int_equal(store_acme_order_complete(f->s, o.id + 100, &c,
	    "_acme-challenge.w.example.net", rd, 2), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_acme_order_complete(f->s, o.id, &c,
	    "_acme-challenge.w.example.net", rd, 2), BURROW_OK);
	assert_int_equal(store_cert_current(f->s, "w.example.net", &cur), BURROW_OK);
	assert_string_equal(cur.chain_pem, "CHAIN");
	assert_int_equal(cur.renew_after, 1000 + 60 * 86400);
	assert_int_equal(store_acme_cert_set_renew_after(f->s, cur.id, 5), BURROW_OK);
	store_cert_clear(&cur);
	assert_int_equal(store_cert_current(f->s, "w.example.net", &cur), BURROW_OK);
	assert_int_equal(cur.renew_after, 5);
	store_cert_clear(&cur);
	/* Only our TXT rows went; the order is no longer open. */
	assert_int_equal(store_record_list(f->s, 0, "_acme-challenge.w.example.net", count_txt,
	    &n), BURROW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_acme_order_open(f->s, "w.example.net", &open), BURROW_ERR_NOTFOUND);

	/* A failed order is not resumed either. */
	strcpy(o.order_url, "https://ca/order/2");
	assert_int_equal(store_acme_order_add(f->s, &o), BURROW_OK);
	assert_int_equal(store_acme_order_fail(f->s, o.id, "unauthorized: no"), BURROW_OK);
	assert_int_equal(store_acme_order_open(f->s, "w.example.net", &open), BURROW_ERR_NOTFOUND);
	free(o.state_json);
	free(o.key_pem);
	store_acme_account_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_lifecycle, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
