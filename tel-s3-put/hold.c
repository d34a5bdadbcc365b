/* Control lines held back until what came before is stored: see hold.h. */
#include <stdlib.h>
#include <string.h>

#include "hold.h"

uint64_t
hold_number(struct hold *h)
{
	unsigned char *d;
	size_t need = (size_t)(h->next - h->base) + 1;

	if (need > h->cap) {
		if ((d = realloc(h->done, 2 * need)) == NULL)
			return HOLD_UNTRACKED;
		memset(d + h->cap, 0, 2 * need - h->cap);
		h->done = d;
		h->cap = 2 * need;
	}
	return h->next++;
}

void
hold_done(struct hold *h, uint64_t seq)
{
	size_t k, n;

	if (seq >= HOLD_SPOOL || seq < h->base || seq >= h->next)
		return;
	h->done[seq - h->base] = 1;
	n = (size_t)(h->next - h->base);
	for (k = 0; k < n && h->done[k]; k++)
		;
	if (k == 0)
		return;
	memmove(h->done, h->done + k, n - k);
	memset(h->done + n - k, 0, k);
	h->base += k;
}

int
hold_control(struct hold *h, const char *line, size_t len)
{
	struct held_line *q;

	if (h->n == h->capq) {
		h->capq = h->capq ? 2 * h->capq : 16;
		if ((q = reallocarray(h->q, h->capq, sizeof(*q))) == NULL)
			return -1;
		h->q = q;
	}
	if ((h->q[h->n].line = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(h->q[h->n].line, line, len);
	h->q[h->n].len = len;
	h->q[h->n++].upto = h->next;
	return 0;
}

const struct held_line *
hold_ready(const struct hold *h)
{
	if (h->n == 0 || h->q[0].upto > h->base)
		return NULL;
	return &h->q[0];
}

void
hold_pop(struct hold *h)
{
	free(h->q[0].line);
	memmove(h->q, h->q + 1, --h->n * sizeof(*h->q));
}

void
hold_free(struct hold *h)
{
	while (h->n > 0)
		hold_pop(h);
	free(h->q);
	free(h->done);
	memset(h, 0, sizeof(*h));
}
