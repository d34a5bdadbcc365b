/*
 * tel-batch: the open batches, one per partition (and kind), found or
 * opened for each record and sealed on size, age or a signal; and the
 * control lines (tel(7)), each held until every batch open when it came
 * is sealed and announced.
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "tel-batch.h"

int
expired(struct ctx *c, size_t i, int64_t now)
{
	return now - c->open[i]->opened >= (int64_t)c->o.max_age;
}

/*
 * Hands the records gathered by every open batch (only the expired ones
 * if now is set) to the compressing threads, so that these work on them
 * together before each batch is waited for, by a sync or a seal.
 */
void
flush_all(struct ctx *c, int64_t now)
{
	size_t i;

	for (i = 0; i < c->nopen; i++) {
		if ((now == 0 || expired(c, i, now)) &&
		    batch_flush(c->open[i]) == -1) {
			warn("%s", c->open[i]->path);
			c->failed = 1;
		}
	}
}

/* Writes a control line to stdout, after the manifest lines before it. */
static void
pass_on(struct ctx *c, const char *line, size_t len)
{
	if (spool_out(&c->sp, line, len) == 0)
		c->st.control++;
}

/*
 * Passes on the held control lines whose batches are all sealed: those
 * opened up to its serial.  Never after a failed seal: a record before
 * the line may be in no announced batch.
 */
void
release(struct ctx *c)
{
	uint64_t lowest = UINT64_MAX;
	size_t i, done;

	if (c->nheld == 0 || c->failed)
		return;
	for (i = 0; i < c->nopen; i++) {
		if (c->open[i]->serial < lowest)
			lowest = c->open[i]->serial;
	}
	for (done = 0; done < c->nheld && c->held[done].upto < lowest; done++) {
		pass_on(c, c->held[done].line, c->held[done].len);
		free(c->held[done].line);
	}
	c->nheld -= done;
	memmove(c->held, c->held + done, c->nheld * sizeof(*c->held));
}

/* A control line: held until what came before it is sealed. */
int
hold(struct ctx *c, const char *line, size_t len)
{
	struct held *h;

	if (c->nheld == c->capheld) {
		c->capheld = c->capheld ? 2 * c->capheld : 16;
		if ((h = reallocarray(c->held, c->capheld, sizeof(*h))) == NULL)
			err(1, NULL);
		c->held = h;
	}
	h = &c->held[c->nheld];
	if ((h->line = malloc(len)) == NULL)
		err(1, NULL);
	memcpy(h->line, line, len);
	h->len = len;
	h->upto = c->sp.serial;
	c->nheld++;
	release(c);
	return c->sp.out_failed ? -1 : 0;
}

/* Seals b and drops it from the open table (slot i). */
void
seal_slot(struct ctx *c, size_t i)
{
	struct batch *b = c->open[i];

	if (batch_seal(&c->sp, b, 1) == -1)
		c->failed = 1;
	batch_free(b);
	c->open[i] = c->open[--c->nopen];
	release(c);
}

void
seal_all(struct ctx *c)
{
	flush_all(c, 0);
	while (c->nopen > 0)
		seal_slot(c, c->nopen - 1);
}

struct batch *
find_batch(struct ctx *c, const char *ident, int error)
{
	size_t i;

	for (i = 0; i < c->nopen; i++) {
		if (c->open[i]->error == error &&
		    strcmp(c->open[i]->ident, ident) == 0)
			return c->open[i];
	}
	return NULL;
}

static size_t
slot_of(struct ctx *c, const struct batch *b)
{
	size_t i;

	for (i = 0; c->open[i] != b; i++)
		;
	return i;
}

/* A batch to put the next record in, sealing what must be sealed first. */
static struct batch *
batch_for(struct ctx *c, const char *ident, int error, size_t len, int64_t t)
{
	struct batch *b = find_batch(c, ident, error);
	size_t i, oldest;

	if (b != NULL && c->o.max_bytes > 0 &&
	    b->gz.raw + len + 1 > c->o.max_bytes) {
		seal_slot(c, slot_of(c, b));	/* would overflow: seal first */
		b = NULL;
	}
	if (b != NULL)
		return b;
	if (c->nopen == c->o.max_open) {
		for (oldest = 0, i = 1; i < c->nopen; i++) {
			if (c->open[i]->opened < c->open[oldest]->opened)
				oldest = i;
		}
		seal_slot(c, oldest);
	}
	if ((b = batch_open(&c->sp, ident, error, tel_now_ms(), t, NULL)) == NULL)
		return NULL;
	c->open[c->nopen++] = b;
	return b;
}

/*
 * Past --max-compressed?  Until a full member of the batch is written
 * the estimate's ratio is a guess: then it waits for the members handed
 * over and, if still in doubt, writes what it has and looks again.
 */
static int
over_compressed(struct ctx *c, struct batch *b)
{
	int guess;

	if (gz_estimate(&b->gz, &guess) < c->o.max_compressed)
		return 0;
	if (!guess)
		return 1;
	if (gz_wait(&b->gz) == -1 ||
	    (gz_estimate(&b->gz, &guess) >= c->o.max_compressed && guess &&
	    batch_sync(b) == -1)) {
		warn("%s", b->path);
		c->failed = 1;
		return 0;
	}
	return gz_estimate(&b->gz, &guess) >= c->o.max_compressed;
}

int
add_record(struct ctx *c, const char *ident, int error, const char *p,
    size_t len, int64_t t)
{
	struct batch *b = batch_for(c, ident, error, len, t);

	if (b == NULL || batch_add(b, p, len, t) == -1) {
		warn("%s", b ? b->path : c->sp.open);
		return -1;
	}
	if ((c->o.max_records > 0 && b->records >= c->o.max_records) ||
	    (c->o.max_bytes > 0 && b->gz.raw >= c->o.max_bytes) ||
	    (c->o.max_compressed > 0 && over_compressed(c, b)))
		seal_slot(c, slot_of(c, b));
	return c->failed ? -1 : 0;
}
