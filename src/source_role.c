/*
 * source_role.c — what the daemon's database role may do (include/casa/
 * source.h, SPEC §7 least privilege). One catalog query, no data read.
 *
 * has_table_privilege() with several rights is true when any is held, and
 * counts rights held through role membership and pg_write_all_data as the
 * server would; a superuser passes every check, so it is reported as such
 * and its table rights are not listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "casa/source.h"
#include "source_internal.h"

/* The writable tables of the schema $1: relations the role may INSERT into,
 * UPDATE, DELETE from or TRUNCATE (views and foreign tables included: an
 * updatable view writes through). */
static const char role_query[] =
    "SELECT r.rolsuper,"
    "       has_database_privilege(current_database(), 'CREATE'),"
    "       coalesce(has_schema_privilege(n.oid, 'CREATE'), false),"
    "       w.tables, coalesce(w.first_table, ''),"
    "       concat_ws('/', CASE WHEN w.ins THEN 'INSERT' END, CASE WHEN w.upd THEN 'UPDATE' END,"
    "                 CASE WHEN w.del THEN 'DELETE' END, CASE WHEN w.trunc THEN 'TRUNCATE' END),"
    "       current_user"
    "  FROM pg_roles r"
    "  LEFT JOIN pg_namespace n ON n.nspname = $1"
    "  CROSS JOIN LATERAL ("
    "    SELECT count(*) AS tables, min(c.relname) AS first_table,"
    "           bool_or(has_table_privilege(c.oid, 'INSERT')) AS ins,"
    "           bool_or(has_table_privilege(c.oid, 'UPDATE')) AS upd,"
    "           bool_or(has_table_privilege(c.oid, 'DELETE')) AS del,"
    "           bool_or(has_table_privilege(c.oid, 'TRUNCATE')) AS trunc"
    "      FROM pg_class c"
    "     WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
    "       AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) w"
    " WHERE r.rolname = current_user";

static void copy_name(char out[SOURCE_NAME_LEN], const char *text)
{
	snprintf(out, SOURCE_NAME_LEN, "%s", text);
}

bool source_role_check(const struct source_options *options, struct source_role *role,
                       struct source_error *err)
{
	const char *schema = options->schema && options->schema[0] ? options->schema : "deid";
	const char *params[1] = {schema};
	PGresult *res = NULL;
	bool ok = false;
	memset(role, 0, sizeof(*role));
	err->message[0] = '\0';
	err->kind = SOURCE_FAILED_CONNECT;
	PGconn *conn = source_connect(options, NULL, err->message);
	if (conn == NULL)
		goto fail;
	res = PQexecParams(conn, role_query, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		const char *why = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		err->kind =
		    PQstatus(conn) == CONNECTION_BAD ? SOURCE_FAILED_CONNECT : SOURCE_FAILED_SERVER;
		snprintf(err->message, SOURCE_ERROR_LEN, "source: role check: %.400s",
		         why != NULL ? why : "no answer");
		goto fail;
	}
	role->superuser = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	role->create_on_database = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	role->create_on_schema = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	role->writable_tables = strtoull(PQgetvalue(res, 0, 3), NULL, 10);
	copy_name(role->first_writable, PQgetvalue(res, 0, 4));
	snprintf(role->write_rights, sizeof(role->write_rights), "%s", PQgetvalue(res, 0, 5));
	copy_name(role->name, PQgetvalue(res, 0, 6));
	ok = true;
fail:
	PQclear(res);
	source_finish(options->cancel, conn);
	return ok;
}

bool source_role_can_write(const struct source_role *role)
{
	return role->superuser || role->create_on_database || role->create_on_schema ||
	       role->writable_tables > 0;
}

void source_role_describe(const struct source_role *role, char *out, size_t n)
{
	size_t used = 0;
	out[0] = '\0';
	if (role->superuser) {
		snprintf(out, n, "superuser");
		return;
	}
	if (role->writable_tables > 0)
		used += (size_t)snprintf(
		    out + used, n - used, "%s on %llu table%s of the schema (e.g. %s)",
		    role->write_rights, (unsigned long long)role->writable_tables,
		    role->writable_tables == 1 ? "" : "s", role->first_writable);
	if (role->create_on_schema && used < n)
		used += (size_t)snprintf(out + used, n - used, "%sCREATE on the schema",
		                         used > 0 ? "; " : "");
	if (role->create_on_database && used < n)
		snprintf(out + used, n - used, "%sCREATE on the database", used > 0 ? "; " : "");
}
