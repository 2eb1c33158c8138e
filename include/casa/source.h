/*
 * source.h — the only stage that talks to PostgreSQL.
 *
 * source_pull() opens one REPEATABLE READ READ ONLY transaction (exporting its
 * snapshot so that extra connections see the same picture), checks that
 * every contract column exists with a usable type (the error names the table
 * and column), and streams each table with COPY ... TO STDOUT, parsing the
 * text format by hand into struct model_raw. It reads only the columns of
 * SPEC §2 and never logs or returns a row-level value: errors say which
 * table, column and line number, never the value.
 */
#ifndef CASA_SOURCE_H
#define CASA_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/model.h"

struct source_options {
	const char *conninfo;         /* any libpq conninfo; "" = PG* environment */
	const char *schema;           /* default "deid"; quoted as an identifier */
	const char *timezone;         /* IANA name for timestamp -> date (SPEC §3) */
	int statement_timeout_s;      /* per statement; 0 = none */
	int connect_timeout_s;        /* libpq connect_timeout when not in conninfo */
	int parallel;                 /* connections pulling tables at once, >= 1 */
};

struct source_stats {
	uint64_t rows[MODEL_TABLE_COUNT]; /* rows received per table */
	uint64_t bytes;                   /* COPY payload bytes */
	double seconds;                   /* wall time of the pull */
};

#define SOURCE_ERROR_LEN 512

/* Reads max(batch_id) of extract_batches (-1 when empty). On failure writes a
 * message (no secrets, no row values) into err. */
bool source_refresh_key(const struct source_options *options, int64_t *key,
			char err[SOURCE_ERROR_LEN]) CASA_MUSTCHECK;

/* Pulls every table into *raw (which must be zeroed; caller frees it with
 * model_raw_free() whether or not this succeeds). raw->refresh_key is read
 * inside the same transaction. */
bool source_pull(const struct source_options *options, struct model_raw *raw,
		 struct source_stats *stats, char err[SOURCE_ERROR_LEN]) CASA_MUSTCHECK;

#endif
