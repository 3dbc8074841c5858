/* libFuzzer target: the parser of `wg show IF dump` output (exit/wg_conf.c),
 * which the exit agent reads on every expiry check. */
#include <stddef.h>
#include <stdint.h>

#include "exit/wg_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_dump d;

	if (wg_dump_parse((const char *)data, size, &d) == 0)
		wg_dump_clear(&d);
	return 0;
}
