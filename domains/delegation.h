/*
 * delegation.h: is a customer's domain delegated to our nameservers?
 *
 * Walks from a root (or any ancestor's) server down the referrals, as a
 * resolver would, to the parent zone's answer for NAME's NS set, compares it
 * with ours and asks our servers whether they answer for NAME.
 */
#ifndef BURROW_DELEGATION_H
#define BURROW_DELEGATION_H

#include <stdint.h>

#include "common/names.h"

enum delegation_state {
	DELEGATION_DELEGATED,   /* parent's NS set is ours, and we answer */
	DELEGATION_MISSING_NS,  /* parent has no NS records for NAME */
	DELEGATION_WRONG_NS,    /* parent delegates NAME elsewhere */
	DELEGATION_LAME,        /* delegated to us, but no server of ours answers */
};

struct delegation_params {
	const char *name;        /* canonical domain, e.g. sandbox.example.com */
	const char *const *ns;   /* our NS host names */
	int ns_count;
	const char *root;        /* IP literal of the server the walk starts at */
	uint16_t port;           /* port of every server asked (53 outside tests) */
	unsigned timeout_ms;     /* per query */
};

struct delegation_result {
	enum delegation_state state;
	char reason[512];        /* for a person: what was found */
};

/* Runs the check.  BURROW_OK with *out filled whatever the state;
 * BURROW_ERR_IO when the walk could not finish (no answer, a server error,
 * a referral loop), with out->reason saying where it stopped;
 * BURROW_ERR_INVALID for bad parameters. */
int delegation_check(const struct delegation_params *p, struct delegation_result *out);

/* "delegated", "missing-ns", "wrong-ns" or "lame": the zones.state names. */
const char *delegation_state_name(enum delegation_state state);

#endif
