/*
 * config.c — defaults, config file, CASA_METRICS_* environment, flags.
 *
 * One table (config_keys[]) says what every key is; the file parser, the
 * environment reader, the flag parser and the usage text all read it, so a
 * key cannot exist in one spelling and not in another.
 */
#include "casa/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "casa/date.h"
#include "casa/interval.h"
#include "casa/log.h"
#include "casa/metrics.h"
#include "casa/release.h"
#include "casa/version.h"

#ifndef CASA_DATADIR
#define CASA_DATADIR "/usr/share/casa-metricsd"
#endif

#define ENV_PREFIX   "CASA_METRICS_"
#define KEY_NAME_MAX 40  /* longest key plus room for the prefix spellings */
#define WHY_LEN      128 /* what is wrong with a value */

enum key_type {
	KEY_STRING,   /* any text */
	KEY_NONEMPTY, /* text, not empty */
	KEY_INT,      /* integer in [min, max] */
	KEY_EPSILON,  /* finite double > 0 */
	KEY_LEVEL,    /* confidence level, interval_confidence_valid() */
	KEY_DATE,     /* YYYY-MM-DD or empty (today) */
	KEY_DAY,      /* YYYY-MM-DD, not empty */
	KEY_LISTEN,   /* ADDR:PORT or [V6ADDR]:PORT */
	KEY_MODE,     /* suppress | dp */
	KEY_PLAN,     /* publication plan, release_plan_parse() */
	KEY_BOOL,     /* true | false (also yes/no, on/off, 1/0) */
	KEY_OBSOLETE, /* accepted and ignored, with a warning */
	KEY_ZONE,     /* a zone of the tz database, zone_known() */
	KEY_CONNINFO  /* a libpq conninfo or URI that libpq can parse */
};

struct config_key {
	const char *name;   /* file key; env and flag spellings derive from it */
	enum key_type type; /* how the value is parsed */
	size_t offset;      /* of the field in struct config */
	long min;           /* KEY_INT lower bound */
	long max;           /* KEY_INT upper bound */
	const char *help;   /* one line for --help; says the default */
};

#define FIELD(f) offsetof(struct config, f)
/* A default's number as help text, so the help cannot drift from it. */
#define DEFAULT_TEXT(macro)  DEFAULT_TEXT_(macro)
#define DEFAULT_TEXT_(value) #value

