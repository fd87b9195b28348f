#include "ops/op_util.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "ops/expr.h"
#include "plan/names.h"

namespace tide::ops {

Status CheckReplaceable(const TableShape& t, const ShapeColumn& c, const SourceLocation& at,
                        const std::string& op) {
  if (c.added || c.replaced) {
    return Error::Input(fmt::format("{}: column {} of {} is already added or replaced by an "
                                    "earlier operation of this file",
                                    op, c.name, t.name))
        .At(at)
        .WithHint(
            "give the earlier operation the final type and expression, or make this a "
            "later migration");
  }
  const auto& key = t.facts.key;
  if (std::find(key.begin(), key.end(), c.physical) != key.end()) {
    return Error::Input(fmt::format("{}: column {} is {}'s key; tide replaces the column by a "
                                    "new one, and cannot do that with the key",
                                    op, c.name, t.name))
        .At(at)
        .WithHint("change a key column with sql: expand/contract steps written by hand");
  }
  plan::ColumnDetail d = t.facts.Detail(c.physical);
  if (d.identity) {
    return Error::Input(fmt::format("{}: column {} is an identity or generated column", op, c.name))
        .At(at)
        .WithHint("change it with an sql operation");
  }
  if (!d.used_by.empty()) {
    return Error::Input(fmt::format("{}: tide fills a new copy of {}.{} and drops the original "
                                    "in the contract, which would drop what uses it: {}",
                                    op, t.name, c.name, Join(d.used_by, ", ")))
        .At(at)
        .WithHint(
            "drop those in an earlier migration and create them again after the "
            "contract (create_index, add_unique, add_foreign_key), or change the column "
            "with an sql operation");
  }
  return Ok();
}

plan::Step ValidateStep(const OpContext& ctx, const TableShape& t, const std::string& name,
                        const SourceLocation& at) {
  plan::Step validate =
      Ddl(ctx, t,
          fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", ctx.Qualified(t), QuoteIdent(name)),
          sql::Lock::kShareUpdateExclusive, at, "VALIDATE scans while reads and writes go on");
  validate.kind = plan::StepKind::kValidateConstraint;
  validate.object_name = name;
  validate.own_transaction = true;
  validate.estimated_rows = t.facts.rows;
  return validate;
}

void NotNullSteps(const OpContext& ctx, const TableShape& t, const std::string& physical,
                  const SourceLocation& at, bool contract_only, StepLists& out) {
  std::string check = plan::TemporaryCheckName(t.physical, physical);
  std::string q = ctx.Qualified(t);
  plan::Step add = Ddl(ctx, t,
                       fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT "
                                   "VALID",
                                   q, QuoteIdent(check), QuoteIdent(physical)),
                       sql::Lock::kAccessExclusive, at,
                       "NOT NULL as a NOT VALID check first: it is validated without blocking "
                       "writes, then SET NOT NULL needs no scan");
  add.kind = plan::StepKind::kAddConstraintNotValid;
  add.object_name = check;
  plan::Step validate = ValidateStep(ctx, t, check, at);
  if (contract_only) {
    out.contract.push_back({Stage::kConstraints, add});
  } else {
    out.expand.push_back({Stage::kConstraints, add});
  }
  out.contract.push_back({Stage::kConstraints, validate});
  out.contract.push_back(
      {Stage::kStructure,
       Ddl(ctx, t,
           fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", q, QuoteIdent(physical)),
           sql::Lock::kAccessExclusive, at, "no scan: the validated check proves it")});
  out.contract.push_back(
      {Stage::kStructure,
       Ddl(ctx, t, fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", q, QuoteIdent(check)),
           sql::Lock::kAccessExclusive, at, "tide's temporary check is no longer needed")});
}

void ReplaceColumn(OpContext& ctx, TableShape& t, ShapeColumn& c, const Replacement& r,
                   const SourceLocation& at, StepLists& out) {
  std::string q = ctx.Qualified(t);
  std::string fresh = t.FreshPhysical(c.name);
  out.expand.push_back(
      {Stage::kStructure,
       Ddl(ctx, t, fmt::format("ALTER TABLE {} ADD COLUMN {} {}", q, QuoteIdent(fresh), r.new_type),
           sql::Lock::kAccessExclusive, at,
           fmt::format("the new shape's {} lives in a new column while both releases run; a "
                       "trigger keeps it and {} in sync",
                       c.name, c.physical))});
  out.rollback.push_back(
      {Stage::kStructure,
       Ddl(ctx, t, fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", q, QuoteIdent(fresh)),
           sql::Lock::kAccessExclusive, at,
           "the new column goes; the original was never changed")});
  t.sync.push_back({c.physical, fresh, c.type, r.new_type, r.up, r.down});
  if (r.not_null) NotNullSteps(ctx, t, fresh, at, false, out);
  std::string default_expr = t.facts.Detail(c.physical).default_expr;
  if (!default_expr.empty()) {
    c.view_default = default_expr;
    out.contract.push_back(
        {Stage::kStructure, Ddl(ctx, t,
                                fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", q,
                                            QuoteIdent(fresh), default_expr),
                                sql::Lock::kAccessExclusive, at,
                                "the original column's default moves to the new one")});
  }
  out.contract.push_back(
      {Stage::kStructure,
       Ddl(ctx, t, fmt::format("ALTER TABLE {} DROP COLUMN {}", q, QuoteIdent(c.physical)),
           sql::Lock::kAccessExclusive, at,
           "the old release's column goes; the new one is renamed into its place")});
  c.physical = fresh;
  c.type = r.new_type;
  c.not_null = r.not_null;
  c.replaced = true;
}

Result<std::string> PhysicalExpression(const TableShape& t, const Expr& expr) {
  auto rewritten = RewriteColumns(
      expr.text, [&](const std::string& name) { return NewShapeColumn(t, name, ""); });
  if (!rewritten.ok()) {
    return Error::Input(fmt::format("{} (table {} has: {})", rewritten.error().message(), t.name,
                                    t.ColumnList()))
        .At(expr.at)
        .WithHint("name the columns as the new release sees them at this point of the file");
  }
  return rewritten;
}

Result<std::string> PhysicalColumns(OpContext& ctx, TableShape& t,
                                    const std::vector<std::string>& names,
                                    const SourceLocation& at) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    TIDE_ASSIGN(ShapeColumn * c, ctx.Column(t, n, at));
    out.push_back(QuoteIdent(c->physical));
  }
  return Join(out, ", ");
}

Result<bool> CallsVolatile(OpContext& ctx, const Expr& expr) {
  for (const auto& f : expr.functions) {
    TIDE_ASSIGN(auto v, ctx.catalog.FunctionIsVolatile(f));
    if (v.value_or(false)) return true;
  }
  return false;
}

}  // namespace tide::ops
