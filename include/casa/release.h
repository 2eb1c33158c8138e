/*
 * release.h — what one release publishes, and what earlier releases froze
 * (SPEC §5 "Publication plan", "Releases"; docs/privacy.md "Releases").
 *
 * An attacker keeps every release. Two releases must never differ in a
 * published breakdown cell by a few children, so:
 *   - the publication plan (config `publish`) says which period type x
 *     breakdown tables exist at all (month x breakdown is off by default);
 *   - a breakdown cell of a period is published only once the period has
 *     closed and settled: its last day + the metric's observation lag +
 *     settle_days <= as_of (release_settled); a partial or unsettled period
 *     publishes its total only, flagged provisional;
 *   - once settled, a period's cells are frozen in the ledger (state
 *     directory, src/release_store.c) with the disclosure decision, and
 *     every later release serves the frozen counts, whatever late data
 *     says. For counts that add up over time, months are frozen in every
 *     breakdown (published or not) and longer periods are always the sums
 *     of their months, so a late row never shows as a difference between a
 *     frozen quarter and a later year;
 *   - a revision (config `revise`) recomputes settled periods from today's
 *     data; the disclosure stage then treats every cell the ledger had
 *     published as known to the attacker (its previous counts are in the
 *     view) and hides a revised cell whose change rests on fewer than k.
 *
 * Pipeline: metrics_compute() -> release_apply() (the view) ->
 * disclosure_protect() -> release_commit() (the next ledger) -> save the
 * ledger -> snapshot_build(). Pure functions over memory; the ledger file is
 * release_store.c's.
 */
#ifndef CASA_RELEASE_H
#define CASA_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/date.h"
#include "casa/metrics.h"

/* SPEC §5: breakdown cells wait this many days after their period (and the
 * metric's own observation lag) before they are published and frozen. */
#define RELEASE_DEFAULT_SETTLE_DAYS 30
#define RELEASE_MAX_SETTLE_DAYS     3660
#define RELEASE_ERROR_LEN           256

/* Which tables are published: per period type, a DIM_BIT mask of
 * breakdowns (DIM_TOTAL included whenever any breakdown is: a breakdown's
 * groups are read against its total). A metric publishes the tables of the
 * plan that its catalog entry allows. */
struct release_plan {
	uint32_t dims[PERIOD_TYPE_COUNT]; /* DIM_BIT mask per period type, 0 = none */
};

/* SPEC §5 default: totals for every period type; every breakdown for
 * quarters, calendar years and fiscal years; month x breakdown off. */
void release_plan_default(struct release_plan *plan);
/* Parses "month:total quarter:all year:all fiscal_year:all": tokens
 * separated by spaces or commas, each "<period type>:<dims>" with <dims>
 * "all", "total" or breakdown names joined by '+' ("total+county+advocate");
 * a period type not named publishes nothing. false with a message (naming
 * the offending token) in err. */
bool release_plan_parse(const char *text, struct release_plan *plan,
                        char err[RELEASE_ERROR_LEN]) CASA_MUSTCHECK;
/* The canonical text of a plan (parse(format(p)) == p). */
#define RELEASE_PLAN_TEXT_LEN 512
void release_plan_format(const struct release_plan *plan, char out[RELEASE_PLAN_TEXT_LEN]);
bool release_plan_has(const struct release_plan *plan, enum period_type type, enum dim dim);

/* True when the (metric, period) is closed and settled on as_of. */
bool release_settled(enum period_type type, int fy_start_month, int32_t period, int lag_days,
                     int settle_days, int32_t as_of);

/* Settings a ledger was built under. A ledger built under other settings is
 * not reused as frozen: the next release is a revision against it. */
struct release_settings {
	int min_cell;               /* k */
	int fy_start_month;         /* 1..12 */
	int settle_days;            /* see above */
	int64_t screening_window_s; /* changes screening cells */
	uint32_t mode;              /* enum disclosure_mode, as a number */
	double epsilon;             /* dp only, else 0 */
	struct release_plan plan;   /* published tables */
	char timezone[64];          /* dates of timestamps */
};

/* Frozen cells of earlier releases (opaque). */
struct release_ledger;

/* An empty ledger (first release). NULL when memory runs out. */
struct release_ledger *release_ledger_new(const struct release_settings *settings);
void release_ledger_free(struct release_ledger *ledger);
const struct release_settings *release_ledger_settings(const struct release_ledger *ledger);
/* The source identity the frozen cells were read from; "" for a ledger
 * written before identities were recorded (taken as this source's). A
 * ledger of another database must never freeze this one's periods: the
 * daemon refuses to start with it (src/daemon_guard.c). */
