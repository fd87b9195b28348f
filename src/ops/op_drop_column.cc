// drop_column: {table, column, down}
// The new release stops seeing the column (the view leaves it out); the old release keeps it,
// and for the rows the new release writes the sync trigger computes it from `down` over the new
// row. The contract drops it.
#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

namespace {

class DropColumn : public Operation {
 public:
  const char* kind() const override { return "drop_column"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, column;
  SourceLocation table_at, column_at;
  std::optional<Expr> down;
};

Result<StepLists> DropColumn::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  TIDE_ASSIGN(ShapeColumn * c, ctx.Column(*t, column, column_at));
  if (c->added || c->replaced) {
    return Error::Input(fmt::format("column {} is added or replaced by an earlier operation of "
                                    "this file",
                                    column))
        .At(column_at)
        .WithHint("remove that operation instead of dropping its column");
  }
  const auto& key = t->facts.key;
  if (std::find(key.begin(), key.end(), c->physical) != key.end()) {
    return Error::Input(fmt::format("column {} is {}'s key", column, t->name))
        .At(column_at)
        .WithHint("give the table another primary key in an earlier migration first");
  }
  plan::ColumnDetail detail = t->facts.Detail(c->physical);
  for (const auto& use : detail.used_by) {
    if (use.rfind("view ", 0) != 0) continue;  // indexes and checks go with the column
    return Error::Input(fmt::format("column {}.{} is used by {}: the contract's DROP COLUMN would "
                                    "fail",
                                    t->name, column, use))
        .At(column_at)
        .WithHint("change or drop the view first (sql operation or an earlier migration)");
  }
  if (c->not_null && detail.default_expr.empty() && !down) {
    return Error::Input(fmt::format("{}.{} is NOT NULL with no default: a row the new release "
                                    "inserts (it cannot see the column) would be refused",
                                    t->name, column))
        .At(at)
        .WithHint(
            "add down: \"<expression over the new row>\", the value the old release "
            "should read for rows the new release writes");
  }
  if (down) t->sync.push_back({c->physical, "", c->type, "", std::nullopt, down});
  out.contract.push_back(
      {Stage::kStructure,
       Ddl(ctx, *t,
           fmt::format("ALTER TABLE {} DROP COLUMN {}", ctx.Qualified(*t), QuoteIdent(c->physical)),
           sql::Lock::kAccessExclusive, at, "metadata only; the old release is gone")});
  t->columns.erase(t->columns.begin() + (c - t->columns.data()));
  return out;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseDropColumn(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "column", "down"}));
  auto op = std::make_unique<DropColumn>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  op->table_at = f.Where("table");
  TIDE_ASSIGN(op->column, f.Text("column"));
  op->column_at = f.Where("column");
  TIDE_ASSIGN(op->down, f.OptExpression("down"));
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
