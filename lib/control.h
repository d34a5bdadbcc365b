/*
 * Control lines: the lines of a tel stream that are not records, in the
 * namespace tel(7) reserves.  A control line is a JSON object whose first
 * member is "@tel" with a string value, the line's kind; records never
 * have a top-level "@tel" member.  Two kinds are known.  A checkpoint is
 *
 *	{"@tel":"checkpoint","run":"<16 hex>","seq":N,"time":"<RFC 3339>"}
 *
 * written by tel-kafka-cat --ack and passed on by every later stage once
 * everything before it is as safe as that stage can make it.  The last
 * one of a run adds "flush":true: make it safe now, do not wait (seal
 * every batch), for the end of input may not come while a wrapper such as
 * timeout(1) holds the pipe open.
 *
 * An error carries a record a stage refused (tel-check) to the stage that
 * writes error records (tel-batch, into the error prefix), with the reason:
 *
 *	{"@tel":"error","errorCode":"...","errorMessage":"...",
 *	 "lineNumber":N,"rawData":"<base64 of the line>"}
 *
 * Stages in between pass it on in its place, as any control line.
 */
#ifndef TEL_CONTROL_H
#define TEL_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define CONTROL_MEMBER		"@tel"
#define CONTROL_KIND_MAX	32
/* The longest checkpoint line control_checkpoint() writes, no newline. */
#define CONTROL_CHECKPOINT_MAX	160

struct control {
	char		kind[CONTROL_KIND_MAX];	/* "" if too long to keep */
	uint64_t	run, seq;		/* a checkpoint's; else 0 */
	int		checkpoint;		/* kind "checkpoint", run and seq valid */
	int		flush;			/* "flush":true, any kind */
};

/*
 * 1 if p[0..n) is a control line (*c filled), 0 if it is not.  Cheap for
 * a record: it looks at the first bytes before it parses.
 */
int	control_parse(const char *, size_t, struct control *);

/*
 * 1 if the JSON text p[0..n) is an object with a top-level "@tel" member,
 * wherever it stands: a record that a filter could turn into a control
 * line.  0 for anything else, invalid JSON included.
 */
int	control_reserved(const char *, size_t);

/*
 * Writes a checkpoint line (no newline) into out, CONTROL_CHECKPOINT_MAX
 * bytes: run, seq, the time in ms, and flush; returns its length.
 */
size_t	control_checkpoint(char *, uint64_t, uint64_t, int64_t, int);

/* An error line's fields, pointing into the line; strings JSON-escaped. */
struct control_error {
	const char	*code, *msg, *raw;
	size_t		 codelen, msglen, rawlen;
	uint64_t	 lineno;
};

/*
 * An error line (no newline) for a refused line of n bytes at raw, its
 * line number (0: none, the member is left out) and why: code (letters,
 * digits, dots) and msg (any text); malloc'd, its length in *len.  NULL
 * if out of memory.
 */
char	*control_error(const char *, const char *, uint64_t, const char *,
	    size_t, size_t *);

/* Reads an error line's fields: 0, or -1 if one is missing or malformed. */
int	control_error_parse(const char *, size_t, struct control_error *);

#endif
