/*
 * audit.h — the attacker's audit of complementary suppression (SPEC §5),
 * used by tests/unit/test_audit.c and tests/tools/casa-audit.c (both
 * #include audit.c: the build globs compile one file per test or tool).
 *
 * For each metric and each count (numerator, denominator) the audit writes
 * every additive relation between the published tables of that metric
 * (groups -> total of the same period; months -> quarter, months and
 * quarters -> year and fiscal year, for time-additive counts and quantile
 * episode counts) as linear equations over unknowns = the secret counts
 * (cell x field: disclosure_secret_fields() and the primary rule; every
 * count of a cell that a hand-made publication hides with neither), with
 * every other count as a constant (published, or the non-secret count of a
 * suppressed cell: docs/privacy.md "Threat model") and every unknown >= 0,
 * plus the
 * equalities between counts that two metrics share (audit_links in audit.c:
 * such counts form one system), and computes
 * by linear programming (GLPK) the smallest and largest value each unknown
 * can take. A secret count fails when fewer than k integers remain
 * possible, unless every value it could be pinned to follows from known
 * zeros alone (SPEC §5: zeros are published; see audit.c). A published cell
 * that falls under the primary rule fails too.
 *
 * The relations are enumerated here independently of src/disclosure.c.
 */
#ifndef CASA_TEST_AUDIT_H
#define CASA_TEST_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "casa/disclosure.h"
#include "casa/metrics.h"

struct audit_report {
	uint64_t unknowns;    /* secret counts examined (cell x field) */
	uint64_t relations;   /* equations with at least one unknown */
	uint64_t lp_solves;   /* linear programs solved */
	uint64_t zero_exempt; /* unknowns pinned to 0 by published zeros only */
	uint64_t failures;    /* unknowns with fewer than k possible values, and
	                         published cells under the primary rule */
	double narrowest;     /* smallest interval width (hi - lo) seen, or -1 */
	bool verbose;         /* in: print each failure's identity (no value) */
};

#define AUDIT_ERROR_LEN 256

/* Without GLPK at build time (an optional dependency, CMakeLists.txt) the
 * audit cannot run: its tests and casa-audit then exit with ctest's
 * SKIP_RETURN_CODE and this message, instead of failing or passing. */
#define AUDIT_SKIP_STATUS 77
#define AUDIT_NO_GLPK     "built without GLPK (apt-get install libglpk-dev, then re-run cmake)"

/* Whether this build can run the audit (GLPK was found). */
bool audit_have_glpk(void);

/* Audits pub (the protected tables) against raw (the true counts it came
 * from). Returns false when the audit could not run (GLPK missing, out of
 * memory), with a message in err; the verdict is report->failures == 0. */
bool audit_run(const struct metrics_result *raw, const struct disclosure_result *pub,
               struct audit_report *report, char err[AUDIT_ERROR_LEN]);

#endif
