// add_check: {table, name, check, up, down, column}
// Without `up`: ADD CONSTRAINT ... NOT VALID (new writes of both releases are checked at once),
// VALIDATE in the contract. With `up`: the rows the old release writes may break the check, so
// the new release sees a copy of the column (`column`, or the one column the check names) that
// `up` fixes, and the check applies to the copy; the contract renames it into place.
#include <fmt/format.h>

#include "base/strings.h"
#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

namespace {

class AddCheck : public Operation {
 public:
  const char* kind() const override { return "add_check"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, name;
  std::optional<std::string> column;
  SourceLocation table_at, column_at;
  Expr check;
  std::optional<Expr> up, down;
};

Result<StepLists> AddCheck::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  if (up) {
    std::string target = column.value_or(check.columns.empty() ? "" : check.columns[0]);
    if (!column && check.columns.size() != 1) {
      return Error::Input(fmt::format("the check names {} columns: which one does up compute?",
                                      check.columns.size()))
          .At(up->at)
          .WithHint("add column: <name> to the operation");
    }
    TIDE_ASSIGN(ShapeColumn * c, ctx.Column(*t, target, column ? column_at : check.at));
    TIDE_TRY(CheckReplaceable(*t, *c, column ? column_at : check.at, kind()));
    Expr identity{QuoteIdent(target), at, {target}, {}};
    ReplaceColumn(ctx, *t, *c, {c->type, *up, down ? *down : identity, c->not_null}, at, out);
  }
  TIDE_ASSIGN(std::string condition, PhysicalExpression(*t, check));
  std::string q = ctx.Qualified(*t);
  plan::Step add = Ddl(ctx, *t,
                       fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}) NOT VALID", q,
                                   QuoteIdent(name), condition),
                       sql::Lock::kAccessExclusive, at,
                       up ? "checks the new shape's column, which up fills for the old release"
                          : "NOT VALID: checks new writes without scanning the table");
  add.kind = plan::StepKind::kAddConstraintNotValid;
  add.object_name = name;
  out.expand.push_back({Stage::kConstraints, add});
  out.contract.push_back({Stage::kConstraints, ValidateStep(ctx, *t, name, at)});
  out.rollback.push_back(
      {Stage::kConstraints,
       Ddl(ctx, *t, fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", q, QuoteIdent(name)),
           sql::Lock::kAccessExclusive, at, "the check goes")});
  return out;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseAddCheck(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "name", "check", "up", "down", "column"}));
  auto op = std::make_unique<AddCheck>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  TIDE_ASSIGN(op->name, f.Text("name"));
  TIDE_ASSIGN(op->check, f.Expression("check"));
  TIDE_ASSIGN(op->column, f.OptText("column"));
  TIDE_ASSIGN(op->up, f.OptExpression("up"));
  TIDE_ASSIGN(op->down, f.OptExpression("down"));
  op->table_at = f.Where("table");
  op->column_at = f.Where("column");
  if (op->down && !op->up) {
    return f.Fail("down", "only means something with up", "add up, or remove down");
  }
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
