#ifndef STATELOG_CXXHASH_SHIM_H
#define STATELOG_CXXHASH_SHIM_H
#include <stddef.h>
#include <stdint.h>
// Inline XXH3 into the caller: checksums sit on the append and replay hot
// paths. Inlining renames the library's functions through macros, which Swift
// cannot import, hence the wrapper below.
#define XXH_INLINE_ALL
#include <xxhash.h>

/// XXH3-64 with seed 0 of `length` bytes at `data`.
static inline uint64_t statelog_xxh3_64(const void *data, size_t length) {
  return XXH3_64bits(data, length);
}

/// XXH3-64 with `seed` of `length` bytes at `data`: the hash of in-memory keys.
static inline uint64_t statelog_xxh3_64_seeded(const void *data, size_t length, uint64_t seed) {
  return XXH3_64bits_withSeed(data, length, seed);
}
#endif
