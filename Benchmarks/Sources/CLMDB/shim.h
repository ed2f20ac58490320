#ifndef STATELOG_BENCHMARKS_CLMDB_SHIM_H
#define STATELOG_BENCHMARKS_CLMDB_SHIM_H
// LMDB (Debian: liblmdb-dev), for the LMDB baseline.
#include <lmdb.h>
#endif
