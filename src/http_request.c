/*
 * http_request.c — reading what a client sent: the path, the query string
 * and the negotiation headers. Pure functions over text (no I/O, no
 * allocation, no server state), so each can be fuzzed on its own; the
 * server applies their answers (http.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"

/* ---- path ------------------------------------------------------------- */

enum route http_route_of(const char *path, const char **rest)
{
	static const struct {
		const char *path; /* the whole path */
		enum route route; /* what it names */
	} fixed[] = {
	    {"/api/v1/metrics", ROUTE_CATALOG},
	    {"/api/v1/summary", ROUTE_SUMMARY},
	    {"/api/v1/quality", ROUTE_QUALITY},
	    {"/api/v1/openapi.json", ROUTE_OPENAPI},
	    {"/api/v1/disclosure", ROUTE_DISCLOSURE},
	    {"/healthz", ROUTE_HEALTHZ},
	    {"/readyz", ROUTE_READYZ},
	    {"/metrics", ROUTE_METRICS},
	};
	static const char table_prefix[] = "/api/v1/metrics/";
	*rest = NULL;
	for (size_t i = 0; i < CASA_ARRAY_LEN(fixed); i++)
		if (strcmp(path, fixed[i].path) == 0)
			return fixed[i].route;
	if (strncmp(path, table_prefix, sizeof(table_prefix) - 1) == 0) {
		*rest = path + sizeof(table_prefix) - 1;
		return ROUTE_TABLE;
	}
	if (strcmp(path, "/") == 0) {
		*rest = "index.html";
		return ROUTE_DASHBOARD;
	}
	if (path[0] == '/' && strchr(path + 1, '/') == NULL && strncmp(path, "/api", 4) != 0) {
		*rest = path + 1;
		return ROUTE_DASHBOARD;
	}
	return ROUTE_OTHER;
}

/* The rest of a dashboard path names a file, never a path: no '/', no
 * leading dot, no "..". */
bool http_plain_file_name(const char *name)
{
	if (name[0] == '\0' || name[0] == '.' || strlen(name) > 128)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return false;
	}
	return strstr(name, "..") == NULL;
}

/* ---- query string ----------------------------------------------------- */

void http_query_add(struct http_query *query, const char *name, const char *value)
{
	query->total++;
	for (size_t i = 0; i < query->count; i++)
		if (strcmp(query->params[i].name, name) == 0)
			query->duplicate = true;
	if (query->count < HTTP_PARAMS_MAX) {
		query->params[query->count].name = name;
		query->params[query->count].value = value != NULL ? value : "";
		query->count++;
	}
}

const char *http_query_problem(const struct http_query *query)
{
	if (query->total > HTTP_PARAMS_MAX)
		return "too many query parameters";
	if (query->duplicate)
		return "repeated query parameter";
	/* MHD decodes %XX; a '%' still there was not followed by two hex
	 * digits */
	for (size_t i = 0; i < query->count; i++)
		if (strchr(query->params[i].value, '%') != NULL ||
		    strchr(query->params[i].name, '%') != NULL)
			return "malformed percent-encoding";
	return NULL;
}

const char *http_query_get(const struct http_query *query, const char *name)
{
	for (size_t i = 0; i < query->count; i++)
		if (strcmp(query->params[i].name, name) == 0)
			return query->params[i].value;
	return NULL;
}

bool http_target_has_nul(const char *target)
{
	return strstr(target, "%00") != NULL;
}

/* ---- headers ---------------------------------------------------------- */

/* Length-bounded case-insensitive equality. */
static bool token_equal(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

double http_accept_q(const char *header, const char *token)
{
	if (header == NULL)
		return -1;
	double found = -1;
	const char *p = header;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		size_t n = (size_t)(p - start);
		double q = 1;
		/* parameters: only q matters */
		while (*p && *p != ',') {
			if (*p == ';') {
				p++;
				while (*p == ' ' || *p == '\t')
					p++;
				if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
					char *end;
					q = strtod(p + 2, &end);
					if (end == p + 2 || q < 0 || q > 1)
						q = 0;
					p = end;
					continue;
				}
			}
			if (*p && *p != ',')
				p++;
		}
		if (token_equal(start, n, token) && q > found)
			found = q;
	}
	return found;
}

bool http_accepts_gzip(const char *accept_encoding)
{
	double gzip = http_accept_q(accept_encoding, "gzip");
	double xgzip = http_accept_q(accept_encoding, "x-gzip");
	if (xgzip > gzip)
		gzip = xgzip;
	if (gzip >= 0)
		return gzip > 0;
	return http_accept_q(accept_encoding, "*") > 0;
}

bool http_prefers_csv(const char *accept)
{
	double csv = http_accept_q(accept, "text/csv");
	double json = http_accept_q(accept, "application/json");
	return csv > 0 && csv > json;
}

bool http_etag_matches(const char *if_none_match, const char *etag)
{
	if (if_none_match == NULL || etag == NULL || etag[0] == '\0')
		return false;
	/* Weak comparison (RFC 9110 §13.1.2): W/"x" matches "x". */
	size_t etag_len = strlen(etag);
	const char *p = if_none_match;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		const char *start = p;
		if (*p == '"') {
			p++;
			while (*p && *p != '"')
				p++;
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',' && *p != ' ')
				p++;
		}
		if ((size_t)(p - start) == etag_len && memcmp(start, etag, etag_len) == 0)
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}
