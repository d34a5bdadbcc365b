/*
 * warn(3) and warnx(3) that print each message whole: glibc's print the
 * program name, the message and the newline in three stdio calls, and
 * another thread's message can land between them (tel-s3-put's -j
 * workers did so).  These hold stderr's lock for the whole line.
 */
#ifndef TEL_DIAG_H
#define TEL_DIAG_H

#include <stddef.h>

void	tel_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	tel_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * For text from outside (a server's reply, a configured string) before it
 * is printed: control bytes and DEL become '?', so that nothing reaches a
 * terminal raw.
 */
void	tel_printable(char *);

/* A printable copy of s in buf (cut to size); returns buf. */
const char	*tel_printable_copy(char *, size_t, const char *);

/* Stars out every copy of secret (if not NULL or empty) in s. */
void	tel_redact(char *, const char *);

#endif
