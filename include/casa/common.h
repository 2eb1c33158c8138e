/*
 * common.h — small shared macros. Nothing here allocates or keeps state.
 */
#ifndef CASA_COMMON_H
#define CASA_COMMON_H

#if defined(__GNUC__)
#define CASA_MUSTCHECK __attribute__((warn_unused_result))
#define CASA_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CASA_NORETURN __attribute__((noreturn))
#else
#define CASA_MUSTCHECK
#define CASA_PRINTF(f, a)
#define CASA_NORETURN
#endif

#define CASA_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
