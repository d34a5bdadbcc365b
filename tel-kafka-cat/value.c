/*
 * Rendering message values as single lines.  Valid JSON can hold a raw
 * CR or LF only as whitespace between tokens, so dropping whitespace
 * outside strings makes any JSON text one line without changing it.
 */
#include <stdio.h>
#include <string.h>

#include "jsonscan.h"
#include "value.h"

int
value_multiline(const char *p, size_t n)
{
	return memchr(p, '\n', n) != NULL || memchr(p, '\r', n) != NULL;
}

size_t
value_compact(const char *p, size_t n, char *out)
{
	size_t i, o = 0;
	int in_string = 0, escaped = 0;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (ch == '\\')
				escaped = 1;
			else if (ch == '"')
				in_string = 0;
		} else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		else if (ch == '"')
			in_string = 1;
		out[o++] = ch;
	}
	return o;
}