static const struct config_key config_keys[] = {
    {"db", KEY_CONNINFO, FIELD(db), 0, 0,
     "libpq conninfo or URI (default \"\": the PG* environment, as psql)"},
    {"listen", KEY_LISTEN, FIELD(listen), 0, 0,
     "ADDR:PORT to serve on (default 127.0.0.1:8080; [::1]:8080 for IPv6)"},
    {"as_of", KEY_DATE, FIELD(as_of), 0, 0,
     "last day of data, YYYY-MM-DD (default: today in the timezone, each refresh)"},
    {"earliest_date", KEY_DAY, FIELD(earliest_date), 0, 0,
     "first day of data, YYYY-MM-DD: rows starting before it are dropped and counted "
     "(default " CONFIG_DEFAULT_EARLIEST_DATE ")"},
    /* SPEC §5: k = 11 by default (CMS cell-size policy), never below 5. */
    {"min_cell", KEY_INT, FIELD(min_cell), DISCLOSURE_MIN_CELL_FLOOR, 1000000,
     "minimum cell size k (default " DEFAULT_TEXT(CONFIG_DEFAULT_MIN_CELL) ", at least 5)"},
    {"refresh", KEY_INT, FIELD(refresh_s), 1, 7 * 86400, "seconds between refreshes (default 300)"},
    {"refresh_deadline", KEY_INT, FIELD(refresh_deadline_s), 1, 7 * 86400,
     "a refresh running longer than this many seconds marks the served data stale until it "
     "ends (default 600)"},
    {"state_dir", KEY_NONEMPTY, FIELD(state_dir), 0, 0,
     "persisted snapshot and DP key (default /var/lib/casa-metricsd)"},
    {"schema", KEY_NONEMPTY, FIELD(schema), 0, 0, "source schema (default deid)"},
    {"timezone", KEY_ZONE, FIELD(timezone), 0, 0,
     "IANA time zone for timestamps and today (default $TZ, /etc/timezone, UTC)"},
    {"fiscal_year_start_month", KEY_INT, FIELD(fy_start_month), 1, 12,
     "first month of the fiscal year (default " DEFAULT_TEXT(
         CONFIG_DEFAULT_FY_START_MONTH) ", US federal)"},
    {"screening_window_hours", KEY_INT, FIELD(screening_window_hours), 1, 24 * 366,
     "trafficking screening window after return, hours (default " DEFAULT_TEXT(
         CONFIG_DEFAULT_SCREENING_WINDOW_HOURS) ")"},
    {"disclosure_mode", KEY_MODE, FIELD(disclosure_mode), 0, 0, "suppress (default) or dp"},
    {"publish", KEY_PLAN, FIELD(publish), 0, 0,
     "published tables, period type:breakdowns (default \"month:total quarter:all year:all "
     "fiscal_year:all\")"},
    /* SPEC §5: breakdowns wait 30 days after their period closes. */
    {"settle_days", KEY_INT, FIELD(settle_days), 0, RELEASE_MAX_SETTLE_DAYS,
     "days after a period closes before its breakdowns are published and frozen (default "
     "30)"},
    {"revise", KEY_BOOL, FIELD(revise), 0, 0,
     "recompute frozen periods from today's data in the next releases (default false)"},
    {"suppression_year", KEY_OBSOLETE, 0, 0, 0,
     "obsolete: the publication plan (publish) replaced it; ignored"},
    {"dp_epsilon", KEY_EPSILON, FIELD(dp_epsilon), 0, 0,
     "dp mode: total privacy budget epsilon, > 0 (default 1.0)"},
    {"confidence", KEY_LEVEL, FIELD(confidence), 0, 0,
     "level of every published interval, 0.80 to 0.999 (default " DEFAULT_TEXT(
         CONFIG_DEFAULT_CONFIDENCE) ")"},
    {"metrics_threads", KEY_INT, FIELD(metrics_threads), 1, METRICS_THREADS_MAX,
     "threads computing the metrics, each over a slice of the children (default " DEFAULT_TEXT(
         CONFIG_DEFAULT_METRICS_THREADS) ")"},
    {"cors_origins", KEY_STRING, FIELD(cors_origins), 0, 0,
     "comma-separated allowed CORS origins, * for any (default none)"},
    {"api_tokens", KEY_STRING, FIELD(api_tokens), 0, 0,
     "comma-separated bearer tokens; empty = open API (default)"},
    {"api_tokens_file", KEY_STRING, FIELD(api_tokens_file), 0, 0,
     "file with one bearer token per line (default none)"},
    {"dashboard_dir", KEY_NONEMPTY, FIELD(dashboard_dir), 0, 0,
     "dashboard files served at / (default " CASA_DATADIR "/dashboards or ./dashboards)"},
    {"statement_timeout", KEY_INT, FIELD(statement_timeout_s), 0, 86400,
     "per-statement timeout of the pull, seconds, 0 = none (default 600)"},
    {"connect_timeout", KEY_INT, FIELD(connect_timeout_s), 0, 3600,
     "database connect timeout, seconds (default 10)"},
    {"max_age", KEY_INT, FIELD(max_age_s), 1, 365 * 86400,
     "full pull at least this often even if the refresh key is unchanged (default 86400)"},
    {"source_parallel", KEY_INT, FIELD(source_parallel), 1, 16,
     "database connections pulling tables at once (default 2)"},
    {"http_threads", KEY_INT, FIELD(http_threads), 1, 256, "HTTP worker threads (default 4)"},
    {"http_connection_limit", KEY_INT, FIELD(http_connection_limit), 1, 1000000,
     "concurrent HTTP connections (default 4096)"},
    {"http_per_ip_limit", KEY_INT, FIELD(http_per_ip_limit), 0, 1000000,
     "concurrent connections per client address, 0 = no limit (default 64)"},
    {"http_timeout", KEY_INT, FIELD(http_timeout_s), 1, 3600,
     "idle HTTP connection timeout, seconds (default 30)"},
    {"http_header_timeout", KEY_INT, FIELD(http_header_timeout_s), 1, 3600,
     "seconds a client has to send a whole request, from its connect (default 10)"},
    {"require_read_only", KEY_BOOL, FIELD(require_read_only), 0, 0,
     "refuse to read with a database role that can write or is a superuser (default "
     "false: warn)"},
};

static const struct config_key *key_find(const char *name, size_t n)
{
	for (size_t i = 0; i < CASA_ARRAY_LEN(config_keys); i++)
		if (strlen(config_keys[i].name) == n && memcmp(config_keys[i].name, name, n) == 0)
			return &config_keys[i];
	return NULL;
}

