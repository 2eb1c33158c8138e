/*
 * buf.h — the text toolkit the rendering stages share: a growable buffer
 * with JSON (hand-written or from jansson) and CSV escaping, the number
 * format of published values, and a bump arena for data that dies all at
 * once.
 *
 * Memory: a struct buf owns its data (the caller frees it with free());
 * `failed` sticks once an allocation fails, so a renderer appends freely and
 * checks once at the end. An arena owns every block it hands out until
 * buf_arena_free().
 */
#ifndef CASA_BUF_H
#define CASA_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "casa/common.h"

/* Growable NUL-terminated text. Zero-initialise before use. */
struct buf {
	char *data;  /* malloc'd, NUL-terminated once anything was added */
	size_t len;  /* bytes used */
	size_t cap;  /* bytes allocated */
	bool failed; /* an allocation failed: content incomplete */
};

/* Makes room for extra more bytes plus a NUL. */
void buf_reserve(struct buf *buf, size_t extra);
void buf_add(struct buf *buf, const char *data, size_t n);
void buf_puts(struct buf *buf, const char *text);
void buf_printf(struct buf *buf, const char *fmt, ...) CASA_PRINTF(2, 3);
/* text as a JSON string, quotes included (RFC 8259 §7). */
void buf_json_string(struct buf *buf, const char *text);
struct json_t; /* jansson */
/* Appends the compact JSON text of value (keys in insertion order, reals
 * with 15 significant digits) and releases value (json_decref). A NULL
 * value, what jansson's constructors return when memory runs out, sets
 * failed. */
void buf_json_value(struct buf *buf, struct json_t *value);
/* Appends value to array, taking value. Returns array, or NULL (array
 * released) when either is NULL or memory runs out: a loop of appends then
 * fails as a whole, where jansson alone would skip the missing value. */
struct json_t *buf_json_append(struct json_t *array, struct json_t *value);
/* text as one CSV field (RFC 4180 §2), guarded against spreadsheet
 * formulas (see buf.c). */
void buf_csv_field(struct buf *buf, const char *text);

#define BUF_NUMBER_LEN 32
/* A published value: at most 4 decimals, trailing zeros trimmed; "null"
 * when not finite or beyond 1e15. */
void buf_format_number(double value, char out[BUF_NUMBER_LEN]);

/* Bump allocator: many small blocks, freed in one walk. Zero-initialise. */
struct buf_arena {
	struct buf_arena_chunk *head; /* newest chunk, NULL when empty */
};

/* Returns n bytes aligned for any type, or NULL; valid until the arena is
 * freed. */
void *buf_arena_alloc(struct buf_arena *arena, size_t n);
/* Copies n bytes and appends a NUL; NULL when memory runs out. */
void *buf_arena_dup(struct buf_arena *arena, const void *data, size_t n);
/* Frees every block; the arena is empty and reusable afterwards. */
void buf_arena_free(struct buf_arena *arena);
/* Moves every block of other into arena (its pointers stay valid, and are
 * freed with arena); other is left empty. For arenas filled by different
 * threads and owned by one result. */
void buf_arena_adopt(struct buf_arena *arena, struct buf_arena *other);

#endif