const char *release_ledger_source(const struct release_ledger *ledger);
/* Frozen cells held (for logs and /metrics). */
uint64_t release_ledger_cells(const struct release_ledger *ledger);
/* Same settings (compared field by field). */
bool release_settings_equal(const struct release_settings *a, const struct release_settings *b);

/* Per-cell state in a view. */
#define RELEASE_SETTLED    0x01u /* closed and settled: breakdowns publishable */
#define RELEASE_FROZEN     0x02u /* decided by an earlier release: served as is */
#define RELEASE_SECRET_NUM 0x04u /* frozen: numerator secret (cell suppressed) */
#define RELEASE_SECRET_DEN 0x08u /* frozen: denominator secret (cell suppressed) */
#define RELEASE_PREVIOUS                                                                           \
	0x10u /* revision: an earlier release published this                                       \
	         cell; its counts are in prev */
#define RELEASE_OUTSIDE                                                                                 \
	0x20u                  /* a longer period holding counts dated before the first month (an       \
	                          identification before the first removal): its months do not add up to \
	                          it, so it is hidden and in no time relation */
#define RELEASE_SECRET_SHIFT 2 /* RELEASE_SECRET_* >> shift = DISCLOSURE_SECRET_* */

/* How one table takes part in this release. */
struct release_table {
	bool published;            /* in the plan (and allowed by the catalog) */
	int lag_days;              /* the metric's observation lag (metrics_observation_lag_days) */
	uint32_t published_rows;   /* rows 0..published_rows-1 are published: every
	                              row for a total, the settled ones for a
	                              breakdown (settling goes in period order) */
	uint8_t *state;            /* RELEASE_* bits per cell, owned */
	struct metrics_cell *prev; /* revision: previous counts per cell (valid
	                              where RELEASE_PREVIOUS), else NULL; owned */
};

/* One release: the counts to protect and publish. raw has the same tables,
 * in the same order, as the metrics_result it was made from, with period
 * ranges and county lists widened to hold every frozen cell; settled cells
 * hold their frozen counts. */
struct release_view {
	struct metrics_result raw;    /* owned */
	struct release_table *tables; /* raw.table_count, owned */
	struct release_plan plan;     /* copied from the options */
	int settle_days;              /* copied */
	bool revision;                /* revise was set, or the settings changed */
	uint64_t revised_cells;       /* revision: published cells whose counts changed */
};

/* Bytes of a source identity ("host=H port=P dbname=D schema=S", never a
 * password; config_source_identity()), NUL included. */
#define RELEASE_SOURCE_LEN 512

struct release_options {
	struct release_settings settings; /* this release's */
	bool revise;                      /* recompute settled periods (logged) */
	char source[RELEASE_SOURCE_LEN];  /* the database read, recorded in the ledger */
};

/*
 * Builds the view of this release from today's counts and the ledger
 * (NULL = none: every settled cell is decided now). Does not modify either.
 * Caller frees with release_view_free(). false with a reason in err.
 */
bool release_apply(const struct metrics_result *today, const struct release_ledger *ledger,
                   const struct release_options *options, struct release_view *out,
                   char err[RELEASE_ERROR_LEN]) CASA_MUSTCHECK;
void release_view_free(struct release_view *view);

/*
 * The ledger after this release: every settled cell of a published table,
 * and the months of every time-additive metric in every breakdown, with
 * the disclosure decision of each published cell (secret: one
 * DISCLOSURE_SECRET_* mask per cell of view->raw, tables in order).
 * Returns a new ledger (caller frees) or NULL with a reason in err.
 */
struct release_ledger *release_commit(const struct release_view *view, const uint8_t *secret,
                                      const struct release_options *options,
                                      char err[RELEASE_ERROR_LEN]) CASA_MUSTCHECK;

/* Persistence (src/release_store.c): DIR/ledger.bin, written to a temporary
 * file, fsynced, renamed, directory fsynced; versioned and checksummed
 * (SHA-256). release_ledger_load() sets *out NULL and returns true when
 * there is no ledger file; false (with err) when the file exists but is
 * unreadable, corrupted or of another version. */
bool release_ledger_save(const struct release_ledger *ledger, const char *dir,
                         char err[RELEASE_ERROR_LEN]) CASA_MUSTCHECK;
bool release_ledger_load(const char *dir, struct release_ledger **out,
                         char err[RELEASE_ERROR_LEN]) CASA_MUSTCHECK;

#endif
