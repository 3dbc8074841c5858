/*
 * error.h: the one error convention of Burrow.
 *
 * Every function that can fail returns int: BURROW_OK (0) on success or one
 * of the negative codes below.  Constructors return NULL on failure instead.
 * Detail for a person (which name, which constraint) travels separately, e.g.
 * store_errmsg(), so codes stay comparable.
 */
#ifndef BURROW_ERROR_H
#define BURROW_ERROR_H

enum burrow_err {
	BURROW_OK = 0,
	BURROW_ERR_NOMEM = -1,    /* allocation failed */
	BURROW_ERR_INVALID = -2,  /* argument or input is malformed */
	BURROW_ERR_NOTFOUND = -3, /* no such zone, tunnel, record, ... */
	BURROW_ERR_EXISTS = -4,   /* would duplicate something unique */
	BURROW_ERR_IO = -5,       /* storage, socket or file error */
	BURROW_ERR_SCHEMA = -6,   /* store is from a newer Burrow */
	BURROW_ERR_FULL = -7,     /* no free name, port or address left */
	BURROW_ERR_LIMIT = -8,    /* a plan or size limit is reached */
	BURROW_ERR_BUSY = -9,     /* retry later */
	BURROW_ERR_PROTO = -10,   /* a peer broke its protocol */
	BURROW_ERR_CRYPTO = -11,  /* key, signature or TLS failure */
	BURROW_ERR_REFUSED = -12, /* not allowed (policy, overlap, auth) */
};

/* A short static description of err, e.g. "not found". Never NULL. */
const char *burrow_strerror(int err);

#endif
