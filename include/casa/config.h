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

#define CONFIG_ERROR_LEN 512
#define CONFIG_HOST_LEN  64 /* an IPv6 literal is at most 45 characters */
/* as_of when the key is empty: today in the configured timezone, evaluated
 * again at every refresh (SPEC §3). */
#define CONFIG_AS_OF_TODAY INT32_MIN
/* Defaults of the settings the metrics stage takes as explicit values: the
 * one home of these numbers. Tools and tests that run a stage without a
 * config pass these too. */
#define CONFIG_DEFAULT_FY_START_MONTH         10 /* SPEC §3: US federal fiscal year */
#define CONFIG_DEFAULT_SCREENING_WINDOW_HOURS 72 /* SPEC §4 */
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
	/* metrics (SPEC §3, §4) */
	int32_t as_of;              /* day number, or CONFIG_AS_OF_TODAY */
	int32_t earliest_date;      /* day number: rows starting before it are dropped */
	int fy_start_month;         /* 1..12, CONFIG_DEFAULT_FY_START_MONTH */
	int screening_window_hours; /* screened_after_return window, hours,
	                               CONFIG_DEFAULT_SCREENING_WINDOW_HOURS */
	double confidence;          /* level of published intervals, default 0.95 */
	/* disclosure (SPEC §5) */
	enum disclosure_mode disclosure_mode; /* suppress (default) or dp */
	bool suppression_calendar_year;       /* suppression_year = year: keep calendar
	                                         years' breakdowns whole, not fiscal years' */
	int min_cell;                         /* k, default 11, never below 5 */
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
	int http_connection_limit;         /* total connections, default 1024 */
	int http_per_ip_limit;             /* per client address, 0 = no limit */
	int http_timeout_s;                /* idle connection timeout, default 30 */
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
 * Writes a loggable description of a conninfo: host, port and dbname only,
 * never the password or any other key (SPEC §7: the password never appears
 * in logs). An unparsable conninfo gives "(unparsable conninfo)".
 */
void config_describe_db(const char *conninfo, char *out, size_t n);

#endif
