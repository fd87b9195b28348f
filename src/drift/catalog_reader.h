#pragma once
// Reads a PostgreSQL database's schema into a drift::Snapshot from the system catalogs: one
// query per kind of object for the whole database (not one per table), inside one read-only
// REPEATABLE READ transaction. Only catalogs are read: no table is scanned. Locks: the
// catalogs' AccessShareLock, and the same on the relations a view reads while pg_get_viewdef
// deparses it (only ACCESS EXCLUSIVE conflicts; lock_timeout 5 s, then an error). System schemas and objects that belong to an
// extension are left out (the extension itself is compared, with its version).
//
// Facts, per kind (what drift::Diff compares; names as the server prints them, with
// search_path = pg_catalog so every user object comes schema-qualified):
//   table       persistence ("unlogged" or ""), partition key, partition of, options (storage
//               parameters, without autovacuum_*: per-table vacuum tuning is operations, not
//               schema)
//   column      type (format_type), nullability ("NOT NULL" or "NULL"), default (pg_get_expr;
//               a generated column's expression), identity ("always", "by default" or ""),
//               generated ("stored" or ""), collation (only when not the type's own)
//   constraint  type, definition (pg_get_constraintdef without NOT VALID), validated (yes/no)
//   index       definition (pg_get_indexdef), valid (yes/no); indexes that back a primary key,
//               unique or exclusion constraint are the constraint's
//   view, materialized view   definition (pg_get_viewdef), options (reloptions)
//   function    definition (pg_get_functiondef); functions and procedures, not aggregates
//   trigger     definition (pg_get_triggerdef), enabled (enabled, disabled, replica, always)
//   sequence    type, start, increment, minimum, maximum, cache, cycle, owned by (sequences of
//               identity columns are the column's)
//   enum        labels in order;  domain  type, nullability, default, collation, check NAME
//   extension   version, schema
//   with privileges: owner and "grant ROLE" (privileges of the ACL as GRANT names) on schemas,
//   relations, sequences, functions and types; the connecting role reads as CURRENT_USER, so
//   the replay's role and the live database's owner compare equal.

#include "base/error.h"
#include "drift/snapshot.h"
#include "pg/connection.h"

namespace tide::drift {

struct ReadOptions {
  bool privileges = false;  // owner and grants too
};

Result<Snapshot> ReadSnapshot(pg::Connection& conn, const ReadOptions& options);

}  // namespace tide::drift
