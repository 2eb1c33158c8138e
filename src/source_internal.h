/*
 * source_internal.h — pieces of the source stage shared between
 * src/source.c, src/copy_text.c and their tests (and fuzz harnesses). Not a
 * public interface: nothing outside the source stage and its tests includes it.
 *
 * copy_text: PostgreSQL's COPY ... TO STDOUT text format, one data row at a
 * time. Pure: no libpq, no I/O, no allocation, no state between calls, so
 * that it can be unit-tested on hand-made rows and fuzzed on any bytes.
 *
 * It reads exactly what COPY TO writes with the default tab delimiter
 * (PostgreSQL's CopyAttributeOutText()): fields separated by raw tabs, \N
 * for null, and the escapes \b \f \n \r \t \v \\ only. COPY FROM would also
 * take octal and hex escapes and "\q" for "q", but COPY TO never writes
 * them: seeing one means the stream is not what was asked for, so it is an
 * error. Dates and timestamps are read in DateStyle 'ISO, YMD', which the
 * source stage sets for its session.
 *
 * Errors name the field (0-based column) and what is wrong with it, never its
 * value (SPEC §2, §5).
 */
#ifndef CASA_SOURCE_INTERNAL_H
#define CASA_SOURCE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casa/common.h"
#include "casa/source.h"

/* Fields of the widest contract table (missing_episodes, SPEC §2). */
#define COPY_TEXT_MAX_FIELDS 9

/* Column type classes whose text output the parser reads. */
enum copy_text_type {
	COPY_TEXT_BIGINT,      /* bigint, integer, smallint */
	COPY_TEXT_TEXT,        /* text, character varying: UTF-8 */
	COPY_TEXT_DATE,        /* date: YYYY-MM-DD */
	COPY_TEXT_TIMESTAMPTZ, /* timestamp with time zone, in the session's zone */
	COPY_TEXT_BOOLEAN,     /* boolean: t or f */
};

/* One parsed field. Only the members of its column's type are set. */
struct copy_text_field {
	const char *raw; /* its bytes inside the caller's row, escapes still in */
	size_t raw_len;  /* bytes at raw */
	bool null;       /* \N; for a date or timestamp also 'infinity' and '-infinity',
	                    so that an open end stays open */
	int64_t bigint;  /* COPY_TEXT_BIGINT */
	int32_t day;     /* COPY_TEXT_DATE; for COPY_TEXT_TIMESTAMPTZ the date as
	                    printed, i.e. in the session's zone (SPEC §3) */
	int64_t at;      /* COPY_TEXT_TIMESTAMPTZ: Unix seconds (fractions dropped) */
	size_t text_len; /* COPY_TEXT_TEXT: bytes once unescaped */
	bool boolean;    /* COPY_TEXT_BOOLEAN */
};

/* What is wrong with a row. */
enum copy_text_fault {
	COPY_TEXT_FIELD_COUNT,   /* not as many fields as columns */
	COPY_TEXT_BAD_ESCAPE,    /* a backslash COPY TO does not write (or a dangling one) */
	COPY_TEXT_BAD_UTF8,      /* text that is not UTF-8, or holds a NUL byte */
	COPY_TEXT_BAD_INTEGER,   /* not -?[0-9]+ */
	COPY_TEXT_INTEGER_RANGE, /* beyond a signed 64-bit integer */
	COPY_TEXT_BAD_DATE,      /* not an existing day in YYYY-MM-DD form */
	COPY_TEXT_DATE_RANGE,    /* a year PostgreSQL allows but a date here cannot hold:
	                            BC, or after 9999 */
	COPY_TEXT_BAD_TIMESTAMP, /* not YYYY-MM-DD HH:MM:SS[.f]+HH[:MM[:SS]] */
	COPY_TEXT_BAD_BOOLEAN,   /* neither t nor f */
};

struct copy_text_error {
	enum copy_text_fault fault; /* what is wrong */
	int column;                 /* 0-based field at fault; -1 for COPY_TEXT_FIELD_COUNT */
};

/* A fixed English phrase for the fault ("malformed integer"): no value. */
const char *copy_text_fault_text(enum copy_text_fault fault);

/*
 * Parses one row of `len` bytes (one trailing '\n', as PQgetCopyData()
 * returns it, is allowed; no NUL needed) into fields[0..count), column c
 * being of type types[c], count <= COPY_TEXT_MAX_FIELDS. The fields point
 * into row, which must outlive them. On failure *error says which field and
 * why, and fields[] is unspecified.
 */
bool copy_text_parse(const char *row, size_t len, const enum copy_text_type *types, int count,
                     struct copy_text_field *fields, struct copy_text_error *error) CASA_MUSTCHECK;

/*
 * Unescapes a text field that copy_text_parse() accepted into out[cap]
 * (cap >= 1), NUL-ended. Longer text is cut at a character boundary, so out
 * is always valid UTF-8. Returns the bytes written before the NUL.
 */
size_t copy_text_decode(const struct copy_text_field *field, char *out, size_t cap);

/*
 * Connections (src/source.c), shared with the role check (src/source_role.c).
 * source_connect() opens one with the daemon's session defaults (the
 * options' cancel handle reaches it; pin: NULL, or a connection whose server
 * it must reach) or returns NULL with a message (no password) in err;
 * source_finish() closes it (NULL allowed).
 */
struct pg_conn; /* libpq's PGconn */
struct pg_conn *source_connect(const struct source_options *options, struct pg_conn *pin,
                               char err[SOURCE_ERROR_LEN]);
void source_finish(struct source_cancel *cancel, struct pg_conn *conn);

#endif
