/*
 * Reference data for tel-gen.  Cities carry their real region and IANA
 * time zone; weights are rough audience shares, not measurements.  No
 * string here may contain '"', '\\', ',' or a control character: the
 * renderer copies them into JSON unescaped.
 */
#include "tables.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static const struct city us[] = {
	{ "New York", "New York", "America/New_York", 20 },
	{ "Los Angeles", "California", "America/Los_Angeles", 14 },
	{ "Chicago", "Illinois", "America/Chicago", 9 },
	{ "Houston", "Texas", "America/Chicago", 8 },
	{ "Phoenix", "Arizona", "America/Phoenix", 6 },
	{ "Philadelphia", "Pennsylvania", "America/New_York", 6 },
	{ "Seattle", "Washington", "America/Los_Angeles", 5 },
	{ "Denver", "Colorado", "America/Denver", 5 },
	{ "Miami", "Florida", "America/New_York", 6 },
	{ "Atlanta", "Georgia", "America/New_York", 6 },
	{ "Boston", "Massachusetts", "America/New_York", 5 },
	{ "Detroit", "Michigan", "America/Detroit", 4 },
	{ "Anchorage", "Alaska", "America/Anchorage", 1 },
	{ "Honolulu", "Hawaii", "Pacific/Honolulu", 1 },
};
static const char *const us_isp[] = {
	"Comcast Xfinity", "Charter Spectrum", "AT&T", "Verizon Fios",
	"Cox Communications", "T-Mobile Home Internet", "Frontier",
};

static const struct city gb[] = {
	{ "London", "England", "Europe/London", 40 },
	{ "Manchester", "England", "Europe/London", 12 },
	{ "Birmingham", "England", "Europe/London", 12 },
	{ "Glasgow", "Scotland", "Europe/London", 8 },
	{ "Edinburgh", "Scotland", "Europe/London", 6 },
	{ "Cardiff", "Wales", "Europe/London", 5 },
	{ "Belfast", "Northern Ireland", "Europe/London", 4 },
};
static const char *const gb_isp[] = {
	"BT", "Sky Broadband", "Virgin Media", "Vodafone UK", "TalkTalk",
};

static const struct city ca[] = {
	{ "Toronto", "Ontario", "America/Toronto", 30 },
	{ "Montreal", "Quebec", "America/Toronto", 20 },
	{ "Vancouver", "British Columbia", "America/Vancouver", 14 },
	{ "Calgary", "Alberta", "America/Edmonton", 9 },
	{ "Ottawa", "Ontario", "America/Toronto", 8 },
	{ "Winnipeg", "Manitoba", "America/Winnipeg", 5 },
	{ "Halifax", "Nova Scotia", "America/Halifax", 3 },
	{ "Regina", "Saskatchewan", "America/Regina", 2 },
};
static const char *const ca_isp[] = {
	"Rogers", "Bell Canada", "Telus", "Shaw", "Videotron",
};

static const struct city de[] = {
	{ "Berlin", "Berlin", "Europe/Berlin", 25 },
	{ "Hamburg", "Hamburg", "Europe/Berlin", 15 },
	{ "München", "Bayern", "Europe/Berlin", 15 },
	{ "Köln", "Nordrhein-Westfalen", "Europe/Berlin", 10 },
	{ "Frankfurt am Main", "Hessen", "Europe/Berlin", 9 },
	{ "Stuttgart", "Baden-Württemberg", "Europe/Berlin", 7 },
};
static const char *const de_isp[] = {
	"Deutsche Telekom", "Vodafone Deutschland", "1&1", "O2 Telefónica",
};

static const struct city fr[] = {
	{ "Paris", "Île-de-France", "Europe/Paris", 40 },
	{ "Lyon", "Auvergne-Rhône-Alpes", "Europe/Paris", 12 },
	{ "Marseille", "Provence-Alpes-Côte d'Azur", "Europe/Paris", 12 },
	{ "Toulouse", "Occitanie", "Europe/Paris", 8 },
	{ "Lille", "Hauts-de-France", "Europe/Paris", 7 },
	{ "Nantes", "Pays de la Loire", "Europe/Paris", 6 },
};
static const char *const fr_isp[] = {
	"Orange", "SFR", "Free", "Bouygues Telecom",
};

