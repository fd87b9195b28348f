// set_not_null: {table, column, up, down}
// Without `up` the column's rows must already be set: the contract adds a NOT VALID check,
// validates it (no write is blocked), sets NOT NULL without a scan and drops the check. (It is
// all contract: from the expand on, the old release may still write NULL.) With `up`, the new
// release sees a NOT NULL copy of the column that `up` fills from the old row (and `down`,
// by default the value itself, copies back), which the contract renames into place.
#include <fmt/format.h>

#include "base/strings.h"
#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

namespace {

class SetNotNull : public Operation {
 public:
  const char* kind() const override { return "set_not_null"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, column;
  SourceLocation table_at, column_at;
  std::optional<Expr> up, down;
};

Result<StepLists> SetNotNull::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  TIDE_ASSIGN(ShapeColumn * c, ctx.Column(*t, column, column_at));
  if (c->not_null) {
    return Error::Input(fmt::format("{}.{} is NOT NULL already", t->name, column))
        .At(column_at)
        .WithHint("remove the operation");
  }
  if (!up) {
    NotNullSteps(ctx, *t, c->physical, at, /*contract_only=*/true, out);
    c->not_null = true;
    return out;
  }
  TIDE_TRY(CheckReplaceable(*t, *c, column_at, kind()));
  Expr identity{QuoteIdent(column), at, {column}, {}};
  ReplaceColumn(ctx, *t, *c, {c->type, *up, down ? *down : identity, true}, at, out);
  return out;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseSetNotNull(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "column", "up", "down"}));
  auto op = std::make_unique<SetNotNull>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  TIDE_ASSIGN(op->column, f.Text("column"));
  TIDE_ASSIGN(op->up, f.OptExpression("up"));
  TIDE_ASSIGN(op->down, f.OptExpression("down"));
  op->table_at = f.Where("table");
  op->column_at = f.Where("column");
  if (op->down && !op->up) {
    return f.Fail("down", "only means something with up",
                  "add up: \"coalesce(<column>, <value>)\", or remove down");
  }
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
