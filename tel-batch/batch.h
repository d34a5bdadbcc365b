/* tel-batch internals: the spool, open batches, and how they are sealed. */
#ifndef TEL_BATCH_BATCH_H
#define TEL_BATCH_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "gzip.h"
#include "ndjson.h"
#include "prefix.h"
#include "prng.h"

struct spool {
	char			*dir;		/* absolute path */
	char			*open, *ready;	/* its open/ and ready/ */
	int			 lockfd;
	int			 level;		/* gzip level */
	int			 threads;	/* compressing */
	struct gz_pool		*pool;		/* the compressors */
	const char		*name;		/* object name stem */
	struct tel_prng		 rng;
	struct ndjson_writer	*out;		/* manifest lines */
	uint64_t		 sealed, sealed_error, bytes, raw;
	uint64_t		 serial;	/* the last batch opened */
	size_t			 max_line;	/* --max-line: bounds a salvage */
	int			 plain;		/* --compression none: .json */
	int			 out_failed;	/* stdout broke: stop */
};

struct batch {
	char			*ident;		/* evaluated prefix: the partition */
	char			*key;		/* object key in the lake */
	char			*path;		/* file under open/ */
	char			*meta;		/* gzip header: how to recover */
	int			 fd, error;
	struct gz_writer	 gz;
	EVP_MD_CTX		*sha;
	uint64_t		 records;
	int64_t			 first, last;	/* record times, ms */
	int64_t			 opened;	/* monotonic ms */
	uint64_t		 serial;	/* opened after all lower ones */
	int			 plain;		/* sealed as NDJSON (key .json) */
};

/* A key of plain NDJSON (--compression none) ends so; else ".gz". */
#define PLAIN_SUFFIX	".json"

int	spool_open(struct spool *, const char *);
int	is_plain_key(const char *);
void	spool_close(struct spool *);
int	spool_recover(struct spool *);

struct batch	*batch_open(struct spool *, const char *, int, int64_t,
		    int64_t, const char *);
int		 batch_add(struct batch *, const char *, size_t, int64_t);
int		 batch_flush(struct batch *);
int		 batch_sync(struct batch *);
int		 batch_seal(struct spool *, struct batch *, int);
void		 batch_free(struct batch *);

/*
 * Writes a line to stdout, flushed: a manifest line, or a control line
 * passed on; -1 (said once) if stdout failed.
 */
int	spool_out(struct spool *, const char *, size_t);

/* Prints the manifest line of a sealed file; -1 if stdout failed. */
int	manifest(struct spool *, const char *, const char *, uint64_t,
	    uint64_t, uint64_t, int64_t, int64_t, const unsigned char *, int,
	    int);

#endif
