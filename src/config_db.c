/*
 * config_db.c — the database conninfo as the daemon checks, shows and hides
 * it (SPEC §7: the password never appears in a log line, an error or the
 * process list).
 *
 * A URI whose password holds an unescaped '@' or '/' parses, but wrongly:
 * libpq takes "postgresql://u:pa@ss-X@db/x" as user u, password "pa" and
 * host "ss-X@db", and "postgresql://u:pa/ss@db/x" as host "u", port "pa".
 * Part of the password then sits in a field that logs and libpq's own
 * connection errors print. So such a conninfo is refused when it is loaded
 * (config_db_check), and the description printed at start shows a field
 * only when it could not hold such a fragment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "casa/config.h"

#define NOT_SHOWN "(not shown)"

/* True for a URI conninfo (libpq's two schemes). */
static bool is_uri(const char *conninfo)
{
	return strncmp(conninfo, "postgresql://", 13) == 0 ||
	       strncmp(conninfo, "postgres://", 11) == 0;
}

/* A URI whose user name or password holds an unescaped '@' (a second '@' in
 * the authority) or '/' (an '@' after the authority, before the query). */
static bool uri_has_stray_separator(const char *conninfo)
{
	const char *authority = strstr(conninfo, "://") + 3;
	size_t authority_len = strcspn(authority, "/?");
	size_t path_len = strcspn(authority + authority_len, "?");
	unsigned at_signs = 0;
	for (size_t i = 0; i < authority_len; i++)
		at_signs += authority[i] == '@';
	return at_signs > 1 || memchr(authority + authority_len, '@', path_len) != NULL;
}

/* One element of a host list: a name or numeric address, a socket
 * directory (absolute path) or an abstract socket ('@' then a name). */
