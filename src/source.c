/*
 * source.c — PostgreSQL -> struct model_raw (SPEC §2).
 *
 * One REPEATABLE READ READ ONLY transaction sees one consistent picture of
 * the six tables, and of the optional seventh (trafficking_identifications,
 * issue 17) when the schema has it. With options->parallel > 1 its snapshot is exported and
 * extra connections (one thread each) import it, so every table still comes
 * from the same picture. Each table is streamed with COPY ... TO STDOUT in
 * the text format; copy_text.c parses each row in place and this file puts
 * it straight into the raw arrays: no PGresult per row, no malloc per field.
 *
 * One unreadable row never stops the pull (issue 16 row 2): a row with a
 * date or timestamp BC or after 9999, or with text that is not valid in the
 * database's encoding, is left out and counted per table in model_raw
 * (drop_date_out_of_range, drop_text_invalid_encoding). For the second, a
 * database not in UTF-8 is read with client_encoding SQL_ASCII, i.e. its
 * bytes as stored, and each row is converted here (iconv): with the server
 * converting, a byte it cannot convert fails the whole COPY.
 *
 * Privacy (SPEC §2, §5): error messages name the schema, table, column and
 * line number, never a value; the conninfo (which may hold a password) is
 * never echoed.
 */
#include "casa/source.h"

#include <errno.h>
#include <iconv.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "casa/hash.h"
#include "casa/log.h"
#include "source_internal.h"

/* A non-null empty code is not a contract code, but "" means null in the raw
 * rows: store this instead so that the model counts it as unknown. */
#define EMPTY_CODE "\x7f"
/* How much of a code text is decoded: the setting column up to
 * CODE_TEXT_MAX bytes, the other code columns up to CODE_TEXT_SHORT. */
#define CODE_TEXT_MAX   32
#define CODE_TEXT_SHORT 16

/* TCP keepalives so that a dead server is noticed during a long COPY
 * (seconds; libpq defaults would wait for the kernel's two hours). */
#define KEEPALIVES_IDLE     "30"
#define KEEPALIVES_INTERVAL "10"
#define KEEPALIVES_COUNT    "3"
/* Milliseconds sent data may stay unacknowledged before the connection
 * counts as lost: the keepalives above cover an idle socket, this one a
 * request sent to a server that vanished (the kernel's own limit is about
 * 15 minutes). It matters most for the key-check connection, which stays
 * open between refreshes; a server busy with a long statement still
 * acknowledges at the TCP level, so this bounds no statement. */
#define TCP_USER_TIMEOUT_MS "60000"

#define INITIAL_ROWS 4096

/* Indexed by enum copy_text_type: the names an error message gives. */
static const char *const column_type_names[] = {"bigint", "text", "date",
                                                "timestamp with time zone", "boolean"};

struct contract_column {
	const char *name;         /* column name, SPEC §2 */
	enum copy_text_type type; /* expected type class */
};

/* Contract columns of each table in the order COPY sends them. */
struct contract_table {
	const char *name; /* table name */
	int table;        /* enum model_table, -1: extract_batches */
	bool optional;    /* absent is not an error: its metrics are left out */
	int column_count; /* used entries of columns[] */
	struct contract_column columns[COPY_TEXT_MAX_FIELDS]; /* SPEC §2, in COPY order */
};

static const struct contract_table contract[] = {
    {"children",
     MODEL_CHILDREN,
     false,
     4,
     {{"child_key", COPY_TEXT_BIGINT},
      {"birth_month", COPY_TEXT_DATE},
      {"sex", COPY_TEXT_TEXT},
      {"race_ethnicity", COPY_TEXT_TEXT}}},
    {"episodes",
     MODEL_EPISODES,
     false,
     6,
     {{"episode_key", COPY_TEXT_BIGINT},
      {"child_key", COPY_TEXT_BIGINT},
      {"county", COPY_TEXT_TEXT},
      {"removal_date", COPY_TEXT_DATE},
      {"discharge_date", COPY_TEXT_DATE},
      {"discharge_reason", COPY_TEXT_TEXT}}},
    {"placements",
     MODEL_PLACEMENTS,
     false,
     6,
     {{"placement_key", COPY_TEXT_BIGINT},
      {"episode_key", COPY_TEXT_BIGINT},
      {"setting", COPY_TEXT_TEXT},
      {"provider_key", COPY_TEXT_BIGINT},
      {"start_date", COPY_TEXT_DATE},
      {"end_date", COPY_TEXT_DATE}}},
    {"missing_episodes",
     MODEL_MISSING,
     false,
     9,
     {{"missing_key", COPY_TEXT_BIGINT},
      {"episode_key", COPY_TEXT_BIGINT},
      {"went_missing_at", COPY_TEXT_TIMESTAMPTZ},
      {"agency_informed_at", COPY_TEXT_TIMESTAMPTZ},
      {"returned_at", COPY_TEXT_TIMESTAMPTZ},
      {"reported_le_at", COPY_TEXT_TIMESTAMPTZ},
      {"reported_ncmec_at", COPY_TEXT_TIMESTAMPTZ},
      {"screened_at", COPY_TEXT_TIMESTAMPTZ},
      {"screen_result", COPY_TEXT_TEXT}}},
    {"advocate_assignments",
     MODEL_ASSIGNMENTS,
     false,
     4,
     {{"assignment_key", COPY_TEXT_BIGINT},
      {"episode_key", COPY_TEXT_BIGINT},
      {"start_date", COPY_TEXT_DATE},
      {"end_date", COPY_TEXT_DATE}}},
    /* Optional (issue 17): a source that does not record identifications
     * has no table, and the daemon no trafficking metric. */
    {"trafficking_identifications",
     MODEL_IDENTIFICATIONS,
     true,
     5,
     {{"identification_key", COPY_TEXT_BIGINT},
      {"episode_key", COPY_TEXT_BIGINT},
      {"identified_at", COPY_TEXT_TIMESTAMPTZ},
      {"while_in_care", COPY_TEXT_BOOLEAN},
      {"reported_le_at", COPY_TEXT_TIMESTAMPTZ}}},
    {"extract_batches",
     -1,
     false,
     2,
     {{"batch_id", COPY_TEXT_BIGINT}, {"loaded_at", COPY_TEXT_TIMESTAMPTZ}}},
};

#define CONTRACT_TABLES ((int)CASA_ARRAY_LEN(contract))

static void set_error(char err[SOURCE_ERROR_LEN], const char *fmt, ...) CASA_PRINTF(2, 3);

static void set_error(char err[SOURCE_ERROR_LEN], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, SOURCE_ERROR_LEN, fmt, ap);
	va_end(ap);
}

/* The server's message without trailing newlines (libpq's text may run over
 * several lines; the first one says what failed). */
