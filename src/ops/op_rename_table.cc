// rename_table: {from, to}
// The new release sees the table under its new name in the views schema; the contract renames
// the base table (ops/declarative.cc adds that step after the column changes).
#include <fmt/format.h>

#include "ops/operations.h"

namespace tide::ops {

namespace {

class RenameTable : public Operation {
 public:
  const char* kind() const override { return "rename_table"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string from, to;
  SourceLocation from_at, to_at;
};

Result<StepLists> RenameTable::Plan(OpContext& ctx) const {
  TIDE_ASSIGN(TableShape * t, ctx.Table(from, from_at));
  TIDE_ASSIGN(bool taken, ctx.TableExists(to));
  TIDE_ASSIGN(bool relation, ctx.catalog.RelationExists(ctx.schema, to));
  if (taken || relation) {
    return Error::Input(fmt::format("a table or index named {} exists already", to))
        .At(to_at)
        .WithHint("pick another name");
  }
  if (t->created) {
    return Error::Input(fmt::format("table {} is created by this same file", from))
        .At(from_at)
        .WithHint("create it under its final name");
  }
  t->name = to;
  return StepLists{};
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseRenameTable(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"from", "to"}));
  auto op = std::make_unique<RenameTable>();
  op->at = f.Where();
  TIDE_ASSIGN(op->from, f.Text("from"));
  TIDE_ASSIGN(op->to, f.Text("to"));
  op->from_at = f.Where("from");
  op->to_at = f.Where("to");
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