/* -fanalyzer: "leak of copy" reached from load_flags(), where field is
 * &config->config_file or &config->output picked by a ?: — GCC 12 loses the
 * pointer stored through it; config_free() frees both. */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
static bool set_string(char **field, const char *value)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return false;
	free(*field);
	*field = copy;
	return true;
}
CASA_ANALYZER_END

/* A zone name the daemon can use: a TZif file of the tz database that both
 * glibc and PostgreSQL read (Debian builds PostgreSQL on the system's
 * tzdata), by its relative name only. An unknown name makes glibc use UTC
 * and every refresh fail at SET TimeZone, so it is refused up front. "UTC"
 * needs no file: both know it without tzdata. */
static bool zone_known(const char *name)
{
	char path[512];
	unsigned char magic[4];
	const char *dir = getenv("TZDIR");
	if (strcmp(name, "UTC") == 0)
		return true;
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") !=
	        strlen(name))
		return false;
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	          read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	          memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* Parses "ADDR:PORT" / "[V6]:PORT" with a numeric address (no name lookup:
 * the daemon binds exactly what the operator wrote). */
static bool parse_listen(const char *value, char host[CONFIG_HOST_LEN], uint16_t *port,
                         const char **why)
{
	const char *colon;
	size_t host_len;
	const char *host_start = value;
	unsigned char addr[16];
	if (value[0] == '[') {
		const char *close = strchr(value, ']');
		if (close == NULL || close[1] != ':') {
			*why = "expected [IPV6]:PORT";
			return false;
		}
		host_start = value + 1;
		host_len = (size_t)(close - host_start);
		colon = close + 1;
	} else {
		colon = strrchr(value, ':');
		if (colon == NULL) {
			*why = "expected ADDR:PORT";
			return false;
		}
		host_len = (size_t)(colon - value);
	}
	if (host_len == 0 || host_len >= CONFIG_HOST_LEN) {
		*why = "expected ADDR:PORT with a numeric address";
		return false;
	}
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';
	if (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1) {
		*why = "address must be a numeric IPv4 or IPv6 address";
		return false;
	}
	if (value[0] != '[' && strchr(host, ':') != NULL) {
		*why = "write an IPv6 address in brackets, [::1]:8080";
		return false;
	}
	char *end;
	errno = 0;
	long number = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || number < 1 || number > 65535) {
		*why = "port must be 1..65535";
		return false;
	}
	*port = (uint16_t)number;
	return true;
}

/* Sets one key from text. On failure why says what is wrong (never the
 * value itself) and false is returned. */