static void server_message(PGconn *conn, const PGresult *res, char *out, size_t len)
{
	const char *text = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (text == NULL)
		text = PQerrorMessage(conn);
	snprintf(out, len, "%s", text ? text : "unknown error");
	char *newline = strchr(out, '\n');
	if (newline != NULL)
		*newline = '\0';
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- cancelling --------------------------------------------------------- */

#define MAX_PARALLEL 8 /* one connection per table at most (five tables) */
/* the main connection, the extra ones and a kept key-check connection */
#define CANCEL_SLOTS (MAX_PARALLEL + 2)

struct source_cancel {
	pthread_mutex_t lock;            /* guards everything below */
	bool requested;                  /* source_cancel_request() was called */
	PGconn *conns[CANCEL_SLOTS];     /* open connections of the pull, NULL = free */
	PGcancel *cancels[CANCEL_SLOTS]; /* PQgetCancel() of each */
};

struct source_cancel *source_cancel_new(void)
{
	struct source_cancel *cancel = calloc(1, sizeof(*cancel));
	if (cancel != NULL && pthread_mutex_init(&cancel->lock, NULL) != 0) {
		free(cancel);
		cancel = NULL;
	}
	return cancel;
}

void source_cancel_free(struct source_cancel *cancel)
{
	if (cancel == NULL)
		return;
	for (int i = 0; i < CANCEL_SLOTS; i++)
		PQfreeCancel(cancel->cancels[i]);
	pthread_mutex_destroy(&cancel->lock);
	free(cancel);
}

void source_cancel_request(struct source_cancel *cancel)
{
	if (cancel == NULL)
		return;
	pthread_mutex_lock(&cancel->lock);
	cancel->requested = true;
	for (int i = 0; i < CANCEL_SLOTS; i++) {
		char message[256];
		/* best effort: a statement that ends first needs no cancel */
		if (cancel->cancels[i] != NULL)
			(void)PQcancel(cancel->cancels[i], message, sizeof(message));
	}
	pthread_mutex_unlock(&cancel->lock);
}

static bool cancel_requested(struct source_cancel *cancel)
{
	if (cancel == NULL)
		return false;
	pthread_mutex_lock(&cancel->lock);
	bool requested = cancel->requested;
	pthread_mutex_unlock(&cancel->lock);
	return requested;
}

/* Makes conn reachable by source_cancel_request(); false when the request
 * came first (or no slot is free, which cannot happen). */
static bool cancel_register(struct source_cancel *cancel, PGconn *conn)
{
	if (cancel == NULL)
		return true;
	PGcancel *handle = PQgetCancel(conn);
	pthread_mutex_lock(&cancel->lock);
	bool ok = !cancel->requested && handle != NULL;
	int i = 0;
	while (ok && i < CANCEL_SLOTS && cancel->conns[i] != NULL)
		i++;
	ok = ok && i < CANCEL_SLOTS;
	if (ok) {
		cancel->conns[i] = conn;
		cancel->cancels[i] = handle;
	}
	pthread_mutex_unlock(&cancel->lock);
	if (!ok)
		PQfreeCancel(handle);
	return ok;
}

/* Closes a connection of the pull (NULL allowed). */
void source_finish(struct source_cancel *cancel, PGconn *conn)
{
	if (conn == NULL)
		return;
	if (cancel != NULL) {
		pthread_mutex_lock(&cancel->lock);
		for (int i = 0; i < CANCEL_SLOTS; i++) {
			if (cancel->conns[i] == conn) {
				PQfreeCancel(cancel->cancels[i]);
				cancel->conns[i] = NULL;
				cancel->cancels[i] = NULL;
			}
		}
		pthread_mutex_unlock(&cancel->lock);
	}
	PQfinish(conn);
}

/* The kind of a failure seen at `conn` (NULL: never connected): a request
 * to cancel or a lost connection explain any failure; otherwise `kind`. */
static enum source_failure classify(const struct source_options *options, PGconn *conn,
                                    enum source_failure kind)
{
	if (cancel_requested(options->cancel))
		return SOURCE_FAILED_CANCELLED;
	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
		return SOURCE_FAILED_CONNECT;
	return kind;
}

const char *source_failure_name(enum source_failure kind)
{
	switch (kind) {
	case SOURCE_FAILED_CONNECT:
		return "connect";
	case SOURCE_FAILED_SERVER:
		return "server";
	case SOURCE_FAILED_CONTRACT:
		return "contract";
	case SOURCE_FAILED_DATA:
		return "data";
	case SOURCE_FAILED_CANCELLED:
		return "cancelled";
	case SOURCE_FAILED_MEMORY:
		return "memory";
	}
	return "unknown";
}

/* ---- connecting --------------------------------------------------------- */

/* True when conninfo is a key=value string or a URI (not a bare dbname). */
static bool is_conninfo_string(const char *conninfo)
{
	return strchr(conninfo, '=') != NULL || strncmp(conninfo, "postgres://", 11) == 0 ||
	       strncmp(conninfo, "postgresql://", 13) == 0;
}

/*
 * Opens a connection. Our defaults come before the user's conninfo (libpq
 * lets a later keyword override an earlier one), so the conninfo wins for
 * application_name and connect_timeout; `pin`, when given, connects to the
 * same server as that connection (a multi-host list could pick another).
 */
PGconn *source_connect(const struct source_options *options, PGconn *pin,
                       char err[SOURCE_ERROR_LEN])
{
	const char *keywords[16];
	const char *values[16];
	char timeout[16];
	int n = 0;
	const char *conninfo = options->conninfo ? options->conninfo : "";
	/* The user's connect_timeout (conninfo or PGCONNECT_TIMEOUT) wins. */
	bool has_timeout = getenv("PGCONNECT_TIMEOUT") != NULL;
	if (is_conninfo_string(conninfo)) {
		/* Validate up front; libpq's parse message may quote the
		 * conninfo (and a password in it), so it is not passed on. */
		char *parse_error = NULL;
		PQconninfoOption *parsed = PQconninfoParse(conninfo, &parse_error);
		PQfreemem(parse_error);
		if (parsed == NULL) {
			set_error(err, "source: the database conninfo does not parse");
			return NULL;
		}
		for (PQconninfoOption *option = parsed; option->keyword != NULL; option++) {
			if (strcmp(option->keyword, "connect_timeout") == 0 && option->val != NULL)
				has_timeout = true;
		}
		PQconninfoFree(parsed);
	}
	keywords[n] = "application_name";
	values[n++] = "casa-metricsd";
	keywords[n] = "keepalives";
	values[n++] = "1";
	keywords[n] = "keepalives_idle";
	values[n++] = KEEPALIVES_IDLE;
	keywords[n] = "keepalives_interval";
	values[n++] = KEEPALIVES_INTERVAL;
	keywords[n] = "keepalives_count";
	values[n++] = KEEPALIVES_COUNT;
	if (PQlibVersion() >= 120000) { /* the keyword came with libpq 12 */
		keywords[n] = "tcp_user_timeout";
		values[n++] = TCP_USER_TIMEOUT_MS;
	}
	if (options->connect_timeout_s > 0 && !has_timeout) {
		snprintf(timeout, sizeof(timeout), "%d", options->connect_timeout_s);
		keywords[n] = "connect_timeout";
		values[n++] = timeout;
	}
	keywords[n] = "dbname";
	values[n++] = conninfo;
	/* County names go out as JSON: always UTF-8. */
	keywords[n] = "client_encoding";
	values[n++] = "UTF8";
	if (pin != NULL) {
		const char *hostaddr = PQhostaddr(pin);
		keywords[n] = "host";
		values[n++] = PQhost(pin);
		keywords[n] = "port";
		values[n++] = PQport(pin);
		if (hostaddr != NULL && hostaddr[0] != '\0') {
			keywords[n] = "hostaddr";
			values[n++] = hostaddr;
		}
	}
	keywords[n] = NULL;
	values[n] = NULL;
	PGconn *conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL) {
		set_error(err, "source: out of memory connecting");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char message[SOURCE_ERROR_LEN - 64];
		server_message(conn, NULL, message, sizeof(message));
		set_error(err, "source: cannot connect: %s", message);
		PQfinish(conn);
		return NULL;
	}
	if (!cancel_register(options->cancel, conn)) {
		set_error(err, "source: cancelled");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* Runs one statement expecting `expect`; returns the result (caller
 * PQclear()s) or NULL with err filled, naming `what`. */
static PGresult *run(PGconn *conn, const char *sql, int nparams, const char *const *params,
                     ExecStatusType expect, const char *what, char err[SOURCE_ERROR_LEN])
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (res != NULL && PQresultStatus(res) == expect)
		return res;
	char message[SOURCE_ERROR_LEN - 64];
	server_message(conn, res, message, sizeof(message));
	set_error(err, "source: %s: %s", what, message);
	PQclear(res);
	return NULL;
}

static bool run_command(PGconn *conn, const char *sql, int nparams, const char *const *params,
                        const char *what, char err[SOURCE_ERROR_LEN])
{
	PGresult *res = run(conn, sql, nparams, params, PGRES_COMMAND_OK, what, err);
	PQclear(res);
	return res != NULL;
}

/* Session settings inside the transaction: statement timeout, time zone
 * (SPEC §3: timestamps become dates in the configured zone) and ISO dates,
 * which is what the parser reads. Values are parameters, never spliced. */
static bool set_session(PGconn *conn, const struct source_options *options,
                        char err[SOURCE_ERROR_LEN])
{
	char timeout[32];
	snprintf(timeout, sizeof(timeout), "%lld",
	         options->statement_timeout_s > 0 ? (long long)options->statement_timeout_s * 1000
	                                          : 0LL);
	const char *zone = options->timezone;
	if (zone == NULL || zone[0] == '\0')
		zone = getenv("TZ");
	if (zone != NULL && zone[0] == ':')
		zone++;
	const char *params[2] = {timeout, zone};
	PGresult *res = run(conn, "SELECT set_config('DateStyle', 'ISO, YMD', true)", 0, NULL,
	                    PGRES_TUPLES_OK, "session settings", err);
	if (res == NULL)
		return false;
	PQclear(res);
	/* 0 = none of ours: a timeout the role or server sets (sql/roles.sql
	 * gives the daemon's role one) stays in force. */
	if (options->statement_timeout_s > 0) {
		res = run(conn, "SELECT set_config('statement_timeout', $1, true)", 1, params,
		          PGRES_TUPLES_OK, "statement timeout", err);
		if (res == NULL)
			return false;
		PQclear(res);
	}
	/* Without a configured zone the server's default stays (the daemon
	 * normally passes its TZ). */
	if (zone == NULL || zone[0] == '\0')
		return true;
	res = run(conn, "SELECT set_config('TimeZone', $1, true)", 1, params + 1, PGRES_TUPLES_OK,
	          "time zone", err);
	PQclear(res);
	return res != NULL;
}

/* ---- text encoding ------------------------------------------------------ */

/* How text comes to the parser, decided once per pull from the server's
 * encoding. UTF8: the server sends UTF-8 (it cannot hold anything else).
 * Any other: client_encoding SQL_ASCII, under which the server sends its
 * bytes as stored, converted here row by row from iconv_from, or, for a
 * SQL_ASCII database (which stores any byte), read as UTF-8 and checked by
 * the parser. */
struct text_encoding {
	bool raw;            /* client_encoding SQL_ASCII: the bytes as stored */
	char iconv_from[32]; /* with raw: iconv's name of the server encoding,
	                        "" = none (SQL_ASCII: read as UTF-8) */
};

/* iconv's name for a server encoding of PostgreSQL (glibc spells WIN1252
 * CP1252, ISO_8859_5 ISO-8859-5, EUC_JIS_2004 EUC-JISX0213); false when
 * glibc cannot convert from it (MULE_INTERNAL). */
static bool iconv_name(const char *server, char out[32])
{
	if (strcmp(server, "EUC_JIS_2004") == 0)
		snprintf(out, 32, "EUC-JISX0213");
	else if (strcmp(server, "KOI8R") == 0 || strcmp(server, "KOI8U") == 0)
		snprintf(out, 32, "KOI8-%c", server[4]);
	else if (strncmp(server, "WIN", 3) == 0)
		snprintf(out, 32, "CP%.20s", server + 3);
	else
		snprintf(out, 32, "%.31s", server);
	for (char *c = out; *c != '\0'; c++)
		*c = *c == '_' ? '-' : *c;
	iconv_t probe = iconv_open("UTF-8", out);
	if (probe == (iconv_t)-1)
		return false;
	iconv_close(probe);
	return true;
}

static void choose_encoding(PGconn *conn, struct text_encoding *encoding)
{
	const char *server = PQparameterStatus(conn, "server_encoding");
	memset(encoding, 0, sizeof(*encoding));
	if (server == NULL || strcmp(server, "UTF8") == 0)
		return;
	if (strcmp(server, "SQL_ASCII") == 0 || iconv_name(server, encoding->iconv_from)) {
		encoding->raw = true;
		if (strcmp(server, "SQL_ASCII") == 0)
			encoding->iconv_from[0] = '\0';
		return;
	}
	log_warnx("source: no converter from the database encoding %s: a character it cannot "
	          "convert to UTF-8 stops the pull",
	          server);
}

static bool apply_encoding(PGconn *conn, const struct text_encoding *encoding,
                           char err[SOURCE_ERROR_LEN])
{
	return !encoding->raw || run_command(conn, "SET client_encoding TO 'SQL_ASCII'", 0, NULL,
	                                     "client encoding", err);
}

/* A row in the server's encoding, converted to UTF-8. */
struct row_decoder {
	iconv_t cd; /* (iconv_t)-1: the rows are UTF-8 already */
	char *out;  /* the converted row */
	size_t cap; /* bytes at out */
};

/* Converts row[0..len) into decoder->out (*out_len bytes). False when a byte
 * sequence has no UTF-8 form (the row is left out), or with *nomem set when
 * memory runs out. */
static bool decode_row(struct row_decoder *decoder, const char *row, size_t len, size_t *out_len,
                       bool *nomem)
{
	/* Four UTF-8 bytes per input byte covers every server encoding; a
	 * shortfall still grows the buffer and starts again. */
	size_t want = len * 4 + 16;
	*nomem = false;
	for (;;) {
		if (decoder->cap < want) {
			char *grown = realloc(decoder->out, want);
			if (grown == NULL) {
				*nomem = true;
				return false;
			}
			decoder->out = grown;
			decoder->cap = want;
		}
		char *in = (char *)(uintptr_t)row; /* iconv() does not write the input */
		size_t in_left = len, out_left = decoder->cap;
		char *out = decoder->out;
		iconv(decoder->cd, NULL, NULL, NULL, NULL); /* initial shift state */
		if (iconv(decoder->cd, &in, &in_left, &out, &out_left) != (size_t)-1 &&
		    iconv(decoder->cd, NULL, NULL, &out, &out_left) != (size_t)-1) {
			*out_len = decoder->cap - out_left;
			return true;
		}
		if (errno != E2BIG)
			return false; /* EILSEQ, EINVAL: not convertible */
		want *= 2;
	}
}

/* ---- schema check ------------------------------------------------------- */

static bool type_matches(enum copy_text_type want, const char *data_type)
{
	switch (want) {
	case COPY_TEXT_BIGINT:
		return strcmp(data_type, "bigint") == 0 || strcmp(data_type, "integer") == 0 ||
		       strcmp(data_type, "smallint") == 0;
	case COPY_TEXT_TEXT:
		/* Not character(n): its blank padding would turn every code
		 * into an unknown one without a word. */
		return strcmp(data_type, "text") == 0 ||
		       strcmp(data_type, "character varying") == 0;
	case COPY_TEXT_DATE:
		return strcmp(data_type, "date") == 0;
	case COPY_TEXT_BOOLEAN:
		return strcmp(data_type, "boolean") == 0;
	case COPY_TEXT_TIMESTAMPTZ:
	default:
		return strcmp(data_type, "timestamp with time zone") == 0;
	}
}

/* Every contract column exists with a usable type; the error names the
 * first table.column that does not (SPEC §2). An optional table may be
 * absent: present[t] says whether contract[t] is there to pull. */
static bool check_schema(PGconn *conn, const char *schema, bool present[],
                         char err[SOURCE_ERROR_LEN])
{
	const char *params[1] = {schema};
	PGresult *res = run(conn,
	                    "SELECT table_name::text, column_name::text, data_type::text "
	                    "FROM information_schema.columns WHERE table_schema = $1",
	                    1, params, PGRES_TUPLES_OK, "reading information_schema", err);
	if (res == NULL)
		return false;
	bool ok = false;
	int rows = PQntuples(res);
	for (int t = 0; t < CONTRACT_TABLES; t++) {
		const struct contract_table *table = &contract[t];
		bool table_seen = false;
		for (int r = 0; r < rows; r++)
			table_seen |= strcmp(PQgetvalue(res, r, 0), table->name) == 0;
		present[t] = table_seen;
		if (!table_seen && table->optional)
			continue;
		if (!table_seen) {
			set_error(err, "source: %s.%s: table missing (or no privilege)", schema,
			          table->name);
			goto fail;
		}
		for (int c = 0; c < table->column_count; c++) {
			const struct contract_column *column = &table->columns[c];
			const char *type = NULL;
			for (int r = 0; r < rows && type == NULL; r++) {
				if (strcmp(PQgetvalue(res, r, 0), table->name) == 0 &&
				    strcmp(PQgetvalue(res, r, 1), column->name) == 0)
					type = PQgetvalue(res, r, 2);
			}
			if (type == NULL) {
				set_error(err, "source: %s.%s.%s: column missing", schema,
				          table->name, column->name);
				goto fail;
			}
			if (!type_matches(column->type, type)) {
				set_error(err, "source: %s.%s.%s: has type %s, expected %s", schema,
				          table->name, column->name, type,
				          column_type_names[column->type]);
				goto fail;
			}
		}
	}
	ok = true;
fail:
	PQclear(res);
	return ok;
}

/* The newest batch of the quoted schema's extract_batches: max(batch_id),
 * the refresh key (-1 when the table is empty), and, when loaded_at is not
 * NULL, that batch's loaded_at in Unix seconds (0 when empty). max() reads
 * one entry of the primary key's index, skips a NULL batch_id of a source
 * without the key, and the latest loaded_at settles a repeated batch_id. */
static bool read_refresh_key(PGconn *conn, const char *quoted_schema, int64_t *key,
                             int64_t *loaded_at, char err[SOURCE_ERROR_LEN])
{
	char sql[512];
	snprintf(sql, sizeof(sql),
	         "SELECT newest::text, (SELECT floor(extract(epoch FROM max(b.loaded_at)))::bigint"
	         "::text FROM %s.extract_batches b WHERE b.batch_id = newest) "
	         "FROM (SELECT max(batch_id) AS newest FROM %s.extract_batches) m",
	         quoted_schema, quoted_schema);
	PGresult *res = run(conn, sql, 0, NULL, PGRES_TUPLES_OK, "reading extract_batches", err);
	if (res == NULL)
		return false;
	*key = -1;
	if (loaded_at != NULL)
		*loaded_at = 0;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		*key = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (loaded_at != NULL && !PQgetisnull(res, 0, 1))
			*loaded_at = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	}
	PQclear(res);
	return true;
}

