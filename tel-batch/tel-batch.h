/*
 * tel-batch internals shared by its files:
 *
 *	tel-batch.c	options, the loop, signals, main
 *	slots.c		the open batches: found, opened, sealed; control
 *			lines held until what came before them is sealed
 *	records.c	a line: its time, its partition, its error record
 *	batch.c		one batch file; spool.c the spool; prefix.c keys
 */
#ifndef TEL_BATCH_TEL_BATCH_H
#define TEL_BATCH_TEL_BATCH_H

#include <stdint.h>

#include "batch.h"
#include "jsonscan.h"
#include "metrics.h"
#include "ndjson.h"
#include "prefix.h"

#define MAX_FIELDS	16

struct opts {
	const char	*spool, *name, *time_field, *time_format;
	const char	*prefix, *error_prefix;
	uint64_t	 max_bytes, max_compressed, max_records;
	uint64_t	 max_age, sync;		/* ms */
	uint64_t	 max_open, max_line, max_partitions;
	int		 level, threads, verbose, plain;
};

struct stats {
	uint64_t	lines, records, errors, empty, control;
};

/* A control line waiting for the batches open when it came. */
struct held {
	char		*line;
	size_t		 len;
	uint64_t	 upto;		/* the last batch opened before it */
};

struct ctx {
	struct opts		 o;
	struct spool		 sp;
	struct prefix		 prefix, eprefix;
	const char		*names[MAX_FIELDS];
	size_t			 nnames;
	struct json_member	 m[MAX_FIELDS + 1];	/* keys, time field */
	size_t			 nm, time_idx;
	struct batch		**open;
	size_t			 nopen;
	char			 ident[4 * KEY_MAX];
	char			*rec;		/* error records are built here */
	size_t			 reccap;
	struct held		*held;		/* control lines, in order */
	size_t			 nheld, capheld;
	struct stats		 st;
	struct metrics		 metrics;
	int			 failed;	/* spool or stdout trouble: stop */
	int64_t			 window;	/* --max-partitions: since, ms */
	uint64_t		 opened;	/* data batches opened since */
	int			 recover_failed;	/* some leftovers left as is */
};

/* slots.c */
int	expired(struct ctx *, size_t, int64_t);
struct batch	*find_batch(struct ctx *, const char *, int);
void	flush_all(struct ctx *, int64_t);
void	release(struct ctx *);
int	hold(struct ctx *, const char *, size_t);
void	seal_slot(struct ctx *, size_t);
void	seal_all(struct ctx *);
int	add_record(struct ctx *, const char *, int, const char *, size_t,
	    int64_t);

/* records.c */
int	process_line(struct ctx *, const struct ndjson_line *);

#endif
