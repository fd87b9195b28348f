#pragma once
// A plan is plain data: the steps tide runs for one migration file, what each locks, whether it
// may share a transaction, and why it exists. It is stored with a run so that a resumed run
// finishes the very plan it started, even when the catalog has changed under it.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "sql/lock.h"

namespace tide::plan {

enum class StepKind {
  kSql,                      // SQL as a step; lock timeout and retry when it locks a table
  kSession,                  // SET and friends: replayed on a resumed run
  kBackfill,                 // a batched UPDATE or DELETE
  kCreateIndexConcurrently,  // invalid leftovers dropped and the build retried
  kDropIndexConcurrently,
  kReindexConcurrently,
  kAddConstraintNotValid,    // records the name of the constraint it adds
  kValidateConstraint,       // its own transaction: SHARE UPDATE EXCLUSIVE while it scans
  // DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+); object_name is the partition, quoted.
  // A partition an interrupted run left "detach pending" is finished with FINALIZE instead.
  kDetachPartitionConcurrently,
};
const char* StepKindName(StepKind kind);

// How to walk a table in batches.
struct BackfillSpec {
  std::string table;                   // quoted, schema-qualified
  std::string label;                   // "customers.email", for progress
  std::vector<std::string> key;        // quoted key columns; empty: ctid ranges
  std::vector<std::string> key_types;  // their types, for casts
  std::string head;                    // "UPDATE customers SET ..." up to WHERE
  std::string where;                   // the statement's own condition, may be empty
  std::string guard;                   // tide's extra condition (catch-up: "email" IS NULL)
  std::string alias;                   // the statement's alias for the table, if any
  bool live_end = false;               // keep walking to rows inserted meanwhile
  bool is_delete = false;
};

struct Step {
  StepKind kind = StepKind::kSql;
  std::string sql;          // what runs (a backfill shows its per-batch statement)
  std::string table;        // the main table, for messages ("customers")
  std::vector<std::string> lock_tables;  // quoted names whose lock holders tide watches
  sql::Lock lock = sql::Lock::kNone;
  bool transactional = true;   // may share a transaction with neighbouring steps
  bool own_transaction = false;  // transactional, but never grouped (long scans, ADD VALUE)
  bool new_transaction = false;  // opens a transaction that the steps after it may share
  int statement = -1;          // index of the source statement; -1 for steps tide adds
  int line = 0;
  int column = 0;              // of the source statement's first character
  std::string why;             // why tide runs it this way ("" when as written)
  int64_t estimated_rows = -1;
  std::optional<BackfillSpec> backfill;
  std::string object_name;     // index or constraint the step makes or uses
  // For VALIDATE of a constraint added unnamed: the index of the step that added it.
  int constraint_from_step = -1;
  int group = -1;              // steps with one group id run in one transaction
};

struct Refusal {
  int statement = -1;
  int line = 0;
  std::string rule;     // e.g. "rewrite-column-type"
  std::string message;  // what would happen
  std::string recipe;   // the safe way
};

// What tide does differently from the file, and why: lint shows these as notes.
struct Note {
  int statement = -1;
  int line = 0;
  std::string rule;
  std::string text;
};

struct Plan {
  std::vector<Step> steps;
  std::vector<Refusal> refusals;
  std::vector<Note> notes;

  // Number of transactions (groups) the steps form.
  int GroupCount() const;
  nlohmann::json ToJson() const;
  static Result<Plan> FromJson(const nlohmann::json& doc);
};

// Gives consecutive steps that may share a transaction one group id; long, non-transactional
// and own-transaction steps get a group each.
void AssignGroups(Plan& plan);

}  // namespace tide::plan
