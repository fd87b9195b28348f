#pragma once
// The comparison of `tide check --drift`: the schema the applied history builds (replayed on a
// scratch database) against the live one, object by object. Each difference is one Finding
// with the statement that reconciles it in either direction. Pure: snapshots in, findings out.

#include <string>
#include <vector>

#include "drift/snapshot.h"

namespace tide::drift {

enum class DriftKind {
  kMissing,  // the history builds it; the database does not have it
  kExtra,    // the database has it; the history never built it
  kChanged,  // both have it, and a fact differs
};
const char* DriftKindName(DriftKind kind);

struct Difference {
  std::string fact;      // "default", "definition", "valid", "column order"...
  std::string history;   // "" when the history has none
  std::string database;  // "" when the database has none
};

struct Finding {
  DriftKind kind = DriftKind::kChanged;
  ObjectKind object_kind = ObjectKind::kTable;
  std::string object;  // "public.customers.email"
  std::string schema;
  std::vector<Difference> differences;  // changed: each fact that differs
  std::string history;                  // what the history builds, in one line ("" if nothing)
  std::string database;                 // what the database has, in one line ("" if nothing)
  // SQL that makes the database match its history (run by hand, or in a new migration).
  std::string to_history;
  // SQL that, added to a migration, makes the history build what the database has: the
  // hand change adopted.
  std::string to_migration;
  // Caveats of the statements ("ADD COLUMN appends: ..."); empty when there are none.
  std::vector<std::string> notes;
};

struct DiffOptions {
  // Globs (fnmatch) on qualified names: "public.legacy_*", "audit.*", "public.t.tmp_col".
  // An object is ignored when its own name or its table's matches.
  std::vector<std::string> ignore;
  // tide's and Flyway's own tables live here: the history table and every tide_* table are
  // never compared (nor their columns, indexes, constraints, triggers and sequences).
  std::string history_schema = "public";
  std::string history_table = "flyway_schema_history";
};

// True when options make the comparison skip obj (own tables, transient names, --ignore).
bool Ignored(const DbObject& obj, const DiffOptions& options);

// Findings ordered by schema, then by kind of object (schemas, extensions, tables, columns...),
// then by name. An extra or missing table carries its columns, constraints, indexes and
// triggers in its own finding (its CREATE statement builds them all).
std::vector<Finding> Diff(const Snapshot& history, const Snapshot& database,
                          const DiffOptions& options);

}  // namespace tide::drift