/* ---- rows into struct model_raw ----------------------------------------- */

/* The rows of one table left out because they could not be read. */
enum unreadable {
	UNREADABLE_DATE, /* DQ_DROP_DATE_OUT_OF_RANGE */
	UNREADABLE_TEXT, /* DQ_DROP_TEXT_INVALID_ENCODING */
	UNREADABLE_KINDS
};

/* Where a row goes and where an error points, for one table. */
struct copy_table {
	const char *schema;                    /* for messages */
	const struct contract_table *table;    /* contract of the table */
	uint64_t line;                         /* 1-based data row number */
	char *err;                             /* SOURCE_ERROR_LEN buffer */
	uint32_t county_slots_mask;            /* episodes only: hash size - 1 */
	uint32_t *county_slots;                /* episodes only: index + 1, 0 = free */
	uint64_t left_out[UNREADABLE_KINDS];   /* rows not read, per kind */
	uint64_t first_line[UNREADABLE_KINDS]; /* line of the first of each kind */
	int first_column[UNREADABLE_KINDS];    /* its column, -1: not known */
};

/* Counts a row left out unread (SPEC §2: a bad row is left out by itself). */
static void left_out(struct copy_table *copy, enum unreadable kind, int column)
{
	if (copy->left_out[kind]++ == 0) {
		copy->first_line[kind] = copy->line;
		copy->first_column[kind] = column;
	}
}