static bool key_set(struct config *config, const struct config_key *key, const char *value,
                    char why[WHY_LEN])
{
	char *base = (char *)config + key->offset;
	char *end;
	switch (key->type) {
	case KEY_NONEMPTY:
		if (value[0] == '\0') {
			snprintf(why, WHY_LEN, "must not be empty");
			return false;
		}
		/* fall through */
	case KEY_STRING:
		if (!set_string((char **)(void *)base, value)) {
			snprintf(why, WHY_LEN, "out of memory");
			return false;
		}
		return true;
	case KEY_INT: {
		errno = 0;
		long number = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno != 0 || number < key->min ||
		    number > key->max) {
			snprintf(why, WHY_LEN, "must be an integer from %ld to %ld", key->min,
			         key->max);
			return false;
		}
		*(int *)(void *)base = (int)number;
		return true;
	}
	case KEY_EPSILON: {
		errno = 0;
		double number = strtod(value, &end);
		if (value[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(number) ||
		    number <= 0) {
			snprintf(why, WHY_LEN, "must be a number greater than 0");
			return false;
		}
		*(double *)(void *)base = number;
		return true;
	}
	case KEY_LEVEL: {
		errno = 0;
		double level = strtod(value, &end);
		if (value[0] == '\0' || *end != '\0' || errno != 0 ||
		    !interval_confidence_valid(level)) {
			snprintf(why, WHY_LEN, "must be a number from 0.80 to 0.999");
			return false;
		}
		*(double *)(void *)base = level;
		return true;
	}
	case KEY_DATE: {
		int32_t day;
		if (value[0] == '\0') {
			*(int32_t *)(void *)base = CONFIG_AS_OF_TODAY;
			return true;
		}
		if (!date_parse(value, strlen(value), &day)) {
			snprintf(why, WHY_LEN,
			         "must be a calendar date YYYY-MM-DD, or empty for today");
			return false;
		}
		*(int32_t *)(void *)base = day;
		return true;
	}
	case KEY_DAY: {
		int32_t day;
		if (!date_parse(value, strlen(value), &day)) {
			snprintf(why, WHY_LEN, "must be a calendar date YYYY-MM-DD");
			return false;
		}
		*(int32_t *)(void *)base = day;
		return true;
	}
	case KEY_LISTEN: {
		const char *reason = NULL;
		if (!parse_listen(value, config->listen_host, &config->listen_port, &reason)) {
			snprintf(why, WHY_LEN, "%s", reason);
			return false;
		}
		if (!set_string(&config->listen, value)) {
			snprintf(why, WHY_LEN, "out of memory");
			return false;
		}
		return true;
	}
	case KEY_CONNINFO: {
		if (!config_db_check(value, why, WHY_LEN))
			return false;
		if (!set_string((char **)(void *)base, value)) {
			snprintf(why, WHY_LEN, "out of memory");
			return false;
		}
		return true;
	}
	case KEY_MODE:
		if (!disclosure_mode_parse(value, &config->disclosure_mode)) {
			snprintf(why, WHY_LEN, "must be suppress or dp");
			return false;
		}
		return true;
	case KEY_ZONE:
		if (!zone_known(value)) {
			snprintf(why, WHY_LEN,
			         "not a zone of the tz database (e.g. America/Chicago or UTC)");
			return false;
		}
		if (!set_string((char **)(void *)base, value)) {
			snprintf(why, WHY_LEN, "out of memory");
			return false;
		}
		return true;
	case KEY_PLAN: {
		char err[RELEASE_ERROR_LEN];
		if (!release_plan_parse(value, (struct release_plan *)(void *)base, err)) {
			snprintf(why, WHY_LEN, "%.120s", err);
			return false;
		}
		return true;
	}
	case KEY_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "on") == 0 || strcmp(value, "1") == 0) {
			*(bool *)(void *)base = true;
			return true;
		}
		if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		    strcmp(value, "off") == 0 || strcmp(value, "0") == 0) {
			*(bool *)(void *)base = false;
			return true;
		}
		snprintf(why, WHY_LEN, "must be true or false");
		return false;
	case KEY_OBSOLETE:
		log_warnx("config: %s is obsolete and ignored (see publish and settle_days)",
		          key->name);
		return true;
	}
	snprintf(why, WHY_LEN, "unknown key type");
	return false;
}

/* The default timezone (SPEC §3: the daemon's TZ): $TZ, /etc/timezone, the
 * /etc/localtime link target, else UTC. */
static void default_timezone(char *out, size_t n)
{
	const char *tz = getenv("TZ");
	char buffer[256];
	if (tz != NULL && tz[0] == ':')
		tz++;
	if (tz != NULL && tz[0] != '\0') {
		snprintf(out, n, "%s", tz);
		return;
	}
	FILE *file = fopen("/etc/timezone", "r");
	if (file != NULL) {
		bool got = fgets(buffer, sizeof(buffer), file) != NULL;
		fclose(file);
		buffer[strcspn(buffer, " \t\r\n")] = '\0';
		if (got && buffer[0] != '\0') {
			snprintf(out, n, "%s", buffer);
			return;
		}
	}
	ssize_t len = readlink("/etc/localtime", buffer, sizeof(buffer) - 1);
	if (len > 0) {
		buffer[len] = '\0';
		const char *zone = strstr(buffer, "zoneinfo/");
		if (zone != NULL && zone[9] != '\0') {
			snprintf(out, n, "%s", zone + 9);
			return;
		}
	}
	snprintf(out, n, "UTC");
}

