/*
 * config.h — every setting of the daemon, where it comes from, and how it is
 * checked (SPEC §6, §7).
 *
 * Precedence, lowest first: built-in defaults < config file (--config FILE)
 * < CASA_METRICS_* environment variables < command-line flags. Each key has
 * the three spellings: file key `min_cell`, environment variable
 * `CASA_METRICS_MIN_CELL`, flag `--min-cell N` (or `--min-cell=N`).
 *
 * Every error message names the key (and FILE:LINE for the config file) but
 * never echoes a value: `db` may hold a password and `api_tokens` are
 * secrets, so no value is ever copied into a message.
 *
 * Ownership: config_load() fills a struct config that owns all its strings;
 * release it with config_free(). A struct config is not shared between
 * threads: the daemon hands whole configs over (see daemon.h).
 */
#ifndef CASA_CONFIG_H
#define CASA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "casa/common.h"
#include "casa/disclosure.h"
#include "casa/release.h"

#define CONFIG_ERROR_LEN 512
#define CONFIG_HOST_LEN  64 /* an IPv6 literal is at most 45 characters */
/* as_of when the key is empty: today in the configured timezone, evaluated
 * again at every refresh (SPEC §3). */
#define CONFIG_AS_OF_TODAY INT32_MIN
/* Defaults of the settings the stages take as explicit values: the one home
 * of these numbers. Tools and tests that run a stage without a config pass
 * these too. */
#define CONFIG_DEFAULT_FY_START_MONTH         10 /* SPEC §3: US federal fiscal year */
#define CONFIG_DEFAULT_SCREENING_WINDOW_HOURS 72 /* SPEC §4 */
/* SPEC §5: k = 11, the CMS cell-size suppression policy (never below
 * DISCLOSURE_MIN_CELL_FLOOR). */
#define CONFIG_DEFAULT_MIN_CELL   11
#define CONFIG_DEFAULT_CONFIDENCE 0.95 /* issue 14, docs/methods.md "The level" */
/* Threads of the metric passes (issue 15): the benchmark machine's cores. */
#define CONFIG_DEFAULT_METRICS_THREADS 2
/* earliest_date: rows starting before it are dropped and counted, never
 * computed (issue 16 row 1: one episode dated 1950 made a refresh take
 * minutes). A child removed before 2000 turned 21, the end of extended
 * foster care, by 2020 at the latest: no open episode predates it. */
#define CONFIG_DEFAULT_EARLIEST_DATE "2000-01-01"

struct config {
	/* source (SPEC §2, §6) */
	char *db;                /* libpq conninfo; "" = PG* environment */
	char *schema;            /* de-identified schema, default "deid" */
	char *timezone;          /* IANA name for timestamp -> date */
	int statement_timeout_s; /* per statement, 0 = none; default 600 */
	int connect_timeout_s;   /* libpq connect_timeout; default 10 */
	int source_parallel;     /* connections pulling at once; default 2 */
	bool require_read_only;  /* refuse a role that can write (default: warn) */
	/* metrics (SPEC §3, §4) */
	int32_t as_of;              /* day number, or CONFIG_AS_OF_TODAY */
	int32_t earliest_date;      /* day number: rows starting before it are dropped */
	int fy_start_month;         /* 1..12, CONFIG_DEFAULT_FY_START_MONTH */
	int screening_window_hours; /* screened_after_return window, hours,
	                               CONFIG_DEFAULT_SCREENING_WINDOW_HOURS */
	double confidence;          /* level of published intervals,
	                               CONFIG_DEFAULT_CONFIDENCE */
	int metrics_threads;        /* threads of the metric passes,
	                               CONFIG_DEFAULT_METRICS_THREADS */
	/* disclosure (SPEC §5) */
	enum disclosure_mode disclosure_mode; /* suppress (default) or dp */
	struct release_plan publish;          /* published tables (SPEC §5) */
	int settle_days;                      /* breakdowns wait this long after a period */
	bool revise;                          /* revision releases: recompute frozen periods */
	int min_cell;                         /* k, CONFIG_DEFAULT_MIN_CELL, never below 5 */
	double dp_epsilon;                    /* dp budget, > 0, default 1.0 */
	/* schedule and state (SPEC §7) */
	int refresh_s;          /* seconds between refreshes, >= 1 */
	int refresh_deadline_s; /* a refresh running longer marks the data stale */
	int max_age_s;          /* full pull at least this often */
	char *state_dir;        /* persisted snapshot and secret.key */
	/* http (SPEC §6) */
	char *listen;                      /* "ADDR:PORT" as configured */
	char listen_host[CONFIG_HOST_LEN]; /* parsed from listen, no brackets */
	uint16_t listen_port;              /* parsed from listen */
	char *cors_origins;                /* comma-separated, "*" allowed, "" = none */
	char *api_tokens;                  /* comma-separated bearer tokens as set */
	char *api_tokens_file;             /* one token per line; "" = none */
	char *tokens;                      /* api_tokens plus the file's: what http gets */
	char *dashboard_dir;               /* served at / */
	int http_threads;                  /* worker threads, default 4 */
	int http_connection_limit;         /* total connections, default 4096 */
	int http_per_ip_limit;             /* per client address, 0 = no limit */
	int http_timeout_s;                /* idle connection timeout, default 30 */
	int http_header_timeout_s;         /* time for a whole request, default 10 */
	/* command line only */
	char *config_file; /* --config FILE, NULL when none */
	char *output;      /* --output DIR (with --once), else NULL */
	bool once;         /* --once: one snapshot to files, exit */
	bool check_config; /* --check-config */
	bool show_version; /* --version */
	bool show_help;    /* --help */
};

