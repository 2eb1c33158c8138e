/*
 * audit.h — the attacker's audit of one release (SPEC §5), used by
 * tests/unit/test_audit.c and tests/tools/casa-audit.c (both #include
 * audit.c: the build globs compile one file per test or tool).
 *
 * The attacker holds every number of one release and knows every relation
 * between them. Written here apart from src/disclosure_suppress.c, from
 * SPEC §5 and docs/metrics.md, so that a wrong reading in the engine shows:
 *   - unknowns: the secret counts (result->secret, plus any count the
 *     primary rule or the small-group rule makes secret, see audit.c);
 *     every other count of a published row of a published table is a
 *     known constant (published, or the non-secret count of a suppressed
 *     cell);
 *   - relations: groups -> total of the same period; for counts that add up
 *     over time, finer periods that tile a coarser one, group by group;
 *     counts two metrics publish under different names (audit.c: links)
 *     are one unknown, and so are a year and its fiscal year when the
 *     fiscal year starts in January;
 *   - bounds: counts >= 0; a percentage's numerator <= its denominator;
 *     outside a group too small to hide in (its base, the children with a
 *     day in care in that group and period, is below k) an empty cell is
 *     always published, so a suppressed cell there is not empty: its
 *     emptiness count is >= 1.
 * A secret count fails when its linear-programming interval [min, max]
 * holds fewer than k integers, unless it is 0 and pinned at 0 by known
 * zeros alone. A published cell fails when it falls under the primary rule
 * or lies in a group too small to hide in; a suppressed empty cell outside
 * such a group fails (the attacker's ">= 1" would be wrong).
 *
 * GLPK solves the programs; without it at build time (an optional
 * dependency, CMakeLists.txt) the audit cannot run and its programs exit
 * with ctest's SKIP_RETURN_CODE.
 */
#ifndef CASA_TEST_AUDIT_H
#define CASA_TEST_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "casa/disclosure.h"
#include "casa/release.h"

struct audit_report {
	bool verbose;               /* in: print each failure's identity (never a value) */
	bool without_nonempty;      /* in: leave out the ">= 1" bounds (tests show a case
	                               that only they expose) */
	uint64_t secret_counts;     /* secret (cell, count) pairs of published rows */
	uint64_t unknowns;          /* LP variables (linked secret counts are one) */
	uint64_t links;             /* pairs of published counts joined as equal */
	uint64_t relations;         /* equations and inequalities holding an unknown */
	uint64_t nonempty;          /* unknowns bounded below by 1 (policy) */
	uint64_t components;        /* independent linear programs */
	uint64_t largest;           /* unknowns of the largest one */
	uint64_t lp_solves;         /* simplex runs */
	uint64_t zero_exempt;       /* secret counts pinned at 0 by known zeros alone */
	uint64_t exposed;           /* failures: secret counts with fewer than k values */
	uint64_t published_primary; /* failures: published cells under the primary rule */
	uint64_t published_small;   /* failures: published cells of a small group */
	uint64_t suppressed_empty;  /* failures: suppressed empty cells outside one */
	uint64_t unmarked;          /* failures: counts of a suppressed cell that the
	                               primary or small-group rule makes secret and
	                               result->secret leaves known */
	uint64_t failures;          /* sum of the five kinds above */
	double narrowest;           /* smallest integer width (max - min) of an
	                               exposed unknown, or -1 */
	double seconds;             /* wall time of audit_run */
};

#define AUDIT_ERROR_LEN 512

/* Without GLPK at build time the audit cannot run: its tests and casa-audit
 * then exit with ctest's SKIP_RETURN_CODE and this message. */
#define AUDIT_SKIP_STATUS 77
#define AUDIT_NO_GLPK     "built without GLPK (apt-get install libglpk-dev, then re-run cmake)"

/* Whether this build can run the audit (GLPK was found). */
bool audit_have_glpk(void);

/* Audits result (disclosure_protect's output, or one written by hand)
 * against view (the release it protects: view->raw holds the true counts).
 * k = result->min_cell. Returns false when the audit could not run (GLPK
 * missing, out of memory, a result that does not match the view, raw
 * counts breaking a relation or a link it assumes), with a message in err;
 * the verdict is report->failures == 0. Reads both, modifies neither. */
bool audit_run(const struct release_view *view, const struct disclosure_result *result,
               struct audit_report *report, char err[AUDIT_ERROR_LEN]);

/* Writes the report's figures as JSON members ("unknowns": 12, ...),
 * without braces: the caller adds its own members around them. Counts
 * only, never a cell value. */
void audit_report_print(FILE *out, const struct audit_report *report);

#endif