static bool set_defaults(struct config *config)
{
	char zone[256]; /* not "timezone": <time.h> declares that */
	struct stat st;
	const char *dashboards = CASA_DATADIR "/dashboards";
	memset(config, 0, sizeof(*config));
	default_timezone(zone, sizeof(zone));
	if (stat(dashboards, &st) != 0 || !S_ISDIR(st.st_mode))
		dashboards = "./dashboards";
	config->as_of = CONFIG_AS_OF_TODAY;
	config->earliest_date = config_default_earliest_date();
	config->min_cell = CONFIG_DEFAULT_MIN_CELL;
	config->refresh_s = 300;
	/* Ten minutes: four times the 139 s docs/scaling.md extrapolates for 5M
	 * children, and the default statement_timeout of one statement. */
	config->refresh_deadline_s = 600;
	config->fy_start_month = CONFIG_DEFAULT_FY_START_MONTH;
	config->screening_window_hours = CONFIG_DEFAULT_SCREENING_WINDOW_HOURS;
	config->disclosure_mode = DISCLOSURE_SUPPRESS;
	config->dp_epsilon = 1.0;
	release_plan_default(&config->publish);
	config->settle_days = RELEASE_DEFAULT_SETTLE_DAYS;
	config->confidence = CONFIG_DEFAULT_CONFIDENCE;
	config->metrics_threads = CONFIG_DEFAULT_METRICS_THREADS;
	config->statement_timeout_s = 600;
	config->connect_timeout_s = 10;
	config->max_age_s = 86400;
	config->source_parallel = 2;
	config->http_threads = 4;
	/* slow clients must not fill it (issue 16): 4096 descriptors cost
	 * nothing until used, and the daemon raises its own open-file limit */
	config->http_connection_limit = 4096;
	config->http_per_ip_limit = 64;
	config->http_timeout_s = 30;
	/* a browser or scraper sends its request with its connection: 10 s
	 * covers a slow mobile link, and rotates a slow client's slot */
	config->http_header_timeout_s = 10;
	snprintf(config->listen_host, sizeof(config->listen_host), "127.0.0.1");
	config->listen_port = 8080;
	return set_string(&config->db, "") && set_string(&config->schema, "deid") &&
	       set_string(&config->timezone, zone) &&
	       set_string(&config->state_dir, "/var/lib/casa-metricsd") &&
	       set_string(&config->listen, "127.0.0.1:8080") &&
	       set_string(&config->cors_origins, "") && set_string(&config->api_tokens, "") &&
	       set_string(&config->api_tokens_file, "") &&
	       set_string(&config->dashboard_dir, dashboards);
}

static char *trim(char *text)
{
	while (*text == ' ' || *text == '\t')
		text++;
	size_t n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		text[--n] = '\0';
	return text;
}

/* Reads `key = value` lines: # starts a comment line; a value may be wrapped
 * in matching single or double quotes (kept verbatim inside). Comments are
 * whole lines only, because a conninfo password may contain '#'. */
static bool load_stream(struct config *config, FILE *file, const char *path,
                        char err[CONFIG_ERROR_LEN])
{
	char *line = NULL;
	size_t cap = 0;
	unsigned line_no = 0;
	char why[WHY_LEN];
	unsigned first_line[CASA_ARRAY_LEN(config_keys)] = {0}; /* 0: not set yet */
	while (getline(&line, &cap, file) != -1) {
		line_no++;
		char *text = trim(line);
		if (text[0] == '\0' || text[0] == '#')
			continue;
		char *equals = strchr(text, '=');
		if (equals == NULL) {
			snprintf(err, CONFIG_ERROR_LEN, "%s:%u: expected key = value", path,
			         line_no);
			goto fail;
		}
		*equals = '\0';
		char *name = trim(text);
		char *value = trim(equals + 1);
		const struct config_key *key = key_find(name, strlen(name));
		if (key == NULL) {
			/* The unknown key name is the operator's own text, not data. */
			snprintf(err, CONFIG_ERROR_LEN, "%s:%u: unknown key \"%.64s\"", path,
			         line_no, name);
			goto fail;
		}
		/* Twice in one file is a mistake (which one was meant?), not an
		 * override: overrides are what the environment and flags are for. */
		size_t k = (size_t)(key - config_keys);
		if (first_line[k] != 0) {
			snprintf(err, CONFIG_ERROR_LEN, "%s:%u: %s: set again (first on line %u)",
			         path, line_no, key->name, first_line[k]);
			goto fail;
		}
		first_line[k] = line_no;
		size_t len = strlen(value);
		if (len > 0 && (value[0] == '"' || value[0] == '\'')) {
			if (len < 2 || value[len - 1] != value[0]) {
				snprintf(err, CONFIG_ERROR_LEN, "%s:%u: %s: unterminated quote",
				         path, line_no, key->name);
				goto fail;
			}
			value[len - 1] = '\0';
			value++;
		}
		if (!key_set(config, key, value, why)) {
			snprintf(err, CONFIG_ERROR_LEN, "%s:%u: %s: %s", path, line_no, key->name,
			         why);
			goto fail;
		}
	}
	if (ferror(file)) {
		snprintf(err, CONFIG_ERROR_LEN, "config: cannot read %s", path);
		goto fail;
	}
	free(line);
	return true;
fail:
	free(line);
	return false;
}

