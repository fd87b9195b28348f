// drop_table: {name}
// The old release keeps the table until the contract drops it. The new release's views schema
// has no view of it; note that with search_path `<schema>_v<version>, <schema>` the base table
// stays reachable by its name until the contract.
#include <fmt/format.h>

#include "ops/operations.h"

namespace tide::ops {

namespace {

class DropTable : public Operation {
 public:
  const char* kind() const override { return "drop_table"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string name;
  SourceLocation name_at;
};

Result<StepLists> DropTable::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(name, name_at));
  if (t->created) {
    return Error::Input(fmt::format("table {} is created by this same file", name))
        .At(name_at)
        .WithHint("remove both operations");
  }
  out.contract.push_back(
      {Stage::kStructure,
       Ddl(ctx, *t, fmt::format("DROP TABLE {}", ctx.Qualified(*t)), sql::Lock::kAccessExclusive,
           at, "the old release is gone; nothing reads the table")});
  t->dropped = true;
  return out;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseDropTable(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"name"}));
  auto op = std::make_unique<DropTable>();
  op->at = f.Where();
  TIDE_ASSIGN(op->name, f.Text("name"));
  op->name_at = f.Where("name");
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
