// add_unique: {table, name, columns}
// A unique index built concurrently in the expand (it enforces uniqueness from then on), made
// the constraint by the contract (ADD CONSTRAINT ... UNIQUE USING INDEX: no scan).
#include <fmt/format.h>

#include "base/strings.h"
#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

Status PlanConcurrentIndex(OpContext& ctx, TableShape& t, const std::string& name,
                           const std::string& definition, bool unique,
                           const SourceLocation& name_at, const SourceLocation& at, StepLists& out);

namespace {

class AddUnique : public Operation {
 public:
  const char* kind() const override { return "add_unique"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, name;
  std::vector<std::string> columns;
  SourceLocation table_at, name_at, columns_at;
};

Result<StepLists> AddUnique::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  TIDE_ASSIGN(std::string cols, PhysicalColumns(ctx, *t, columns, columns_at));
  TIDE_TRY(PlanConcurrentIndex(ctx, *t, name, "(" + cols + ")", true, name_at, at, out));
  out.contract.push_back(
      {Stage::kStructure, Ddl(ctx, *t,
                              fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                                          ctx.Qualified(*t), QuoteIdent(name), QuoteIdent(name)),
                              sql::Lock::kAccessExclusive, at,
                              "the index built in the expand becomes the constraint")});
  return out;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseAddUnique(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "name", "columns"}));
  auto op = std::make_unique<AddUnique>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  TIDE_ASSIGN(op->name, f.Text("name"));
  TIDE_ASSIGN(op->columns, f.Names("columns"));
  op->table_at = f.Where("table");
  op->name_at = f.Where("name");
  op->columns_at = f.Where("columns");
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
