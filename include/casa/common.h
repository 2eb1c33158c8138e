/*
 * common.h — small shared macros. Nothing here allocates or keeps state.
 */
#ifndef CASA_COMMON_H
#define CASA_COMMON_H

#if defined(__GNUC__)
#define CASA_MUSTCHECK    __attribute__((warn_unused_result))
#define CASA_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CASA_NORETURN     __attribute__((noreturn))
#else
#define CASA_MUSTCHECK
#define CASA_PRINTF(f, a)
#define CASA_NORETURN
#endif

#define CASA_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Silences one gcc -fanalyzer checker (scripts/analyze) from here to
 * CASA_ANALYZER_END, for a finding shown to be false: the comment next to
 * it says why. Nothing for other compilers, which do not know the names.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define CASA_PRAGMA(text) _Pragma(#text)
#define CASA_ANALYZER_IGNORE(checker)                                                              \
	_Pragma("GCC diagnostic push") CASA_PRAGMA(GCC diagnostic ignored checker)
#define CASA_ANALYZER_END _Pragma("GCC diagnostic pop")
#else
#define CASA_ANALYZER_IGNORE(checker)
#define CASA_ANALYZER_END
#endif

#endif
