/*
 * exit_exec.h: running the network tools (ip, wg, nft, wireguard-go).
 */
#ifndef BURROW_EXIT_EXEC_H
#define BURROW_EXIT_EXEC_H

#include <stddef.h>

/* Runs argv (argv[0] looked up on PATH; NULL-terminated) and waits for it.
 * in (inlen bytes, may be NULL) is its stdin: secrets go there, never in
 * argv where ps shows them.  If out is not NULL, *out gets its stdout
 * (malloc'd, NUL-terminated, caller frees) and *outlen (may be NULL) its
 * length.  Returns BURROW_OK if it exited 0, else BURROW_ERR_IO (logged
 * unless quiet). */
int exit_run(const char *const argv[], const char *in, size_t inlen, char **out,
             size_t *outlen, int quiet);

#endif
