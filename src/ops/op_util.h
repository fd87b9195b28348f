#pragma once
// What several operations share: replacing a column by a new physical one that the sync
// trigger fills (change_type, set_not_null and add_check with `up`), tide's temporary NOT NULL
// check, and expressions or column lists turned into the base table's physical names.

#include <string>
#include <vector>

#include "base/error.h"
#include "ops/operation.h"

namespace tide::ops {

// Why a column cannot be replaced by a copy that the contract renames into place: the contract
// drops the original, and with it what depends on it. Input error at `at` naming the dependents.
Status CheckReplaceable(const TableShape& t, const ShapeColumn& c, const SourceLocation& at,
                        const std::string& op);

struct Replacement {
  std::string new_type;
  Expr up;
  Expr down;
  bool not_null = false;  // the new column is NOT NULL once contracted
};

// Adds c's replacement column (_tide_new_<name>) filled by the sync trigger, and the steps: add
// it (expand), drop it (rollback), drop the original (contract; the rename into place follows
// from the shape). c then lives in the new column.
void ReplaceColumn(OpContext& ctx, TableShape& t, ShapeColumn& c, const Replacement& r,
                   const SourceLocation& at, StepLists& out);

// VALIDATE CONSTRAINT name on t, in a transaction of its own: it scans the table while reads and
// writes go on.
plan::Step ValidateStep(const OpContext& ctx, const TableShape& t, const std::string& name,
                        const SourceLocation& at);

// tide's temporary CHECK (col IS NOT NULL): added NOT VALID in the expand (or, contract_only, in
// the contract), validated in the contract, then SET NOT NULL without a scan and the check
// dropped.
void NotNullSteps(const OpContext& ctx, const TableShape& t, const std::string& physical,
                  const SourceLocation& at, bool contract_only, StepLists& out);

// expr with the new shape's column names replaced by the base table's physical columns.
Result<std::string> PhysicalExpression(const TableShape& t, const Expr& expr);
// Quoted physical columns of the new shape's names, comma-separated.
Result<std::string> PhysicalColumns(OpContext& ctx, TableShape& t,
                                    const std::vector<std::string>& names,
                                    const SourceLocation& at);
// Whether expr calls a volatile function (PostgreSQL would then rewrite the table to add a
// column with it as default).
Result<bool> CallsVolatile(OpContext& ctx, const Expr& expr);

}  // namespace tide::ops
