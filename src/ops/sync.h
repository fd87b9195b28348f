#pragma once
// The sync trigger of one table: while both releases run, every row either release writes gets
// the other release's columns computed, through `up` (old shape -> new) and `down` (new ->
// old). Which release wrote is decided by what changed, never by search_path:
//   INSERT: a new-shape column that is set (not NULL) means the new release wrote the row (the
//           old release cannot see those columns): down computes the old columns; otherwise up
//           computes the new ones. (A table with no new-shape columns fills an old column left
//           NULL from down.)
//   UPDATE: a computed column the statement wrote keeps what was written. One it did not write
//           follows its expression when an input of the expression changed: always when that
//           input is one only the other release can write (an old-only column for up, a new
//           column for down), otherwise only while the column still holds the expression's
//           value, i.e. nobody set it. A new column still NULL is filled from up: that is how
//           the backfill, a batched no-op UPDATE of those rows, computes them, with the very
//           code that serves the application's writes.
// A column both releases write in one statement (a dual-writing release) is left as written. A
// write that leaves a value as it was changes nothing, so it propagates nothing either.
// Expressions do not chain within one write (a down never reads what an up computed in it).
// The trigger is plain PL/pgSQL with no dynamic SQL: per row a few comparisons, and the
// expressions only when an input changed.

#include <string>
#include <vector>

#include "base/error.h"
#include "ops/operation.h"

namespace tide::ops {

// A query that must plan without error before anything runs: it type-checks an `up` or `down`
// against the real table (an unknown function or an impossible cast fails here, not in the
// application's writes).
struct Probe {
  std::string sql;
  SourceLocation at;
  std::string what;  // "up of customers.email"
};

struct SyncPlan {
  std::vector<StagedStep> expand, contract, rollback;
  std::vector<Probe> probes;
};

// tag: "v2" (the version with dots as underscores). Input error at the expression for a column
// an expression names that its shape does not have.
Result<SyncPlan> PlanSync(const OpContext& ctx, const TableShape& t, const std::string& tag);

}  // namespace tide::ops
