#pragma once
// The sync trigger of one table: while both releases run, every row either release writes gets
// the other release's columns computed, through `up` (old shape -> new) and `down` (new ->
// old). Which release wrote is decided by what changed, never by search_path:
//   INSERT: a new-shape column that is set (not NULL) means the new release wrote the row
//           (the old release cannot see those columns); otherwise the old release did.
//   UPDATE: a new-shape column that changed means the new release wrote; an old-only column
//           (dropped or replaced in the new shape) that changed means the old release did; when
//           both changed, both sides were written and nothing is computed; when neither did
//           (the backfill's no-op touch, or only shared columns changed), new-shape columns
//           still NULL are filled from `up`.
// A table with no new-shape columns (only drop_column ... down) fills a NULL old column from
// `down` on INSERT. The trigger is plain PL/pgSQL with no dynamic SQL: a few comparisons and
// the expressions themselves per row. The backfill is a batched no-op UPDATE of the rows whose
// new columns are still NULL, so that `up` is written in one place (the trigger).

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
