// change_type: {table, column, type, up, down}
// A rewrite-free type change: a new column of the new type, kept in sync both ways (`up` from
// the old row, `down` from the new one), backfilled in batches; the contract drops the original
// and renames the new column into its place.
#include <fmt/format.h>

#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

namespace {

class ChangeType : public Operation {
 public:
  const char* kind() const override { return "change_type"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, column, type;
  SourceLocation table_at, column_at;
  std::optional<Expr> up, down;
};

Result<StepLists> ChangeType::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  TIDE_ASSIGN(ShapeColumn * c, ctx.Column(*t, column, column_at));
  TIDE_TRY(CheckReplaceable(*t, *c, column_at, kind()));
  ReplaceColumn(ctx, *t, *c, {type, *up, *down, c->not_null}, at, out);
  return out;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseChangeType(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "column", "type", "up", "down"}));
  auto op = std::make_unique<ChangeType>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  TIDE_ASSIGN(op->column, f.Text("column"));
  TIDE_ASSIGN(op->type, f.Type("type"));
  TIDE_ASSIGN(op->up, f.Expression("up"));
  TIDE_ASSIGN(op->down, f.Expression("down"));
  op->table_at = f.Where("table");
  op->column_at = f.Where("column");
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
