/*
 * disclosure_cells.h — suppress mode's view of one metric's cells, shared by
 * src/disclosure.c (relations, sum rule, interval propagation) and
 * src/disclosure_blocks.c (the block pattern). Private to those two files.
 */
#ifndef CASA_DISCLOSURE_CELLS_H
#define CASA_DISCLOSURE_CELLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/date.h"
#include "casa/metrics.h"

/* The counts of a cell, as bit positions in `why` below. */
enum cells_field { FIELD_NUMERATOR, FIELD_DENOMINATOR, FIELD_COUNT };

/* What is secret about a cell, per (cell, field) (docs/privacy.md "Threat
 * model"): bit 1 << f set = count f is secret; a cell with any secret count
 * is published with nulls (suppressed). A field not set stays known to the
 * attacker even when the cell is suppressed. CELLS_WHY_PRIMARY: some count
 * of the cell is secret by the primary rule (for the suppressed_primary
 * figure). Bit CELLS_WHY_BLOCK << f: count f is secret because a block covers
 * it: protected as part of the block, so it does not start a new one when
 * the metric is decided again. */
#define CELLS_WHY_PRIMARY 0x04u
#define CELLS_WHY_BLOCK   0x10u

static inline bool is_secret(uint8_t why, int f)
{
	return (why & (1u << f)) != 0;
}

struct membership;
struct relations;

/* All cells of one metric, numbered table by table (tables in result order),
 * row-major inside a table: that number is the cell identity used for ties. */
struct metric_cells {
	const struct metrics_result *raw;                /* borrowed */
	size_t table_ids[PERIOD_TYPE_COUNT * DIM_COUNT]; /* indexes into raw->tables */
	size_t base[PERIOD_TYPE_COUNT * DIM_COUNT];      /* first cell id of each */
	size_t table_count;                              /* tables of this metric */
	size_t cell_count;                               /* cells of this metric */
	int64_t *values[FIELD_COUNT];                    /* true counts by cell id */
	uint8_t *why;                                    /* secret bits by cell id */
	const struct membership *ms;                     /* relations of each cell, once built */
	const struct relations *rel;                     /* the relations, once built */
	bool calendar_year_blocks;                       /* disclosure_options' */
};

/* Position of the metric's table (period type, dim) in mc, or -1. */
long disclosure_metric_table(const struct metric_cells *mc, enum period_type type, enum dim dim);

/* Lays the block pattern for field f of a metric that adds up over time into
 * mc->why (src/disclosure_blocks.c). false when memory runs out. */
bool disclosure_blocks_seed(struct metric_cells *mc, int f, int min_cell);

#endif