static int64_t key_of(const struct copy_text_field *f)
{
	return f->null ? MODEL_RAW_KEY_NULL : f->bigint;
}

static void date_of(const struct copy_text_field *f, int32_t *date, bool *has)
{
	*has = !f->null;
	*date = f->null ? 0 : f->day;
}

static void timestamp_of(const struct copy_text_field *f, int64_t *at, int32_t *day)
{
	*at = f->null ? TS_NONE : f->at;
	*day = f->null ? 0 : f->day;
}

/* A code column, recoded (model_raw_code()): the text is decoded as it
 * always was, "" for null, EMPTY_CODE for a non-null empty string, longer
 * text cut at `cap` bytes (a cut code is still unknown: no code is that
 * long), so the same text gives the same count as before recoding. */
static uint8_t code_of(const struct copy_text_field *f, enum model_code_list list, size_t cap)
{
	char out[CODE_TEXT_MAX];
	if (f->null)
		return MODEL_RAW_CODE_NULL;
	if (cap > sizeof(out))
		cap = sizeof(out);
	if (copy_text_decode(f, out, cap) == 0)
		snprintf(out, cap, "%s", EMPTY_CODE);
	return model_raw_code(list, out);
}

/* Grows a raw array geometrically so that one more row fits. */
static bool grow(void **array, size_t *cap, size_t count, size_t size)
{
	if (count < *cap)
		return true;
	size_t want = *cap ? *cap * 2 : INITIAL_ROWS;
	void *grown = realloc(*array, want * size);
	if (grown == NULL)
		return false;
	*array = grown;
	*cap = want;
	return true;
}

