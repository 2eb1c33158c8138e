/*
 * hash.c — see include/casa/hash.h.
 */
#include "casa/hash.h"

uint64_t hash_fnv1a64(const void *data, size_t len, uint64_t seed)
{
	uint64_t h = 14695981039346656037ULL ^ seed;
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t hash_mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
	return hash_mix64(hash_fnv1a64(data, len, seed));
}