static const struct city es[] = {
	{ "Madrid", "Comunidad de Madrid", "Europe/Madrid", 35 },
	{ "Barcelona", "Cataluña", "Europe/Madrid", 30 },
	{ "Valencia", "Comunitat Valenciana", "Europe/Madrid", 12 },
	{ "Sevilla", "Andalucía", "Europe/Madrid", 10 },
	{ "Las Palmas de Gran Canaria", "Canarias", "Atlantic/Canary", 5 },
};
static const char *const es_isp[] = {
	"Movistar", "Vodafone España", "Orange España", "MásMóvil",
};

static const struct city br[] = {
	{ "São Paulo", "São Paulo", "America/Sao_Paulo", 35 },
	{ "Rio de Janeiro", "Rio de Janeiro", "America/Sao_Paulo", 20 },
	{ "Brasília", "Distrito Federal", "America/Sao_Paulo", 8 },
	{ "Salvador", "Bahia", "America/Bahia", 8 },
	{ "Fortaleza", "Ceará", "America/Fortaleza", 7 },
	{ "Manaus", "Amazonas", "America/Manaus", 5 },
	{ "Recife", "Pernambuco", "America/Recife", 6 },
};
static const char *const br_isp[] = {
	"Claro", "Vivo", "TIM", "Oi",
};

static const struct city mx[] = {
	{ "Ciudad de México", "Ciudad de México", "America/Mexico_City", 40 },
	{ "Guadalajara", "Jalisco", "America/Mexico_City", 15 },
	{ "Monterrey", "Nuevo León", "America/Monterrey", 14 },
	{ "Tijuana", "Baja California", "America/Tijuana", 8 },
	{ "Cancún", "Quintana Roo", "America/Cancun", 5 },
	{ "Hermosillo", "Sonora", "America/Hermosillo", 4 },
};
static const char *const mx_isp[] = {
	"Telmex", "izzi", "Totalplay", "Megacable",
};

static const struct city in[] = {
	{ "Mumbai", "Maharashtra", "Asia/Kolkata", 25 },
	{ "Delhi", "Delhi", "Asia/Kolkata", 25 },
	{ "Bengaluru", "Karnataka", "Asia/Kolkata", 18 },
	{ "Hyderabad", "Telangana", "Asia/Kolkata", 12 },
	{ "Chennai", "Tamil Nadu", "Asia/Kolkata", 12 },
	{ "Kolkata", "West Bengal", "Asia/Kolkata", 10 },
};
static const char *const in_isp[] = {
	"Jio", "Airtel", "BSNL", "ACT Fibernet", "Vi",
};

static const struct city jp[] = {
	{ "Tokyo", "Tokyo", "Asia/Tokyo", 40 },
	{ "Yokohama", "Kanagawa", "Asia/Tokyo", 12 },
	{ "Osaka", "Osaka", "Asia/Tokyo", 15 },
	{ "Nagoya", "Aichi", "Asia/Tokyo", 9 },
	{ "Sapporo", "Hokkaido", "Asia/Tokyo", 6 },
	{ "Fukuoka", "Fukuoka", "Asia/Tokyo", 6 },
};
static const char *const jp_isp[] = {
	"NTT Docomo", "KDDI au", "SoftBank", "Rakuten Mobile",
};

static const struct city kr[] = {
	{ "Seoul", "Seoul", "Asia/Seoul", 50 },
	{ "Busan", "Busan", "Asia/Seoul", 15 },
	{ "Incheon", "Incheon", "Asia/Seoul", 12 },
	{ "Daegu", "Daegu", "Asia/Seoul", 9 },
};
static const char *const kr_isp[] = {
	"KT", "SK Broadband", "LG U+",
};

static const struct city au[] = {
	{ "Sydney", "New South Wales", "Australia/Sydney", 30 },
	{ "Melbourne", "Victoria", "Australia/Melbourne", 28 },
	{ "Brisbane", "Queensland", "Australia/Brisbane", 15 },
	{ "Perth", "Western Australia", "Australia/Perth", 12 },
	{ "Adelaide", "South Australia", "Australia/Adelaide", 8 },
	{ "Darwin", "Northern Territory", "Australia/Darwin", 2 },
};
static const char *const au_isp[] = {
	"Telstra", "Optus", "TPG", "Aussie Broadband",
};