/*
 * Builds the configuration from defaults, the file named by --config, the
 * environment and argv (argv[0] is the program name). On success *out owns
 * its strings (config_free). On failure writes a message naming the key into
 * err and leaves *out zeroed. When --help or --version is given, returns true
 * at once with defaults (no file or environment is read).
 */
bool config_load(struct config *out, int argc, char *const argv[],
                 char err[CONFIG_ERROR_LEN]) CASA_MUSTCHECK;
void config_free(struct config *config);

/*
 * The config-file grammar over a buffer (tests and the fuzz harness,
 * tests/fuzz/): defaults, then the len bytes of text (no NUL needed) read as
 * the file called name. No environment, no flags, no token file. Same
 * ownership and failure contract as config_load().
 */
bool config_parse_text(struct config *out, const char *text, size_t len, const char *name,
                       char err[CONFIG_ERROR_LEN]) CASA_MUSTCHECK;

/* Prints the usage text (every flag, with its default) to out. */
void config_usage(FILE *out);

/* CONFIG_DEFAULT_EARLIEST_DATE as a day number, for the tools and tests that
 * run model_build() without a config. */
int32_t config_default_earliest_date(void);

/*
 * src/config_db.c: the conninfo as the daemon checks, shows and hides it.
 *
 * config_describe_db() writes a loggable description of a conninfo: host,
 * port and dbname only, never the password or any other key (SPEC §7: the
 * password never appears in logs); a field that could hold part of a
 * password (a URI with an unescaped '@' or '/') is not shown, and an
 * unparsable conninfo gives "(unparsable conninfo)".
 */
void config_describe_db(const char *conninfo, char *out, size_t n);
/* Whether conninfo parses and its host and port are plausible; false with
 * the reason (never the value) in why. The `db` key's check. */
bool config_db_check(const char *conninfo, char *why, size_t n) CASA_MUSTCHECK;
/* What the persisted state was read from: "host=H port=P dbname=D schema=S"
 * (config_describe_db plus the schema; no user, no password), compared at
 * start with what the state files recorded. */
#define CONFIG_SOURCE_ID_LEN 512
void config_source_identity(const struct config *config, char out[CONFIG_SOURCE_ID_LEN]);
/* Keeps secrets out of the process list (/proc/PID/cmdline, ps): returns a
 * private copy of argv (argc entries and a NULL; the caller frees it with
 * config_argv_free) for config_load() and reloads, then overwrites the
 * values of --db and --api-tokens in argv itself. NULL when memory runs
 * out (argv untouched). The value is visible from exec until this call;
 * CASA_METRICS_DB, a passfile or a service file never is. */
char **config_argv_protect(int argc, char *argv[]) CASA_MUSTCHECK;
void config_argv_free(int argc, char **kept);

#endif
