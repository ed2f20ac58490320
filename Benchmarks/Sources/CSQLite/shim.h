#ifndef STATELOG_BENCHMARKS_CSQLITE_SHIM_H
#define STATELOG_BENCHMARKS_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT and SQLITE_STATIC are macros that cast integers to function
// pointers, which Swift does not import.
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_db_config is variadic, which Swift does not import. W6 closes a
// database as a killed process would leave it: without checkpointing the WAL.
static inline int csqlite_disable_checkpoint_on_close(sqlite3 *db) {
  return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
#endif
