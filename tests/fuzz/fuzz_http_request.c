/*
 * fuzz_http_request.c — what the server reads from a request line and its
 * headers (src/http_request.c): the route of a path, the query string
 * checks, the dashboard file-name check, and the Accept, Accept-Encoding
 * and If-None-Match parsers.
 *
 * Input: a request target ("/path?a=b&c") as a client sends it. The harness
 * splits and percent-decodes it as libmicrohttpd does before the server
 * sees it (%XX decoded, '+' as a space in the query, a NUL ending a
 * string), then feeds the pieces to the server's functions. The same bytes
 * also serve as each header's value. Properties: a route's rest lies in the
 * path or is "index.html"; a file name accepted as plain holds no '/' and
 * no ".."; an acceptable query holds at most HTTP_PARAMS_MAX distinct names
 * and no '%'; q-values are -1 (absent) or in [0, 1].
 */
#include <string.h>

#include "../../src/http_internal.h"
#include "fuzz.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* In place, as MHD_http_unescape(): %XX with two hex digits decoded, any
 * other '%' kept. plus: '+' becomes ' ' (query strings only). The server
 * refuses a target with %00 before reading it (400): for any other, no NUL
 * may come out. */
static void unescape(char *text, bool plus, bool nul_refused)
{
	char *out = text;
	for (const char *p = text; *p != '\0'; p++) {
		int high, low;
		if (*p == '%' && (high = hex_value(p[1])) >= 0 && (low = hex_value(p[2])) >= 0) {
			*out++ = (char)(high * 16 + low);
			p += 2;
		} else {
			*out++ = plus && *p == '+' ? ' ' : *p;
		}
	}
	*out = '\0';
	FUZZ_CHECK(nul_refused || strlen(text) == (size_t)(out - text));
}

static void check_path(char *path, bool nul_refused)
{
	unescape(path, false, nul_refused);
	size_t len = strlen(path);
	const char *rest = NULL;
	enum route route = http_route_of(path, &rest);
	FUZZ_CHECK(route >= 0 && route < ROUTE_COUNT);
	if (route == ROUTE_TABLE || route == ROUTE_DASHBOARD) {
		FUZZ_CHECK(rest != NULL);
		FUZZ_CHECK((rest >= path && rest <= path + len) || strcmp(rest, "index.html") == 0);
	} else {
		FUZZ_CHECK(rest == NULL);
	}
	if (route == ROUTE_DASHBOARD && http_plain_file_name(rest))
		FUZZ_CHECK(strchr(rest, '/') == NULL && strstr(rest, "..") == NULL &&
		           rest[0] != '.');
}

static void check_query(char *query, bool nul_refused)
{
	struct http_query parsed;
	memset(&parsed, 0, sizeof(parsed));
	char *next = query;
	while (next != NULL) {
		char *param = next;
		char *amp = strchr(param, '&');
		next = amp != NULL ? amp + 1 : NULL;
		if (amp != NULL)
			*amp = '\0';
		if (param[0] == '\0')
			continue;
		char *equals = strchr(param, '=');
		if (equals != NULL)
			*equals = '\0';
		unescape(param, true, nul_refused);
		if (equals != NULL)
			unescape(equals + 1, true, nul_refused);
		http_query_add(&parsed, param, equals != NULL ? equals + 1 : NULL);
	}
	FUZZ_CHECK(parsed.count <= HTTP_PARAMS_MAX && parsed.count <= parsed.total);
	if (http_query_problem(&parsed) != NULL)
		return;
	FUZZ_CHECK(parsed.count == parsed.total && !parsed.duplicate);
	for (size_t i = 0; i < parsed.count; i++) {
		const struct query_param *param = &parsed.params[i];
		FUZZ_CHECK(strchr(param->name, '%') == NULL && strchr(param->value, '%') == NULL);
		FUZZ_CHECK(http_query_get(&parsed, param->name) == param->value);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(parsed.params[j].name, param->name) != 0);
	}
}

static void check_headers(const char *value)
{
	static const char *const tokens[] = {"gzip", "x-gzip", "*", "text/csv", "application/json"};
	for (size_t i = 0; i < CASA_ARRAY_LEN(tokens); i++) {
		double q = http_accept_q(value, tokens[i]);
		FUZZ_CHECK(q == -1 || (q >= 0 && q <= 1));
	}
	(void)http_accepts_gzip(value);
	(void)http_prefers_csv(value);
	/* a quoted ETag matches itself, and weakly with W/ in front */
	size_t len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"' &&
	    strchr(value + 1, '"') == value + len - 1) {
		FUZZ_CHECK(http_etag_matches(value, value));
		char weak[64];
		if (len + 3 <= sizeof(weak)) {
			snprintf(weak, sizeof(weak), "W/%s", value);
			FUZZ_CHECK(http_etag_matches(weak, value));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a C string, as MHD hands it over: cut at the first NUL */
	char *target = malloc(size + 1);
	FUZZ_CHECK(target != NULL);
	memcpy(target, data, size);
	target[size] = '\0';
	check_headers(target);
	bool nul_refused = http_target_has_nul(target);
	char *question = strchr(target, '?');
	if (question != NULL) {
		*question = '\0';
		check_query(question + 1, nul_refused);
	}
	check_path(target, nul_refused);
	free(target);
	return 0;
}
