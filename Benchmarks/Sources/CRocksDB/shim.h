#ifndef STATELOG_BENCHMARKS_CROCKSDB_SHIM_H
#define STATELOG_BENCHMARKS_CROCKSDB_SHIM_H
// RocksDB's C API (Debian: librocksdb-dev), for the RocksDB baseline.
#include <rocksdb/c.h>
#endif