#define GROW(raw, array, count, cap)                                                               \
	grow((void **)&(raw)->array, &(raw)->cap, (raw)->count, sizeof(*(raw)->array))

static uint32_t county_hash(const char *name, size_t n)
{
	return (uint32_t)hash_bytes(name, n, 0);
}

/* County name -> raw county index through a small open-addressing hash
 * (same interning as model_raw_county(), in constant time per row). */
static bool intern_county(struct copy_table *copy, struct model_raw *raw, const char *name,
                          size_t n, uint32_t *index)
{
	if (copy->county_slots == NULL || raw->county_count * 2 >= copy->county_slots_mask) {
		uint32_t size = copy->county_slots ? (copy->county_slots_mask + 1) * 2 : 256;
		uint32_t *slots = calloc(size, sizeof(*slots));
		if (slots == NULL)
			return false;
		free(copy->county_slots);
		copy->county_slots = slots;
		copy->county_slots_mask = size - 1;
		for (size_t i = 0; i < raw->county_count; i++) {
			uint32_t h = county_hash(raw->counties[i], strlen(raw->counties[i]));
			while (slots[h & copy->county_slots_mask] != 0)
				h++;
			slots[h & copy->county_slots_mask] = (uint32_t)i + 1;
		}
	}
	uint32_t h = county_hash(name, n);
	for (;; h++) {
		uint32_t slot = copy->county_slots[h & copy->county_slots_mask];
		if (slot == 0)
			break;
		const char *known = raw->counties[slot - 1];
		if (strncmp(known, name, n) == 0 && known[n] == '\0') {
			*index = slot - 1;
			return true;
		}
	}
	/* New name: append it here rather than through model_raw_county(),
	 * whose linear search would be quadratic in the number of names. */
	if (!GROW(raw, counties, county_count, county_cap))
		return false;
	char *copy_of_name = malloc(n + 1);
	if (copy_of_name == NULL)
		return false;
	memcpy(copy_of_name, name, n);
	copy_of_name[n] = '\0';
	raw->counties[raw->county_count] = copy_of_name;
	*index = (uint32_t)raw->county_count++;
	copy->county_slots[h & copy->county_slots_mask] = *index + 1;
	return true;
}

/* One parsed COPY row of `table` into raw. */
static bool add_row(struct copy_table *copy, struct model_raw *raw, const struct copy_text_field *f)
{
	switch (copy->table->table) {
	case MODEL_CHILDREN: {
		if (!GROW(raw, children, child_count, child_cap))
			goto nomem;
		struct model_raw_child *row = &raw->children[raw->child_count];
		row->child_key = key_of(&f[0]);
		date_of(&f[1], &row->birth_month, &row->has_birth_month);
		row->sex = code_of(&f[2], MODEL_CODES_SEX, CODE_TEXT_SHORT);
		row->race = code_of(&f[3], MODEL_CODES_RACE, CODE_TEXT_SHORT);
		raw->child_count++;
		return true;
	}
	case MODEL_EPISODES: {
		if (!GROW(raw, episodes, episode_count, episode_cap))
			goto nomem;
		struct model_raw_episode *row = &raw->episodes[raw->episode_count];
		char county[MODEL_COUNTY_NAME_MAX + 1];
		row->episode_key = key_of(&f[0]);
		row->child_key = key_of(&f[1]);
		date_of(&f[3], &row->removal_date, &row->has_removal_date);
		date_of(&f[4], &row->discharge_date, &row->has_discharge_date);
		row->has_county = !f[2].null;
		row->county = 0;
		row->county_cut = false;
		if (row->has_county && f[2].text_len > MODEL_COUNTY_NAME_MAX) {
			/* the whole name, for the hash that keeps it apart */
			char *full = malloc(f[2].text_len + 1);
			if (full == NULL)
				goto nomem;
			size_t n = copy_text_decode(&f[2], full, f[2].text_len + 1);
			row->county_cut = model_county_label(full, n, county);
			free(full);
		} else if (row->has_county) {
			(void)copy_text_decode(&f[2], county, sizeof(county));
		}
		if (row->has_county &&
		    !intern_county(copy, raw, county, strlen(county), &row->county))
			goto nomem;
		row->discharge_reason = code_of(&f[5], MODEL_CODES_REASON, CODE_TEXT_SHORT);
		raw->episode_count++;
		return true;
	}
	case MODEL_PLACEMENTS: {
		if (!GROW(raw, placements, placement_count, placement_cap))
			goto nomem;
		struct model_raw_placement *row = &raw->placements[raw->placement_count];
		row->placement_key = key_of(&f[0]);
		row->episode_key = key_of(&f[1]);
		row->setting = code_of(&f[2], MODEL_CODES_SETTING, CODE_TEXT_MAX);
		row->has_provider = !f[3].null;
		row->provider_key = f[3].null ? 0 : f[3].bigint;
		date_of(&f[4], &row->start_date, &row->has_start_date);
		date_of(&f[5], &row->end_date, &row->has_end_date);
		raw->placement_count++;
		return true;
	}
	case MODEL_MISSING: {
		if (!GROW(raw, missing, missing_count, missing_cap))
			goto nomem;
		struct model_raw_missing *row = &raw->missing[raw->missing_count];
		row->missing_key = key_of(&f[0]);
		row->episode_key = key_of(&f[1]);
		timestamp_of(&f[2], &row->went_missing_at, &row->went_missing_day);
		timestamp_of(&f[3], &row->agency_informed_at, &row->agency_informed_day);
		timestamp_of(&f[4], &row->returned_at, &row->returned_day);
		timestamp_of(&f[5], &row->reported_le_at, &row->reported_le_day);
		timestamp_of(&f[6], &row->reported_ncmec_at, &row->reported_ncmec_day);
		timestamp_of(&f[7], &row->screened_at, &row->screened_day);
		row->screen_result = code_of(&f[8], MODEL_CODES_SCREEN, CODE_TEXT_SHORT);
		raw->missing_count++;
		return true;
	}
	case MODEL_ASSIGNMENTS: {
		if (!GROW(raw, assignments, assignment_count, assignment_cap))
			goto nomem;
		struct model_raw_assignment *row = &raw->assignments[raw->assignment_count];
		row->assignment_key = key_of(&f[0]);
		row->episode_key = key_of(&f[1]);
		date_of(&f[2], &row->start_date, &row->has_start_date);
		date_of(&f[3], &row->end_date, &row->has_end_date);
		raw->assignment_count++;
		return true;
	}
	case MODEL_IDENTIFICATIONS: {
		if (!GROW(raw, identifications, identification_count, identification_cap))
			goto nomem;
		struct model_raw_identification *row =
		    &raw->identifications[raw->identification_count];
		row->identification_key = key_of(&f[0]);
		row->episode_key = key_of(&f[1]);
		timestamp_of(&f[2], &row->identified_at, &row->identified_day);
		row->has_while_in_care = !f[3].null;
		row->while_in_care = f[3].boolean;
		timestamp_of(&f[4], &row->reported_le_at, &row->reported_le_day);
		raw->identification_count++;
		return true;
	}
	}
nomem:
	set_error(copy->err, "source: %s.%s: out of memory at line %llu", copy->schema,
	          copy->table->name, (unsigned long long)copy->line);
	return false;
}

