/*
 * Fuzz target: RFC 3339 parsing.  Anything accepted formats to a
 * canonical string that parses back to the same instant.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rfc3339.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[TEL_RFC3339_LEN];
	const char *e;
	int64_t ms, back;

	if (tel_rfc3339_parse((const char *)data, size, &ms, &e) == -1) {
		if (e == NULL)
			abort();
		return 0;
	}
	if (tel_rfc3339_format(buf, ms) == 0 &&
	    (tel_rfc3339_parse(buf, sizeof(buf), &back, &e) == -1 ||
	    back != ms))
		abort();
	return 0;
}
