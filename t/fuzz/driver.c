/*
 * A stand-in for libFuzzer's main, so every fuzz target also runs in
 * "make test" (under ASan+UBSan in CI) without clang: it replays the
 * files named on the command line, then feeds mutations of them and
 * random bytes for TEL_FUZZ_ITERS rounds (default 20000), reproducibly.
 */
#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "prng.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_INPUT	4096

static const uint8_t	*cur_data;
static size_t		 cur_size;

/* On a crash, leave the input behind in ./fuzz-crash for replaying. */
static void
save_input(int sig)
{
	int fd = open("fuzz-crash", O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd != -1) {
		(void)!write(fd, cur_data, cur_size);
		close(fd);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
run(const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
	LLVMFuzzerTestOneInput(data, size);
}

static size_t
load(const char *path, uint8_t *buf)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL)
		err(1, "%s", path);
	n = fread(buf, 1, MAX_INPUT, fp);
	fclose(fp);
	return n;
}

/* Flips, inserts, deletes or splices a few bytes of buf. */
static size_t
mutate(struct tel_prng *r, uint8_t *buf, size_t n)
{
	static const char tokens[] = "{}[]\":,\n\\0123456789eE+-.TZtfn ";
	int k = 1 + (int)tel_prng_below(r, 4);

	while (k-- > 0) {
		size_t at = n ? (size_t)tel_prng_below(r, n) : 0;

		switch (tel_prng_below(r, 4)) {
		case 0:
			if (n > 0)
				buf[at] ^= (uint8_t)(1u << tel_prng_below(r, 8));
			break;
		case 1:
			if (n < MAX_INPUT) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = (uint8_t)tokens[tel_prng_below(r,
				    sizeof(tokens) - 1)];
				n++;
			}
			break;
		case 2:
			if (n > 0) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
			break;
		default:
			buf[at < n ? at : 0] = (uint8_t)tel_prng_next(r);
			if (n == 0)
				n = 1;
		}
	}
	return n;
}

int
main(int argc, char *argv[])
{
	static uint8_t corpus[64][MAX_INPUT], buf[MAX_INPUT];
	size_t lens[64], n;
	long long iters = 20000;
	const char *e, *s = getenv("TEL_FUZZ_ITERS");
	struct tel_prng r;
	int i, ncorpus = 0;

	signal(SIGABRT, save_input);
	signal(SIGSEGV, save_input);
	if (s != NULL && (iters = tel_strtonum(s, 0, 1LL << 40, &e), e != NULL))
		errx(2, "TEL_FUZZ_ITERS %s: %s", s, e);
	for (i = 1; i < argc && ncorpus < 64; i++) {
		lens[ncorpus] = load(argv[i], corpus[ncorpus]);
		run(corpus[ncorpus], lens[ncorpus]);
		ncorpus++;
	}
	tel_prng_seed(&r, 20261122);
	for (; iters > 0; iters--) {
		if (ncorpus > 0 && tel_prng_below(&r, 4) != 0) {
			int c = (int)tel_prng_below(&r, (uint64_t)ncorpus);

			memcpy(buf, corpus[c], lens[c]);
			n = mutate(&r, buf, lens[c]);
		} else {
			n = (size_t)tel_prng_below(&r, 64);
			for (size_t j = 0; j < n; j++)
				buf[j] = (uint8_t)tel_prng_next(&r);
		}
		run(buf, n);
	}
	printf("%s: %d corpus files, all rounds passed\n", argv[0], ncorpus);
	return 0;
}