/* Parses one COPY row and adds it to raw, or leaves it out, counted, when a
 * date is out of range or text is not UTF-8; any other fault means the
 * stream is not what was asked for, and the error names the table, the
 * column and the line, never the value. */
static bool read_row(struct copy_table *copy, struct model_raw *raw, const char *row, size_t len,
                     const enum copy_text_type *types)
{
	const struct contract_table *table = copy->table;
	struct copy_text_field fields[COPY_TEXT_MAX_FIELDS];
	struct copy_text_error fault;
	if (copy_text_parse(row, len, types, table->column_count, fields, &fault))
		return add_row(copy, raw, fields);
	if (fault.column >= 0 &&
	    (fault.fault == COPY_TEXT_DATE_RANGE || fault.fault == COPY_TEXT_BAD_UTF8)) {
		left_out(copy,
		         fault.fault == COPY_TEXT_DATE_RANGE ? UNREADABLE_DATE : UNREADABLE_TEXT,
		         fault.column);
		return true;
	}
	if (fault.column < 0)
		set_error(copy->err, "source: %s.%s: line %llu: expected %d fields", copy->schema,
		          table->name, (unsigned long long)copy->line, table->column_count);
	else
		set_error(copy->err, "source: %s.%s.%s: line %llu: %s", copy->schema, table->name,
		          table->columns[fault.column].name, (unsigned long long)copy->line,
		          copy_text_fault_text(fault.fault));
	return false;
}

/* Says which rows of a finished table were left out unread: the table, the
 * column and line of the first, never a value. */
static void log_left_out(const struct copy_table *copy)
{
	static const char *const rules[UNREADABLE_KINDS] = {"drop_date_out_of_range",
	                                                    "drop_text_invalid_encoding"};
	for (int kind = 0; kind < UNREADABLE_KINDS; kind++) {
		if (copy->left_out[kind] == 0)
			continue;
		int column = copy->first_column[kind];
		log_info(
		    "source: %s.%s: %llu rows left out unread (%s), the first at line %llu%s%s",
		    copy->schema, copy->table->name, (unsigned long long)copy->left_out[kind],
		    rules[kind], (unsigned long long)copy->first_line[kind],
		    column >= 0 ? ", column " : "",
		    column >= 0 ? copy->table->columns[column].name : "");
	}
}

/* Streams one table with COPY into raw (rows in the server's encoding
 * converted by iconv_from when not ""); adds its payload bytes to *bytes. */
static bool copy_table(PGconn *conn, const char *schema, const char *quoted_schema,
                       const struct contract_table *table, const char *iconv_from,
                       struct model_raw *raw, uint64_t *bytes, bool *parse_failed,
                       char err[SOURCE_ERROR_LEN])
{
	char sql[1024];
	int at = snprintf(sql, sizeof(sql), "COPY (SELECT ");
	for (int c = 0; c < table->column_count; c++)
		at += snprintf(sql + at, sizeof(sql) - (size_t)at, "%s%s", c ? ", " : "",
		               table->columns[c].name);
	snprintf(sql + at, sizeof(sql) - (size_t)at, " FROM %s.%s) TO STDOUT", quoted_schema,
	         table->name);
	struct copy_table copy = {.schema = schema, .table = table, .err = err};
	struct row_decoder decoder = {.cd = (iconv_t)-1, .out = NULL, .cap = 0};
	enum copy_text_type types[COPY_TEXT_MAX_FIELDS];
	for (int c = 0; c < table->column_count; c++)
		types[c] = table->columns[c].type;
	bool ok = false;
	char what[128];
	snprintf(what, sizeof(what), "%s.%s: COPY", schema, table->name);
	if (iconv_from[0] != '\0') {
		decoder.cd = iconv_open("UTF-8", iconv_from);
		if (decoder.cd == (iconv_t)-1) {
			set_error(err, "source: %s: no converter from %s", what, iconv_from);
			return false;
		}
	}
	PGresult *res = run(conn, sql, 0, NULL, PGRES_COPY_OUT, what, err);
	if (res == NULL)
		goto done;
	PQclear(res);
	bool parse_ok = true;
	for (;;) {
		char *row = NULL;
		int len = PQgetCopyData(conn, &row, 0);
		if (len < 0)
			break;
		/* After a parse error keep draining so the connection stays usable. */
		if (parse_ok) {
			const char *text = row;
			size_t text_len = (size_t)len;
			bool nomem = false;
			copy.line++;
			*bytes += (uint64_t)len;
			if (decoder.cd != (iconv_t)-1 &&
			    !decode_row(&decoder, row, (size_t)len, &text_len, &nomem)) {
				text = NULL;
				if (nomem) {
					set_error(err, "source: %s: out of memory at line %llu",
					          what, (unsigned long long)copy.line);
					parse_ok = false;
				} else {
					left_out(&copy, UNREADABLE_TEXT, -1);
				}
			} else if (decoder.cd != (iconv_t)-1) {
				text = decoder.out;
			}
			if (text != NULL)
				parse_ok = read_row(&copy, raw, text, text_len, types);
		}
		PQfreemem(row);
	}
	*parse_failed = !parse_ok;
	res = PQgetResult(conn);
	if (parse_ok) {
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			char message[SOURCE_ERROR_LEN - 160];
			server_message(conn, res, message, sizeof(message));
			set_error(err, "source: %s: %s", what, message);
		} else {
			ok = true;
		}
	}
	while (res != NULL) {
		PQclear(res);
		res = PQgetResult(conn);
	}
	if (ok && table->table >= 0) {
		/* this thread pulls this table alone: its counters are its own */
		raw->dates_out_of_range[table->table] = copy.left_out[UNREADABLE_DATE];
		raw->text_invalid[table->table] = copy.left_out[UNREADABLE_TEXT];
		log_left_out(&copy);
	}
done:
	free(copy.county_slots);
	free(decoder.out);
	if (decoder.cd != (iconv_t)-1)
		iconv_close(decoder.cd);
	return ok;
}

/* ---- the pull ----------------------------------------------------------- */

/* Work shared by the pulling threads: the tables still to COPY. */
struct pull {
	const struct source_options *options; /* caller's */
	const char *schema;                   /* unquoted, for messages */
	const char *quoted_schema;            /* PQescapeIdentifier() result */
	const char *snapshot;                 /* exported snapshot id, from the server */
	PGconn *main_conn;                    /* the exporting connection (for pinning) */
	struct text_encoding encoding;        /* how text comes, the same on every connection */
	struct model_raw *raw;                /* one table per thread at a time */
	pthread_mutex_t lock;                 /* guards the fields below */
	int next_table;                       /* next index into pull_order[] */
	bool identifications;                 /* the optional table is there to pull */
	bool failed;                          /* stop taking tables */
	enum source_failure kind;             /* of the first error */
	uint64_t bytes;                       /* COPY payload of all tables */
	char err[SOURCE_ERROR_LEN];           /* first error */
};

