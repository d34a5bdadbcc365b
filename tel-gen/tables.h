/* Reference data for tel-gen: places, devices, networks. */
#ifndef TEL_GEN_TABLES_H
#define TEL_GEN_TABLES_H

struct city {
	const char	*name, *region, *tz;
	unsigned	 weight;
};

struct country {
	const char		*code;
	unsigned		 weight;
	const struct city	*cities;
	unsigned		 ncities;
	const char *const	*isps;
	unsigned		 nisps;
};

struct weighted {
	const char	*name;
	unsigned	 weight;
};

enum conn { CONN_ETHERNET, CONN_WIFI, CONN_4G, CONN_5G, CONN_N };

struct device {
	const char		*type;
	unsigned		 weight;
	const struct weighted	*os;
	unsigned		 nos;
	const struct weighted	*versions;
	unsigned		 nversions;
	unsigned		 conn_weight[CONN_N];
	int			 max_quality;	/* index into qualities */
};

extern const struct country	countries[];
extern const unsigned		ncountries;
extern const struct device	devices[];
extern const unsigned		ndevices;
extern const char *const	conn_names[CONN_N];
extern const unsigned		conn_median_tenths[CONN_N];
extern const struct weighted	cdns[];
extern const unsigned		ncdns;

#define NQUALITY	4
extern const char *const	quality_names[NQUALITY];
extern const unsigned		quality_min_tenths[NQUALITY];

extern const char *const	play_errors[];
extern const unsigned		nplay_errors;
extern const char *const	net_errors[];
extern const unsigned		nnet_errors;

#endif
