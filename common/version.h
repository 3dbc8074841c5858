/*
 * version.h: the one version string of every Burrow program (--version).
 * The build generates it from common/version.sh (git describe in a clone,
 * else the VERSION file).
 */
#ifndef BURROW_VERSION_H
#define BURROW_VERSION_H

/* Generated into $(BUILD)/common/version_str.c by the Makefile. */
extern const char burrow_version_string[];

/* The version, e.g. "0.1.0-gabcdef1"; static, never NULL. */
const char *burrow_version(void);

/* Prints "PROG VERSION" on stdout (PROG: the program's name), for --version. */
void burrow_version_print(void);

#endif
