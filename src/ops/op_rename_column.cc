// rename_column: {table, from, to}
// Nothing moves while both releases run: the view shows the column under its new name. The
// contract renames it in place (ops/declarative.cc does, after the drops).
#include <fmt/format.h>

#include "ops/operations.h"

namespace tide::ops {

namespace {

class RenameColumn : public Operation {
 public:
  const char* kind() const override { return "rename_column"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, from, to;
  SourceLocation table_at, from_at, to_at;
};

Result<StepLists> RenameColumn::Plan(OpContext& ctx) const {
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  TIDE_ASSIGN(ShapeColumn * c, ctx.Column(*t, from, from_at));
  if (t->Column(to)) {
    return Error::Input(fmt::format("table {} already has a column {}", t->name, to))
        .At(to_at)
        .WithHint("pick another name");
  }
  if (to.size() > 63) {
    return Error::Input(fmt::format("'{}' is longer than PostgreSQL's 63-byte names", to))
        .At(to_at)
        .WithHint("pick a shorter name");
  }
  c->name = to;
  return StepLists{};
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseRenameColumn(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "from", "to"}));
  auto op = std::make_unique<RenameColumn>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  TIDE_ASSIGN(op->from, f.Text("from"));
  TIDE_ASSIGN(op->to, f.Text("to"));
  op->table_at = f.Where("table");
  op->from_at = f.Where("from");
  op->to_at = f.Where("to");
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
