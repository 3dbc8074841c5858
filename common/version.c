#include <errno.h>
#include <stdio.h>

#include "common/version.h"

const char *
burrow_version(void)
{
	return burrow_version_string;
}

void
burrow_version_print(void)
{
	printf("%s %s\n", program_invocation_short_name, burrow_version_string);
}
