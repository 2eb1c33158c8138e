/*
 * buf.c — growable text, JSON and CSV escaping, the number format of
 * published values, and the bump arena (see casa/buf.h).
 */
#include "casa/buf.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------ */

#define ARENA_CHUNK (256 * 1024)

struct buf_arena_chunk {
	struct buf_arena_chunk *next; /* older chunk */
	size_t used;                  /* bytes handed out */
	size_t cap;                   /* bytes in data */
	max_align_t data[];           /* storage */
};

void *buf_arena_alloc(struct buf_arena *arena, size_t n)
{
	size_t align = sizeof(max_align_t);
	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	struct buf_arena_chunk *chunk = arena->head;
	if (chunk == NULL || chunk->cap - chunk->used < n) {
		size_t cap = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
		chunk = malloc(sizeof(*chunk) + cap);
		if (chunk == NULL)
			return NULL;
		chunk->cap = cap;
		chunk->used = 0;
		if (n > ARENA_CHUNK / 2 && arena->head != NULL) {
			/* big blocks go behind the current chunk so its free space
			 * stays usable */
			chunk->next = arena->head->next;
			arena->head->next = chunk;
		} else {
			chunk->next = arena->head;
			arena->head = chunk;
		}
	}
	void *p = (char *)chunk->data + chunk->used;
	chunk->used += n;
	return p;
}

void *buf_arena_dup(struct buf_arena *arena, const void *data, size_t n)
{
	void *p = buf_arena_alloc(arena, n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, data, n);
	((char *)p)[n] = '\0';
	return p;
}

void buf_arena_free(struct buf_arena *arena)
{
	struct buf_arena_chunk *chunk = arena->head;
	while (chunk != NULL) {
		struct buf_arena_chunk *next = chunk->next;
		free(chunk);
		chunk = next;
	}
	arena->head = NULL;
}

void buf_arena_adopt(struct buf_arena *arena, struct buf_arena *other)
{
	struct buf_arena_chunk *tail = other->head;
	if (tail == NULL)
		return;
	while (tail->next != NULL)
		tail = tail->next;
	tail->next = arena->head;
	arena->head = other->head;
	other->head = NULL;
}

/* ---- growable text buffer -------------------------------------------- */

void buf_reserve(struct buf *buf, size_t extra)
{
	if (buf->failed || buf->cap - buf->len > extra)
		return;
	size_t cap = buf->cap ? buf->cap : 4096;
	while (cap - buf->len <= extra)
		cap *= 2;
	char *data = realloc(buf->data, cap);
	if (data == NULL) {
		buf->failed = true;
		return;
	}
	buf->data = data;
	buf->cap = cap;
}

void buf_add(struct buf *buf, const char *data, size_t n)
{
	buf_reserve(buf, n);
	if (buf->failed)
		return;
	memcpy(buf->data + buf->len, data, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
}

void buf_puts(struct buf *buf, const char *text)
{
	buf_add(buf, text, strlen(text));
}

void buf_printf(struct buf *buf, const char *fmt, ...)
{
	/* one vsnprintf into the free space in the common case; a second one
	 * only when the buffer has to grow */
	if (buf->failed)
		return;
	size_t room = buf->cap - buf->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(room ? buf->data + buf->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf->failed = true;
		return;
	}
	if ((size_t)n < room) {
		buf->len += (size_t)n;
		return;
	}
	buf_reserve(buf, (size_t)n);
	if (buf->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
}

/* JSON string with quotes; control characters as \u00XX (RFC 8259 §7). */
void buf_json_string(struct buf *buf, const char *text)
{
	buf_add(buf, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"')
			buf_add(buf, "\\\"", 2);
		else if (*p == '\\')
			buf_add(buf, "\\\\", 2);
		else if (*p == '\n')
			buf_add(buf, "\\n", 2);
		else if (*p == '\r')
			buf_add(buf, "\\r", 2);
		else if (*p == '\t')
			buf_add(buf, "\\t", 2);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(buf, "\\u%04x", *p);
		else
			buf_add(buf, (const char *)p, 1);
	}
	buf_add(buf, "\"", 1);
}

static int append_json(const char *text, size_t size, void *data)
{
	struct buf *buf = data;
	buf_add(buf, text, size);
	return buf->failed ? -1 : 0;
}

void buf_json_value(struct buf *buf, struct json_t *value)
{
	/* No JSON_SORT_KEYS: jansson keeps insertion order, so the bytes (and
	 * the ETag derived from them) are the same on every build. 15 digits
	 * print a configured real such as epsilon 0.1 as 0.1, the way the
	 * hand-written bodies print it. */
	if (value == NULL || json_dump_callback(value, append_json, buf,
	                                        JSON_COMPACT | JSON_REAL_PRECISION(15)) != 0)
		buf->failed = true;
	json_decref(value);
}

struct json_t *buf_json_append(struct json_t *array, struct json_t *value)
{
	/* json_array_append_new() releases value when it fails */
	if (json_array_append_new(array, value) != 0) {
		json_decref(array);
		return NULL;
	}
	return array;
}

/* A CSV field (RFC 4180 §2): quoted when it holds a comma, quote, CR or LF.
 * Used for group labels, the only free text in a CSV body: a label that
 * starts like a spreadsheet formula (=, +, -, @, tab, CR) gets a leading
 * apostrophe so that opening a grant export cannot run it (OWASP "CSV
 * injection"); the JSON body keeps the label as it is. */
void buf_csv_field(struct buf *buf, const char *text)
{
	bool formula = text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL;
	if (!formula && strpbrk(text, ",\"\r\n") == NULL) {
		buf_puts(buf, text);
		return;
	}
	buf_add(buf, "\"", 1);
	if (formula)
		buf_add(buf, "'", 1);
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			buf_add(buf, "\"\"", 2);
		else
			buf_add(buf, p, 1);
	}
	buf_add(buf, "\"", 1);
}

/* Values are rounded to 4 decimals by the disclosure stage (SPEC §4: "not
 * rounded by more than 4 decimals"); print them with exactly that many and
 * trim trailing zeros, so 4.31 never becomes 4.3100000000000005. */
void buf_format_number(double value, char out[BUF_NUMBER_LEN])
{
	if (!isfinite(value) || fabs(value) > 1e15) {
		strcpy(out, "null");
		return;
	}
	snprintf(out, BUF_NUMBER_LEN, "%.4f", value);
	char *dot = strchr(out, '.');
	if (dot != NULL) {
		char *end = out + strlen(out) - 1;
		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
	if (strcmp(out, "-0") == 0)
		strcpy(out, "0");
}