/* Biggest tables first so that the connections finish together. */
static const int pull_order[] = {MODEL_PLACEMENTS, MODEL_EPISODES,    MODEL_MISSING,
                                 MODEL_CHILDREN,   MODEL_ASSIGNMENTS, MODEL_IDENTIFICATIONS};

static const struct contract_table *table_of(int model_table)
{
	for (int t = 0; t < CONTRACT_TABLES; t++) {
		if (contract[t].table == model_table)
			return &contract[t];
	}
	return NULL;
}

/* Takes the next table, or NULL when none is left or the pull failed. */
static const struct contract_table *take_table(struct pull *pull)
{
	const struct contract_table *table = NULL;
	pthread_mutex_lock(&pull->lock);
	if (!pull->failed && pull->next_table < (int)CASA_ARRAY_LEN(pull_order) &&
	    !cancel_requested(pull->options->cancel))
		table = table_of(pull_order[pull->next_table++]);
	/* the optional table is last: without it, nothing is left */
	if (table != NULL && table->optional && !pull->identifications)
		table = NULL;
	pthread_mutex_unlock(&pull->lock);
	return table;
}

static bool tables_left(struct pull *pull)
{
	pthread_mutex_lock(&pull->lock);
	int tables = (int)CASA_ARRAY_LEN(pull_order) - (pull->identifications ? 0 : 1);
	bool left = !pull->failed && pull->next_table < tables;
	pthread_mutex_unlock(&pull->lock);
	return left;
}

/* Pulls tables on conn until none is left; the first error stops all. */
static void pull_tables(struct pull *pull, PGconn *conn)
{
	const struct contract_table *table;
	char err[SOURCE_ERROR_LEN];
	while ((table = take_table(pull)) != NULL) {
		uint64_t bytes = 0;
		bool parse_failed = false;
		bool ok =
		    copy_table(conn, pull->schema, pull->quoted_schema, table,
		               pull->encoding.iconv_from, pull->raw, &bytes, &parse_failed, err);
		enum source_failure kind =
		    ok ? SOURCE_FAILED_SERVER
		       : classify(pull->options, conn,
		                  parse_failed ? SOURCE_FAILED_DATA : SOURCE_FAILED_SERVER);
		pthread_mutex_lock(&pull->lock);
		pull->bytes += bytes;
		if (!ok && !pull->failed) {
			pull->failed = true;
			pull->kind = kind;
			memcpy(pull->err, err, sizeof(err));
		}
		pthread_mutex_unlock(&pull->lock);
		if (!ok)
			break;
	}
}

/* An extra connection: imports the snapshot, then pulls tables. When it
 * cannot join (another server of a multi-host list, a connection limit) it
 * steps aside and the others pull its share: not an error. */
static void *pull_worker(void *arg)
{
	struct pull *pull = arg;
	char err[SOURCE_ERROR_LEN];
	char sql[128];
	if (!tables_left(pull))
		return NULL;
	PGconn *conn = source_connect(pull->options, pull->main_conn, err);
	if (conn == NULL)
		goto fail;
	snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT '%s'", pull->snapshot);
	if (!run_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, "begin",
	                 err) ||
	    !run_command(conn, sql, 0, NULL, "importing the snapshot", err) ||
	    !set_session(conn, pull->options, err) || !apply_encoding(conn, &pull->encoding, err))
		goto fail;
	pull_tables(pull, conn);
	source_finish(pull->options->cancel, conn);
	return NULL;
fail:
	if (!cancel_requested(pull->options->cancel))
		log_warnx("source: extra connection not used: %s", err);
	source_finish(pull->options->cancel, conn);
	return NULL;
}

/* An exported snapshot id looks like "00000003-0000001B-1": checked before
 * it goes into SQL, although it comes from the server. */
static bool snapshot_id_ok(const char *id)
{
	size_t n = strlen(id);
	return n > 0 && n < 64 && strspn(id, "0123456789ABCDEFabcdef-") == n;
}

/* Exports the main transaction's snapshot and starts the extra threads. */
static int start_workers(struct pull *pull, PGconn *conn, pthread_t *threads, int wanted,
                         char *snapshot, char err[SOURCE_ERROR_LEN])
{
	PGresult *res = run(conn, "SELECT pg_export_snapshot()", 0, NULL, PGRES_TUPLES_OK,
	                    "exporting the snapshot", err);
	if (res == NULL)
		return -1;
	snprintf(snapshot, 64, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!snapshot_id_ok(snapshot)) {
		set_error(err, "source: unexpected snapshot id from the server");
		return -1;
	}
	pull->snapshot = snapshot;
	int started = 0;
	for (int i = 0; i < wanted; i++) {
		if (pthread_create(&threads[started], NULL, pull_worker, pull) != 0) {
			log_warnx("source: cannot start a pull thread");
			break;
		}
		started++;
	}
	return started;
}

bool source_pull(const struct source_options *options, struct model_raw *raw,
                 struct source_stats *stats, struct source_error *error)
{
	double started_at = now_seconds();
	const char *schema = options->schema && options->schema[0] ? options->schema : "deid";
	char *quoted = NULL;
	char snapshot[64];
	/* cppcheck-suppress ctuuninitvar ; error is output only: this takes the
	 * address of its buffer, nothing is read before it is written */
	char *err = error->message;
	pthread_t threads[MAX_PARALLEL];
	int workers = 0;
	bool ok = false, lock_ready = false;
	enum source_failure kind = SOURCE_FAILED_CONNECT;
	struct pull pull = {.options = options, .schema = schema, .raw = raw};
	memset(stats, 0, sizeof(*stats));
	err[0] = '\0';
	raw->refresh_key = -1;
	raw->refresh_loaded_at = 0;
	PGconn *conn = source_connect(options, NULL, err);
	if (conn == NULL)
		goto fail;
	kind = SOURCE_FAILED_SERVER;
	quoted = PQescapeIdentifier(conn, schema, strlen(schema));
	if (quoted == NULL) {
		set_error(err, "source: the schema name cannot be quoted");
		goto fail;
	}
	pull.quoted_schema = quoted;
	pull.main_conn = conn;
	choose_encoding(conn, &pull.encoding);
	if (!run_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, "begin",
	                 err) ||
	    !set_session(conn, options, err) || !apply_encoding(conn, &pull.encoding, err))
		goto fail;
	kind = SOURCE_FAILED_CONTRACT;
	bool present[CONTRACT_TABLES];
	if (!check_schema(conn, schema, present, err))
		goto fail;
	pull.identifications = present[table_of(MODEL_IDENTIFICATIONS) - contract];
	raw->has_identifications = pull.identifications;
	if (!pull.identifications)
		log_info("source: %s.trafficking_identifications absent (or no privilege): the "
		         "trafficking metrics are left out",
		         schema);
	kind = SOURCE_FAILED_SERVER;
	if (!read_refresh_key(conn, quoted, &raw->refresh_key, &raw->refresh_loaded_at, err))
		goto fail;
	if (pthread_mutex_init(&pull.lock, NULL) != 0) {
		kind = SOURCE_FAILED_MEMORY;
		set_error(err, "source: cannot create a mutex");
		goto fail;
	}
	lock_ready = true;
	int wanted = options->parallel - 1;
	if (wanted > MAX_PARALLEL)
		wanted = MAX_PARALLEL;
	if (wanted > 0) {
		workers = start_workers(&pull, conn, threads, wanted, snapshot, err);
		if (workers < 0) {
			workers = 0;
			goto fail;
		}
	}
	pull_tables(&pull, conn);
	for (int i = 0; i < workers; i++)
		pthread_join(threads[i], NULL);
	workers = 0;
	if (pull.failed) {
		memcpy(err, pull.err, SOURCE_ERROR_LEN);
		kind = pull.kind;
		goto fail;
	}
	if (cancel_requested(options->cancel)) {
		set_error(err, "source: cancelled");
		goto fail;
	}
	/* The transaction only read; ending it cannot lose anything. */
	if (!run_command(conn, "COMMIT", 0, NULL, "commit", err))
		goto fail;
	ok = true;