#define COUNTRY(code, w, c, i)	{ code, w, c, N(c), i, N(i) }
const struct country countries[] = {
	COUNTRY("US", 34, us, us_isp),
	COUNTRY("GB", 8, gb, gb_isp),
	COUNTRY("CA", 5, ca, ca_isp),
	COUNTRY("DE", 7, de, de_isp),
	COUNTRY("FR", 6, fr, fr_isp),
	COUNTRY("ES", 4, es, es_isp),
	COUNTRY("BR", 9, br, br_isp),
	COUNTRY("MX", 6, mx, mx_isp),
	COUNTRY("IN", 9, in, in_isp),
	COUNTRY("JP", 5, jp, jp_isp),
	COUNTRY("KR", 3, kr, kr_isp),
	COUNTRY("AU", 4, au, au_isp),
};
const unsigned ncountries = N(countries);

static const struct weighted tv_os[] = {
	{ "Tizen", 30 }, { "webOS", 25 }, { "Android TV", 20 },
	{ "Roku OS", 15 }, { "Fire OS", 10 },
};
static const struct weighted mobile_os[] = { { "iOS", 45 }, { "Android", 55 } };
static const struct weighted tablet_os[] = {
	{ "iPadOS", 55 }, { "Android", 30 }, { "Fire OS", 15 },
};
static const struct weighted desktop_os[] = {
	{ "Windows", 60 }, { "macOS", 28 }, { "ChromeOS", 8 }, { "Linux", 4 },
};
static const struct weighted stick_os[] = {
	{ "Roku OS", 40 }, { "Fire OS", 35 }, { "Google TV", 20 }, { "tvOS", 5 },
};
static const struct weighted console_os[] = {
	{ "PlayStation", 55 }, { "Xbox", 45 },
};

/* Most viewers run the newest release; a tail lags behind. */
static const struct weighted tv_ver[] = {
	{ "6.14.2", 48 }, { "6.13.0", 27 }, { "6.12.5", 15 }, { "5.9.8", 10 },
};
static const struct weighted app_ver[] = {
	{ "8.42.1", 55 }, { "8.41.3", 25 }, { "8.40.0", 12 }, { "7.98.6", 8 },
};
static const struct weighted web_ver[] = {
	{ "2026.11.2", 70 }, { "2026.10.4", 25 }, { "2026.9.1", 5 },
};
static const struct weighted console_ver[] = {
	{ "3.8.0", 60 }, { "3.7.2", 30 }, { "3.6.9", 10 },
};

/* conn_weight: ethernet, wifi, 4G, 5G.  max_quality: 3 = UHD, 2 = FHD. */
#define DEVICE(t, w, os, ver, e, wi, g4, g5, q)	\
	{ t, w, os, N(os), ver, N(ver), { e, wi, g4, g5 }, q }
const struct device devices[] = {
	DEVICE("smart_tv", 30, tv_os, tv_ver, 38, 62, 0, 0, 3),
	DEVICE("mobile", 28, mobile_os, app_ver, 0, 45, 35, 20, 2),
	DEVICE("tablet", 9, tablet_os, app_ver, 0, 90, 6, 4, 2),
	DEVICE("desktop", 14, desktop_os, web_ver, 40, 60, 0, 0, 3),
	DEVICE("streaming_stick", 12, stick_os, tv_ver, 10, 90, 0, 0, 3),
	DEVICE("game_console", 7, console_os, console_ver, 55, 45, 0, 0, 3),
};
const unsigned ndevices = N(devices);

const char *const conn_names[CONN_N] = {
	"ethernet", "wifi", "cellular_4g", "cellular_5g",
};
const unsigned conn_median_tenths[CONN_N] = { 900, 450, 180, 700 };

const struct weighted cdns[] = {
	{ "cloudfront", 45 }, { "akamai", 35 }, { "fastly", 20 },
};
const unsigned ncdns = N(cdns);

/*
 * The label ladder: SD covers the old 360p and 480p renditions, HD 720p,
 * FHD 1080p, UHD 2160p.  One label is one rendition, so a quality_change
 * always changes the label.
 */
const char *const quality_names[NQUALITY] = { "SD", "HD", "FHD", "UHD" };
/* Lowest bandwidth, in tenths of Mbit/s, at which each rendition plays. */
const unsigned quality_min_tenths[NQUALITY] = { 0, 50, 80, 250 };

const char *const play_errors[] = {
	"DECODER_ERROR", "DRM_LICENSE_EXPIRED", "MANIFEST_PARSE_ERROR",
	"CDN_HTTP_404", "PLAYER_CRASH",
};
const unsigned nplay_errors = N(play_errors);
const char *const net_errors[] = {
	"NETWORK_TIMEOUT", "CDN_HTTP_503", "CONNECTION_RESET",
};
const unsigned nnet_errors = N(net_errors);
