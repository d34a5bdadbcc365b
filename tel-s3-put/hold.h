/*
 * Control lines (tel(7)) held back until every manifest line read before
 * them is confirmed stored.  Manifest lines are numbered as read; the -j
 * workers confirm them in any order; a line never confirmed (its upload
 * failed, or it was refused) holds back every control line after it.
 */
#ifndef S3PUT_HOLD_H
#define S3PUT_HOLD_H

#include <stddef.h>
#include <stdint.h>

#define HOLD_UNTRACKED	UINT64_MAX	/* a file not from stdin */
#define HOLD_SPOOL	(UINT64_MAX - 1)	/* untracked, from --spool */

struct held_line {
	char		*line;
	size_t		 len;
	uint64_t	 upto;		/* manifest lines read before it */
};

struct hold {
	uint64_t		 next;		/* the next manifest line's number */
	uint64_t		 base;		/* all lines below it are stored */
	unsigned char		*done;		/* lines base.. stored early */
	size_t			 cap;
	struct held_line	*q;
	size_t			 n, capq;
};

/* The number of the manifest line just read; -1 (no memory) as UINT64_MAX. */
uint64_t	hold_number(struct hold *);

/* Manifest line seq is stored. */
void		hold_done(struct hold *, uint64_t);

/* Holds a copy of a control line; -1 no memory. */
int		hold_control(struct hold *, const char *, size_t);

/* The first held line if it may go out now (then hold_pop), or NULL. */
const struct held_line *hold_ready(const struct hold *);
void		hold_pop(struct hold *);

void		hold_free(struct hold *);

#endif
