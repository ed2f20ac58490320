#ifndef STATELOG_BENCHMARKS_CSQLITE_SHIM_H
#define STATELOG_BENCHMARKS_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT and SQLITE_STATIC are macros that cast integers to function
// pointers, which Swift does not import.
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
