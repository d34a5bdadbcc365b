/*
 * Benchmark: our JSON scanner against jansson on the same NDJSON (stdin):
 * validate every line and pick out one member, as tel-batch does.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jsonscan.h"

int
main(void)
{
	struct json_member m = { "event_timestamp", 15, 0, NULL, 0, 0 };
	size_t cap = 1 << 30, len = 0, n, lines = 0, bad = 0;
	char *buf = malloc(cap), *p, *nl;
	struct json_error e;
	json_error_t je;
	json_t *j;
	int64_t t0, t1, t2;

	if (buf == NULL)
		return 1;
	while ((n = fread(buf + len, 1, cap - len, stdin)) > 0)
		len += n;
	t0 = tel_mono_ms();
	for (p = buf; (nl = memchr(p, '\n', (size_t)(buf + len - p))); p = nl + 1) {
		bad += json_scan(p, (size_t)(nl - p), &m, 1, &e) != JS_OBJECT;
		lines++;
	}
	t1 = tel_mono_ms();
	for (p = buf; (nl = memchr(p, '\n', (size_t)(buf + len - p))); p = nl + 1) {
		j = json_loadb(p, (size_t)(nl - p), 0, &je);
		bad += j == NULL || json_object_get(j, "event_timestamp") == NULL;
		json_decref(j);
	}
	t2 = tel_mono_ms();
	printf("JSON scanning benchmark: %zu lines, %.0f MB (%zu rejected)\n",
	    lines, (double)len / 1e6, bad);
	printf("%-28s %10.1f MB/s\n", "jsonscan (ours)",
	    (double)len / 1e3 / (double)(t1 - t0 ? t1 - t0 : 1));
	printf("%-28s %10.1f MB/s\n", "jansson json_loadb (peer)",
	    (double)len / 1e3 / (double)(t2 - t1 ? t2 - t1 : 1));
	printf("ratio ours/jansson: %.1f\n", (double)(t2 - t1) /
	    (double)(t1 - t0 ? t1 - t0 : 1));
	free(buf);
	return 0;
}
