/*
 * hash.h — the project's one non-cryptographic hash: FNV-1a 64 (offset basis
 * 14695981039346656037, prime 1099511628211, www.isthe.com/chongo/tech/comp/fnv)
 * followed by the splitmix64 finalizer, so that every input bit reaches
 * every output bit and the low bits can index a table.
 *
 * Persisted: ETags, snapshot ids and the state manifest (whose "hash" field
 * says "fnv1a64-splitmix64") carry hash_bytes() values, so changing the
 * algorithm needs a new name there. Pure functions, no state.
 */
#ifndef CASA_HASH_H
#define CASA_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 of data[0..len) with the offset basis XOR seed (seed 0: plain FNV-1a). */
uint64_t hash_fnv1a64(const void *data, size_t len, uint64_t seed);
/* The splitmix64 finalizer (Vigna's splitmix64.c, Stafford's "Mix13"
 * constants): a bijection on 64 bits. */
uint64_t hash_mix64(uint64_t h);
/* hash_mix64(hash_fnv1a64(data, len, seed)). */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);

#endif