static bool load_file(struct config *config, const char *path, char err[CONFIG_ERROR_LEN])
{
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		snprintf(err, CONFIG_ERROR_LEN, "config: cannot open %s: %s", path,
		         strerror(errno));
		return false;
	}
	bool ok = load_stream(config, file, path, err);
	fclose(file);
	return ok;
}

/* env name of a key: CASA_METRICS_ + upper case. */
static void env_name(const struct config_key *key, char *out, size_t n)
{
	size_t i = (size_t)snprintf(out, n, ENV_PREFIX);
	for (const char *c = key->name; *c != '\0' && i + 1 < n; c++)
		out[i++] = (char)toupper((unsigned char)*c);
	out[i] = '\0';
}

static bool load_environment(struct config *config, char err[CONFIG_ERROR_LEN])
{
	extern char **environ;
	char name[KEY_NAME_MAX + sizeof(ENV_PREFIX)];
	char why[WHY_LEN];
	/* Unknown CASA_METRICS_* variables are refused like unknown file keys:
	 * a typo must not silently fall back to a default. */
	for (char **entry = environ; entry != NULL && *entry != NULL; entry++) {
		if (strncmp(*entry, ENV_PREFIX, strlen(ENV_PREFIX)) != 0)
			continue;
		const char *suffix = *entry + strlen(ENV_PREFIX);
		size_t n = strcspn(suffix, "=");
		bool known = n == 6 && strncmp(suffix, "CONFIG", 6) == 0; /* the file itself */
		for (size_t i = 0; i < CASA_ARRAY_LEN(config_keys) && !known; i++) {
			env_name(&config_keys[i], name, sizeof(name));
			known = strlen(name) == strlen(ENV_PREFIX) + n &&
			        strncmp(name + strlen(ENV_PREFIX), suffix, n) == 0;
		}
		if (!known) {
			snprintf(err, CONFIG_ERROR_LEN, "environment: unknown variable %s%.*s",
			         ENV_PREFIX, (int)(n > 64 ? 64 : n), suffix);
			return false;
		}
	}
	for (size_t i = 0; i < CASA_ARRAY_LEN(config_keys); i++) {
		env_name(&config_keys[i], name, sizeof(name));
		const char *value = getenv(name);
		if (value == NULL)
			continue;
		if (!key_set(config, &config_keys[i], value, why)) {
			snprintf(err, CONFIG_ERROR_LEN, "environment %s: %s: %s", name,
			         config_keys[i].name, why);
			return false;
		}
	}
	return true;
}

/* Maps "--min-cell" (n bytes after the dashes) to its key. */
static const struct config_key *flag_find(const char *flag, size_t n)
{
	char name[KEY_NAME_MAX];
	if (n >= sizeof(name))
		return NULL;
	for (size_t i = 0; i < n; i++)
		name[i] = flag[i] == '-' ? '_' : flag[i];
	name[n] = '\0';
	return key_find(name, n);
}

enum flag_pass {
	PASS_COMMAND, /* --config, --once, --output, --check-config, --help, --version */
	PASS_KEYS     /* every --<key> */
};

/* Walks argv twice: first the command options (to find the file), then the
 * key flags, so that flags beat the file and the environment. */
static bool load_flags(struct config *config, int argc, char *const argv[], enum flag_pass pass,
                       char err[CONFIG_ERROR_LEN])
{
	static const char *const no_value[] = {"once", "check-config", "help", "version"};
	char why[WHY_LEN];
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			snprintf(err, CONFIG_ERROR_LEN,
			         "unexpected argument %d (options start with --)", i);
			return false;
		}
		const char *flag = arg + 2;
		const char *equals = strchr(flag, '=');
		size_t n = equals != NULL ? (size_t)(equals - flag) : strlen(flag);
		bool is_switch = false;
		for (size_t s = 0; s < CASA_ARRAY_LEN(no_value); s++)
			if (strlen(no_value[s]) == n && strncmp(flag, no_value[s], n) == 0)
				is_switch = true;
		if (is_switch) {
			if (equals != NULL) {
				snprintf(err, CONFIG_ERROR_LEN, "--%.*s takes no value", (int)n,
				         flag);
				return false;
			}
			if (pass == PASS_COMMAND) {
				if (strncmp(flag, "once", n) == 0)
					config->once = true;
				else if (strncmp(flag, "check-config", n) == 0)
					config->check_config = true;
				else if (strncmp(flag, "help", n) == 0)
					config->show_help = true;
				else
					config->show_version = true;
			}
			continue;
		}
		bool is_command = (n == 6 && strncmp(flag, "config", 6) == 0) ||
		                  (n == 6 && strncmp(flag, "output", 6) == 0);
		const struct config_key *key = is_command ? NULL : flag_find(flag, n);
		if (!is_command && key == NULL) {
			snprintf(err, CONFIG_ERROR_LEN, "unknown option --%.*s",
			         (int)(n > 64 ? 64 : n), flag);
			return false;
		}
		const char *value = equals != NULL ? equals + 1 : NULL;
		if (value == NULL) {
			if (i + 1 >= argc) {
				snprintf(err, CONFIG_ERROR_LEN, "--%.*s: needs a value", (int)n,
				         flag);
				return false;
			}
			value = argv[++i];
		}
		if (is_command) {
			if (pass != PASS_COMMAND)
				continue;
			char **field = flag[0] == 'c' ? &config->config_file : &config->output;
			if (value[0] == '\0') {
				snprintf(err, CONFIG_ERROR_LEN, "--%.*s: must not be empty", (int)n,
				         flag);
				return false;
			}
			if (!set_string(field, value)) {
				snprintf(err, CONFIG_ERROR_LEN, "out of memory");
				return false;
			}
			continue;
		}
		if (pass == PASS_KEYS && !key_set(config, key, value, why)) {
			snprintf(err, CONFIG_ERROR_LEN, "--%.*s: %s: %s", (int)n, flag, key->name,
			         why);
			return false;
		}
	}
	return true;
}

