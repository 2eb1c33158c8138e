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

/* Lets another thread stop a pull in flight (the daemon's SIGTERM): opaque,
 * from source_cancel_new(). */
struct source_cancel;

struct source_options {
	const char *conninfo;         /* any libpq conninfo; "" = PG* environment */
	const char *schema;           /* default "deid"; quoted as an identifier */
	const char *timezone;         /* IANA name for timestamp -> date (SPEC §3) */
	int statement_timeout_s;      /* per statement; 0 = none */
	int connect_timeout_s;        /* libpq connect_timeout when not in conninfo */
	int parallel;                 /* connections pulling tables at once, >= 1 */
	struct source_cancel *cancel; /* NULL, or where source_cancel_request() reaches */
};

struct source_stats {
	uint64_t rows[MODEL_TABLE_COUNT]; /* rows received per table */
	uint64_t bytes;                   /* COPY payload bytes */
	double seconds;                   /* wall time of the pull */
};

#define SOURCE_ERROR_LEN 512

/* Why a call failed: only SOURCE_FAILED_CONNECT means the database could
 * not be reached (the daemon's db_up). */
enum source_failure {
	SOURCE_FAILED_CONNECT,   /* no connection, or the connection was lost */
	SOURCE_FAILED_SERVER,    /* the server refused a statement (permission, timeout) */
	SOURCE_FAILED_CONTRACT,  /* a table or column of SPEC §2 is missing or mistyped */
	SOURCE_FAILED_DATA,      /* a row could not be read (table, column, line named) */
	SOURCE_FAILED_CANCELLED, /* source_cancel_request() */
	SOURCE_FAILED_MEMORY,    /* out of memory, or threads could not start */
};

/* A failure: its kind and a message without secrets or row values. */
struct source_error {
	enum source_failure kind;
	char message[SOURCE_ERROR_LEN];
};

const char *source_failure_name(enum source_failure kind); /* "connect", "server", ... */

/* A connection kept open between refresh-key checks (issue 15: opening one,
 * and the server's new backend behind it, costs tens of milliseconds; a
 * check on an open one costs one round trip). Opaque; owned by the caller,
 * used by one thread at a time; NULL = none open. Every transaction on it is
 * READ ONLY. */
struct source_key_conn;

/* Reads max(batch_id) of extract_batches (-1 when empty). kept NULL: through
 * a connection of its own, closed before returning. Otherwise through *kept,
 * opening one into it when *kept is NULL, was opened under another conninfo,
 * statement timeout or cancel handle, or is known to be broken; a kept
 * connection the server closed since the last call (restart, idle timeout)
 * is replaced once at once, without a failure. After any failure *kept is
 * closed and NULL. */
bool source_refresh_key(const struct source_options *options, struct source_key_conn **kept,
                        int64_t *key, struct source_error *err) CASA_MUSTCHECK;

/* Closes *kept (kept or *kept may be NULL) and sets *kept to NULL. */
void source_key_conn_close(struct source_key_conn **kept);

/* Pulls every table into *raw (which must be zeroed; caller frees it with
 * model_raw_free() whether or not this succeeds). raw->refresh_key and
 * raw->refresh_loaded_at are read inside the same transaction. */
bool source_pull(const struct source_options *options, struct model_raw *raw,
                 struct source_stats *stats, struct source_error *err) CASA_MUSTCHECK;

/*
 * The role the daemon reads with (src/source_role.c; SPEC §7 least
 * privilege). The daemon only reads: a role that could write is a risk the
 * operator should know about (a leaked password then alters the data).
 */
#define SOURCE_NAME_LEN 64 /* PostgreSQL names: 63 bytes and a NUL */
struct source_role {
	char name[SOURCE_NAME_LEN];           /* current_user */
	bool superuser;                       /* rolsuper */
	bool create_on_database;              /* CREATE on the current database */
	bool create_on_schema;                /* CREATE on the source schema */
	uint64_t writable_tables;             /* tables of the schema it may write */
	char first_writable[SOURCE_NAME_LEN]; /* one of them (first by name) */
	char write_rights[40]; /* held of INSERT/UPDATE/DELETE/TRUNCATE, '/' joined */
};

/* Connects and reads the role's rights on the database and the schema.
 * false with err (SOURCE_FAILED_CONNECT when the database was not reached). */
bool source_role_check(const struct source_options *options, struct source_role *role,
                       struct source_error *err) CASA_MUSTCHECK;
/* True when the role is a superuser or holds any right to write. */
bool source_role_can_write(const struct source_role *role);
/* "superuser", "INSERT/UPDATE on 5 tables of the schema (e.g. children)",
 * "CREATE on the schema", "CREATE on the database", joined with "; ". */
void source_role_describe(const struct source_role *role, char *out, size_t n);

/* A cancel handle: NULL when memory runs out. */
struct source_cancel *source_cancel_new(void);
void source_cancel_free(struct source_cancel *cancel);
/* From any thread: the pull or refresh-key call in flight, and every later
 * one on this handle (a kept key-check connection registered with it too), fails with
 * SOURCE_FAILED_CANCELLED as soon as it can (statements running on the server are cancelled with
 * PQcancel()). */
void source_cancel_request(struct source_cancel *cancel);

#endif
