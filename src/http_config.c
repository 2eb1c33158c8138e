/*
 * http_config.c — the reloadable part of the HTTP options (CORS origins,
 * bearer tokens, Cache-Control max-age) and the two questions a request
 * asks of it: may this token in, which origin may read the answer.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"

void http_config_free(struct http_config *config)
{
	if (config == NULL)
		return;
	for (size_t i = 0; i < config->origin_count; i++)
		free(config->origins[i]);
	for (size_t i = 0; i < config->token_count; i++)
		free(config->tokens[i]);
	free(config->origins);
	free(config->tokens);
	free(config);
}

/* Splits a comma-separated list, trimming blanks and dropping empty items. */
static bool split_list(const char *list, char ***out, size_t *count)
{
	*out = NULL;
	*count = 0;
	if (list == NULL)
		return true;
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	char **items = calloc(cap, sizeof(*items));
	if (items == NULL)
		return false;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		const char *a = p, *b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			items[*count] = strndup(a, (size_t)(b - a));
			if (items[*count] == NULL)
				goto fail;
			(*count)++;
		}
		p = *end ? end + 1 : end;
	}
	*out = items;
	return true;
fail:
	for (size_t i = 0; i < *count; i++)
		free(items[i]);
	free(items);
	*count = 0;
	return false;
}

struct http_config *http_config_new(const struct http_options *options)
{
	struct http_config *config = calloc(1, sizeof(*config));
	if (config == NULL)
		return NULL;
	atomic_init(&config->refs, 1);
	if (!split_list(options->cors_origins, &config->origins, &config->origin_count) ||
	    !split_list(options->api_tokens, &config->tokens, &config->token_count))
		goto fail;
	for (size_t i = 0; i < config->origin_count; i++)
		if (strcmp(config->origins[i], "*") == 0)
			config->any_origin = true;
	/* Cache-Control max-age follows the refresh schedule: a body cannot
	 * change sooner. */
	config->max_age = options->refresh_seconds;
	return config;
fail:
	http_config_free(config);
	return NULL;
}

bool http_token_ok(const struct http_config *config, const char *authorization)
{
	if (config->token_count == 0)
		return true;
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return false;
	const char *given = authorization + 7;
	while (*given == ' ')
		given++;
	size_t given_len = strlen(given);
	/* Constant time in the given token: every configured token is compared
	 * over its whole length, with no early exit on a mismatch. */
	unsigned ok = 0;
	for (size_t t = 0; t < config->token_count; t++) {
		const char *token = config->tokens[t];
		size_t len = strlen(token);
		unsigned diff = len != given_len;
		for (size_t i = 0; i < len; i++)
			diff |=
			    (unsigned char)token[i] ^ (unsigned char)(i < given_len ? given[i] : 0);
		ok |= diff == 0;
	}
	return ok != 0;
}

const char *http_cors_origin(const struct http_config *config, const char *origin)
{
	if (origin == NULL || origin[0] == '\0')
		return NULL;
	if (config->any_origin)
		return "*";
	for (size_t i = 0; i < config->origin_count; i++)
		if (strcmp(config->origins[i], origin) == 0)
			return config->origins[i];
	return NULL;
}