static bool host_element_plausible(const char *text, size_t n)
{
	if (n == 0)
		return true; /* an empty element means libpq's default */
	if (text[0] == '/')
		return memchr(text, '@', n) == NULL;
	size_t start = text[0] == '@' ? 1 : 0;
	for (size_t i = start; i < n; i++) {
		char c = text[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == ':' ||
		          c == '%';
		if (!ok)
			return false;
	}
	return n > start;
}

/* host (a comma-separated list, SPEC §2 allows several) is plausible. */
static bool host_plausible(const char *host)
{
	while (true) {
		size_t n = strcspn(host, ",");
		if (!host_element_plausible(host, n))
			return false;
		if (host[n] == '\0')
			return true;
		host += n + 1;
	}
}

/* port: digits, or a comma-separated list of them. */
static bool port_plausible(const char *port)
{
	for (const char *c = port; *c != '\0'; c++)
		if (!((*c >= '0' && *c <= '9') || *c == ','))
			return false;
	return true;
}

/* Every port of a plausible port list is empty or 1..65535: libpq parses
 * any text and fails only at connect, at every refresh. */
static bool ports_in_range(const char *port)
{
	for (const char *p = port; *p != '\0';) {
		size_t n = strcspn(p, ",");
		long number = 0;
		for (size_t i = 0; i < n && number <= 65535; i++)
			number = number * 10 + (p[i] - '0');
		if (n > 0 && (number < 1 || number > 65535))
			return false;
		p += n + (p[n] == ',');
	}
	return true;
}

/* The fields worth showing, as libpq parsed them (NULL when not set). */
struct db_fields {
	const char *host;   /* host, else hostaddr */
	const char *port;   /* port */
	const char *dbname; /* dbname */
};

static void fields_of(const PQconninfoOption *options, struct db_fields *out)
{
	const char *hostaddr = NULL;
	memset(out, 0, sizeof(*out));
	for (const PQconninfoOption *o = options; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			out->host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			out->port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			out->dbname = o->val;
	}
	if (out->host == NULL)
		out->host = hostaddr;
}

bool config_db_check(const char *conninfo, char *why, size_t n)
{
	char *parse_error = NULL;
	PQconninfoOption *options = PQconninfoParse(conninfo, &parse_error);
	struct db_fields fields;
	bool ok = false;
	if (options == NULL) {
		/* libpq's message may quote the conninfo, password included. */
		PQfreemem(parse_error);
		snprintf(why, n, "not a valid libpq conninfo or URI");
		return false;
	}
	if (is_uri(conninfo) && uri_has_stray_separator(conninfo)) {
		snprintf(why, n,
		         "the URI has an unescaped '@' or '/' in its user name or password "
		         "(percent-encode them: @ as %%40, / as %%2F)");
		goto done;
	}
	fields_of(options, &fields);
	if (fields.host != NULL && !host_plausible(fields.host)) {
		snprintf(why, n, "host is not a host name, address or socket directory");
		goto done;
	}
	if (fields.port != NULL && !port_plausible(fields.port)) {
		snprintf(why, n, "port is not a number");
		goto done;
	}
	if (fields.port != NULL && !ports_in_range(fields.port)) {
		snprintf(why, n, "port must be 1..65535 (each of a list)");
		goto done;
	}
	ok = true;
done:
	PQconninfoFree(options);
	return ok;
}

/* Writes "host=H port=P dbname=D" from fields (or the PG* environment for
 * fields the conninfo leaves out), a field that could hold part of a
 * password shown as NOT_SHOWN. */
static void describe_fields(const struct db_fields *fields, char *out, size_t n)
{
	const char *host = fields->host != NULL ? fields->host : getenv("PGHOST");
	const char *port = fields->port != NULL ? fields->port : getenv("PGPORT");
	const char *dbname = fields->dbname != NULL ? fields->dbname : getenv("PGDATABASE");
	if (host != NULL && !host_plausible(host))
		host = NOT_SHOWN;
	if (port != NULL && !port_plausible(port))
		port = NOT_SHOWN;
	/* a password cut at an unescaped '/' lands in dbname with the '@' */
	if (dbname != NULL && strchr(dbname, '@') != NULL)
		dbname = NOT_SHOWN;
	snprintf(out, n, "host=%s port=%s dbname=%s", host != NULL ? host : "(default)",
	         port != NULL ? port : "(default)", dbname != NULL ? dbname : "(default)");
}

void config_describe_db(const char *conninfo, char *out, size_t n)
{
	char *error = NULL;
	PQconninfoOption *options = PQconninfoParse(conninfo, &error);
	struct db_fields fields;
	if (options == NULL) {
		/* libpq's message may quote the conninfo: never show it. */
		PQfreemem(error);
		snprintf(out, n, "(unparsable conninfo)");
		return;
	}
	fields_of(options, &fields);
	if (is_uri(conninfo) && uri_has_stray_separator(conninfo))
		snprintf(out, n, "(a URI with an unescaped '@' or '/': not shown)");
	else
		describe_fields(&fields, out, n);
	PQconninfoFree(options);
}

void config_source_identity(const struct config *config, char out[CONFIG_SOURCE_ID_LEN])
{
	char db[CONFIG_SOURCE_ID_LEN - 80];
	config_describe_db(config->db, db, sizeof(db));
	snprintf(out, CONFIG_SOURCE_ID_LEN, "%s schema=%.64s", db, config->schema);
}

/* ---- the process list --------------------------------------------------- */

/* Flags whose value is a secret: the conninfo (it may hold the password)
 * and the API's bearer tokens. */
static bool is_secret_flag(const char *arg, size_t n)
{
	return (n == 4 && strncmp(arg, "--db", 4) == 0) ||
	       (n == 12 && strncmp(arg, "--api-tokens", 12) == 0);
}

/* Overwrites a value in place: "*" and NUL bytes, so that /proc/PID/cmdline
 * (which reads this very memory) shows "--db *". */
static void scrub(char *value)
{
	size_t n = strlen(value);
	if (n == 0)
		return;
	memset(value, 0, n);
	value[0] = '*';
}

/* -fanalyzer: "leak of strdup" for kept[i]: stored at a variable index of a
 * heap array, which GCC 12 does not follow (as in disclosure_protect); the
 * caller frees them with config_argv_free(). */
CASA_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
char **config_argv_protect(int argc, char *argv[])
{
	char **kept = calloc((size_t)argc + 1, sizeof(char *));
	if (kept == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		kept[i] = strdup(argv[i]);
		if (kept[i] == NULL) {
			config_argv_free(argc, kept);
			return NULL;
		}
	}
	for (int i = 1; i < argc; i++) {
		char *equals = strchr(argv[i], '=');
		size_t n = equals != NULL ? (size_t)(equals - argv[i]) : strlen(argv[i]);
		if (!is_secret_flag(argv[i], n))
			continue;
		if (equals != NULL)
			scrub(equals + 1);
		else if (i + 1 < argc)
			scrub(argv[++i]);
	}
	return kept;
}
CASA_ANALYZER_END

void config_argv_free(int argc, char **kept)
{
	if (kept == NULL)
		return;
	for (int i = 0; i < argc; i++)
		free(kept[i]);
	free(kept);
}
