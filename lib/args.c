/* Checked option arguments: see args.h. */
#include <err.h>
#include <stdlib.h>

#include "args.h"
#include "number.h"

void
tel_bad_option(const char *opt, const char *arg, const char *why,
    tel_usage_fn usage)
{
	warnx("%s %s: %s", opt, arg, why);
	usage(stderr);
	exit(2);
}

uint64_t
tel_num_option(const char *opt, const char *arg, long long min,
    long long max, tel_usage_fn usage)
{
	const char *errstr;
	long long v = tel_strtonum(arg, min, max, &errstr);

	if (errstr != NULL)
		tel_bad_option(opt, arg, errstr, usage);
	return (uint64_t)v;
}

uint64_t
tel_size_option(const char *opt, const char *arg, uint64_t min,
    tel_usage_fn usage)
{
	const char *errstr;
	uint64_t v;

	if (tel_parse_size(arg, &v, &errstr) == -1)
		tel_bad_option(opt, arg, errstr, usage);
	if (v < min)
		tel_bad_option(opt, arg, "too small", usage);
	return v;
}

uint64_t
tel_duration_option(const char *opt, const char *arg, uint64_t min,
    tel_usage_fn usage)
{
	const char *errstr;
	uint64_t v;

	if (tel_parse_duration(arg, &v, &errstr) == -1)
		tel_bad_option(opt, arg, errstr, usage);
	if (v < min)
		tel_bad_option(opt, arg, "too short", usage);
	/* beyond, a count of ms, s or a signed sum could wrap somewhere */
	if (v > TEL_DURATION_MAX)
		tel_bad_option(opt, arg, "too long (at most 100 years)", usage);
	return v;
}

double
tel_real_option(const char *opt, const char *arg, double min, double max,
    tel_usage_fn usage)
{
	const char *errstr;
	double v;

	if (tel_parse_real(arg, min, max, &v, &errstr) == -1)
		tel_bad_option(opt, arg, errstr, usage);
	return v;
}