/* Appends the tokens of api_tokens_file (one per line, # comments) to
 * api_tokens, giving config->tokens. Never prints a token. */
static bool load_tokens(struct config *config, char err[CONFIG_ERROR_LEN])
{
	FILE *file = NULL;
	char *line = NULL;
	size_t cap = 0;
	unsigned line_no = 0;
	if (!set_string(&config->tokens, config->api_tokens)) {
		snprintf(err, CONFIG_ERROR_LEN, "api_tokens: out of memory");
		goto fail;
	}
	if (config->api_tokens_file[0] == '\0')
		return true;
	file = fopen(config->api_tokens_file, "r");
	if (file == NULL) {
		snprintf(err, CONFIG_ERROR_LEN, "api_tokens_file: cannot open %s: %s",
		         config->api_tokens_file, strerror(errno));
		return false;
	}
	while (getline(&line, &cap, file) != -1) {
		line_no++;
		char *token = trim(line);
		if (token[0] == '\0' || token[0] == '#')
			continue;
		if (strpbrk(token, ", \t") != NULL) {
			snprintf(err, CONFIG_ERROR_LEN,
			         "api_tokens_file: %s:%u: a token may not contain commas or blanks",
			         config->api_tokens_file, line_no);
			goto fail;
		}
		size_t old = strlen(config->tokens);
		char *joined = realloc(config->tokens, old + strlen(token) + 2);
		if (joined == NULL) {
			snprintf(err, CONFIG_ERROR_LEN, "api_tokens_file: out of memory");
			goto fail;
		}
		config->tokens = joined;
		snprintf(joined + old, strlen(token) + 2, "%s%s", old > 0 ? "," : "", token);
	}
	free(line);
	fclose(file);
	return true;
fail:
	free(line);
	if (file != NULL)
		fclose(file);
	return false;
}

/* Checks that span keys or need the file system. */
static bool validate(struct config *config, char err[CONFIG_ERROR_LEN])
{
	/* a zone set by key is checked already; this also covers the default
	 * taken from $TZ or /etc/timezone */
	if (!zone_known(config->timezone)) {
		snprintf(err, CONFIG_ERROR_LEN,
		         "timezone: not a zone of the tz database (the default comes from $TZ, "
		         "/etc/timezone or /etc/localtime: set timezone)");
		return false;
	}
	/* An earliest_date after as_of leaves no row to compute: a mistake in
	 * the setting, not an empty program. Today is the UTC date here: a day
	 * of slack either way is not what this catches. */
	int32_t as_of =
	    config->as_of != CONFIG_AS_OF_TODAY ? config->as_of : (int32_t)(time(NULL) / 86400);
	if (config->earliest_date > as_of) {
		snprintf(err, CONFIG_ERROR_LEN, "earliest_date: after as_of (%s)",
		         config->as_of != CONFIG_AS_OF_TODAY ? "as set" : "today");
		return false;
	}
	if (config->once && config->output == NULL) {
		snprintf(err, CONFIG_ERROR_LEN, "--once needs --output DIR");
		return false;
	}
	if (!config->once && config->output != NULL) {
		snprintf(err, CONFIG_ERROR_LEN, "--output is only used with --once");
		return false;
	}
	return load_tokens(config, err);
}

