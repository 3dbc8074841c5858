#include "common/error.h"

const char *
burrow_strerror(int err)
{
	switch (err) {
	case BURROW_OK:           return "success";
	case BURROW_ERR_NOMEM:    return "out of memory";
	case BURROW_ERR_INVALID:  return "invalid argument";
	case BURROW_ERR_NOTFOUND: return "not found";
	case BURROW_ERR_EXISTS:   return "already exists";
	case BURROW_ERR_IO:       return "input/output error";
	case BURROW_ERR_SCHEMA:   return "store schema is newer than this program";
	case BURROW_ERR_FULL:     return "no free slot left";
	case BURROW_ERR_LIMIT:    return "limit reached";
	case BURROW_ERR_BUSY:     return "busy";
	case BURROW_ERR_PROTO:    return "protocol error";
	case BURROW_ERR_CRYPTO:   return "cryptographic failure";
	case BURROW_ERR_REFUSED:  return "refused";
	}
	return "unknown error";
}