fail:
	for (int i = 0; i < workers; i++)
		pthread_join(threads[i], NULL);
	if (lock_ready)
		pthread_mutex_destroy(&pull.lock);
	if (!ok)
		error->kind = classify(options, conn, kind);
	stats->rows[MODEL_CHILDREN] = raw->child_count;
	stats->rows[MODEL_EPISODES] = raw->episode_count;
	stats->rows[MODEL_PLACEMENTS] = raw->placement_count;
	stats->rows[MODEL_MISSING] = raw->missing_count;
	stats->rows[MODEL_ASSIGNMENTS] = raw->assignment_count;
	stats->rows[MODEL_IDENTIFICATIONS] = raw->identification_count;
	for (int t = 0; t < MODEL_TABLE_COUNT; t++)
		stats->rows[t] += raw->dates_out_of_range[t] + raw->text_invalid[t];
	stats->bytes = pull.bytes;
	stats->seconds = now_seconds() - started_at;
	PQfreemem(quoted);
	source_finish(options->cancel, conn);
	return ok;
}

/* ---- the refresh key ---------------------------------------------------- */

/* The key-check connection the daemon keeps between refreshes (issue 15: a
 * new connection, and the new backend behind it, cost 20 to 75 ms per check;
 * a check on an open one costs one round trip). */
struct source_key_conn {
	PGconn *conn;                 /* open, session set for key checks */
	struct source_cancel *cancel; /* where conn is registered (may be NULL) */
	uint64_t conninfo_hash;       /* of the conninfo it was opened with */
	int statement_timeout_s;      /* the session's, as set at open */
};

static uint64_t conninfo_hash_of(const struct source_options *options)
{
	const char *conninfo = options->conninfo ? options->conninfo : "";
	return hash_bytes(conninfo, strlen(conninfo), 0);
}

void source_key_conn_close(struct source_key_conn **kept)
{
	if (kept == NULL || *kept == NULL)
		return;
	source_finish((*kept)->cancel, (*kept)->conn);
	free(*kept);
	*kept = NULL;
}

/* Whether *kept may serve a check under options: opened with the same
 * conninfo, timeout and cancel handle, and not known to be broken. */
static bool key_conn_fits(const struct source_key_conn *kept, const struct source_options *options)
{
	return PQstatus(kept->conn) == CONNECTION_OK && kept->cancel == options->cancel &&
	       kept->conninfo_hash == conninfo_hash_of(options) &&
	       kept->statement_timeout_s == options->statement_timeout_s;
}

/* Opens a key-check connection. Its settings are the session's (it runs
 * nothing else), so that a check is a single statement: every transaction
 * read-only, and the statement timeout as set_session() gives a pull (0 =
 * the role's or server's). The key's text does not depend on DateStyle or
 * TimeZone. NULL with err filled. */
static struct source_key_conn *key_conn_open(const struct source_options *options,
                                             char err[SOURCE_ERROR_LEN])
{
	char timeout[32];
	const char *params[1] = {timeout};
	struct source_key_conn *kept = calloc(1, sizeof(*kept));
	if (kept == NULL) {
		set_error(err, "source: out of memory connecting");
		return NULL;
	}
	kept->cancel = options->cancel;
	kept->conninfo_hash = conninfo_hash_of(options);
	kept->statement_timeout_s = options->statement_timeout_s;
	kept->conn = source_connect(options, NULL, err);
	if (kept->conn == NULL) {
		free(kept);
		return NULL;
	}
	PGresult *res =
	    run(kept->conn, "SELECT set_config('default_transaction_read_only', 'on', false)", 0,
	        NULL, PGRES_TUPLES_OK, "session settings", err);
	if (res == NULL)
		return kept; /* the caller classifies the failure, then closes */
	PQclear(res);
	if (options->statement_timeout_s > 0) {
		snprintf(timeout, sizeof(timeout), "%lld",
		         (long long)options->statement_timeout_s * 1000);
		res = run(kept->conn, "SELECT set_config('statement_timeout', $1, false)", 1,
		          params, PGRES_TUPLES_OK, "statement timeout", err);
		if (res == NULL)
			return kept;
		PQclear(res);
	}
	err[0] = '\0';
	return kept;
}

bool source_refresh_key(const struct source_options *options, struct source_key_conn **kept,
                        int64_t *key, struct source_error *error)
{
	const char *schema = options->schema && options->schema[0] ? options->schema : "deid";
	struct source_key_conn *own = NULL;
	struct source_key_conn **slot = kept != NULL ? kept : &own;
	bool ok = false;
	char *quoted = NULL;
	/* cppcheck-suppress ctuuninitvar ; as in source_pull(): output only */
	char *err = error->message;
	err[0] = '\0';
	error->kind = SOURCE_FAILED_SERVER;
	if (*slot != NULL && !key_conn_fits(*slot, options))
		source_key_conn_close(slot);
	/* A kept connection may have been closed by the server since the last
	 * check (a restart, idle_session_timeout, pg_terminate_backend): that
	 * is found only by using it, and is followed by one new connection at
	 * once, so that it does not count as the database being down. */
	bool reused = *slot != NULL;
	for (;;) {
		if (*slot == NULL) {
			*slot = key_conn_open(options, err);
			if (*slot == NULL) {
				error->kind = classify(options, NULL, SOURCE_FAILED_CONNECT);
				goto fail;
			}
		}
		PGconn *conn = (*slot)->conn;
		if (err[0] == '\0') {
			quoted = PQescapeIdentifier(conn, schema, strlen(schema));
			if (quoted == NULL) {
				set_error(err, "source: the schema name cannot be quoted");
				goto fail;
			}
			if (read_refresh_key(conn, quoted, key, NULL, err)) {
				ok = true;
				break;
			}
			PQfreemem(quoted);
			quoted = NULL;
		}
		error->kind = classify(options, conn, SOURCE_FAILED_SERVER);
		source_key_conn_close(slot);
		if (!reused || error->kind != SOURCE_FAILED_CONNECT)
			goto fail;
		log_info("source: the kept key-check connection was closed by the server; "
		         "connecting again");
		reused = false;
		err[0] = '\0';
	}
fail:
	PQfreemem(quoted);
	if (!ok)
		source_key_conn_close(slot);
	source_key_conn_close(&own);
	return ok;
}