bool config_load(struct config *out, int argc, char *const argv[], char err[CONFIG_ERROR_LEN])
{
	err[0] = '\0';
	if (!set_defaults(out)) {
		snprintf(err, CONFIG_ERROR_LEN, "out of memory");
		goto fail;
	}
	if (!load_flags(out, argc, argv, PASS_COMMAND, err))
		goto fail;
	if (out->show_help || out->show_version)
		return true;
	/* SPEC §6: every option has an environment variable, --config too. */
	const char *env_file = getenv(ENV_PREFIX "CONFIG");
	if (out->config_file == NULL && env_file != NULL && env_file[0] != '\0' &&
	    !set_string(&out->config_file, env_file)) {
		snprintf(err, CONFIG_ERROR_LEN, "out of memory");
		goto fail;
	}
	if (out->config_file != NULL && !load_file(out, out->config_file, err))
		goto fail;
	if (!load_environment(out, err))
		goto fail;
	if (!load_flags(out, argc, argv, PASS_KEYS, err))
		goto fail;
	if (!validate(out, err))
		goto fail;
	return true;
fail:
	config_free(out);
	return false;
}

bool config_parse_text(struct config *out, const char *text, size_t len, const char *name,
                       char err[CONFIG_ERROR_LEN])
{
	FILE *file = NULL;
	err[0] = '\0';
	if (!set_defaults(out)) {
		snprintf(err, CONFIG_ERROR_LEN, "out of memory");
		goto fail;
	}
	/* fmemopen() refuses a zero-length buffer; an empty file sets nothing */
	if (len > 0) {
		file = fmemopen((void *)(uintptr_t)text, len, "r");
		if (file == NULL) {
			snprintf(err, CONFIG_ERROR_LEN, "config: %s: %s", name, strerror(errno));
			goto fail;
		}
		if (!load_stream(out, file, name, err))
			goto fail;
		fclose(file);
		file = NULL;
	}
	if (!zone_known(out->timezone)) {
		snprintf(err, CONFIG_ERROR_LEN, "timezone: not a zone of the tz database");
		goto fail;
	}
	return true;
fail:
	if (file != NULL)
		fclose(file);
	config_free(out);
	return false;
}

void config_free(struct config *config)
{
	free(config->db);
	free(config->schema);
	free(config->timezone);
	free(config->state_dir);
	free(config->listen);
	free(config->cors_origins);
	free(config->api_tokens);
	free(config->api_tokens_file);
	free(config->tokens);
	free(config->dashboard_dir);
	free(config->config_file);
	free(config->output);
	memset(config, 0, sizeof(*config));
}

int32_t config_default_earliest_date(void)
{
	int32_t day = 0;
	/* a constant that parses: checked by test_config */
	(void)date_parse(CONFIG_DEFAULT_EARLIEST_DATE, strlen(CONFIG_DEFAULT_EARLIEST_DATE), &day);
	return day;
}

void config_usage(FILE *out)
{
	fprintf(out,
	        "usage: casa-metricsd [--config FILE] [--db CONNINFO] [--listen ADDR:PORT]\n"
	        "                     [--as-of YYYY-MM-DD] [--min-cell N] [--refresh SECONDS]\n"
	        "                     [--state-dir DIR] [--once --output DIR] [--check-config]\n"
	        "                     [--version] [--help] [--<key> VALUE ...]\n\n"
	        "  --config FILE        read `key = value` settings from FILE (or "
	        "CASA_METRICS_CONFIG)\n"
	        "  --once --output DIR  compute one snapshot, write every table as JSON and\n"
	        "                       CSV under DIR, exit (1 if the database is unreachable)\n"
	        "  --check-config       print \"configuration OK\" or the error, exit\n"
	        "  --version, --help\n\n"
	        "Settings (flag --key-name VALUE, file key key_name, environment\n"
	        "CASA_METRICS_KEY_NAME; flags beat the environment, which beats the file):\n");
	for (size_t i = 0; i < CASA_ARRAY_LEN(config_keys); i++) {
		char flag[KEY_NAME_MAX];
		size_t n = strlen(config_keys[i].name);
		for (size_t c = 0; c <= n; c++)
			flag[c] = config_keys[i].name[c] == '_' ? '-' : config_keys[i].name[c];
		fprintf(out, "  --%-24s %s\n", flag, config_keys[i].help);
	}
	fprintf(out, "\ncasa-metricsd %s\n", CASA_VERSION);
}
