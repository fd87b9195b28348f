// add_foreign_key: {table, name, columns, references: {table, columns}, on_delete, on_update}
// NOT VALID in the expand (new writes of both releases are checked from then on; SHARE ROW
// EXCLUSIVE on both tables, briefly, with the lock timeout), VALIDATE in the contract.
#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

namespace {

const std::vector<std::string> kActions = {"no action", "restrict", "cascade", "set null",
                                           "set default"};

class AddForeignKey : public Operation {
 public:
  const char* kind() const override { return "add_foreign_key"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, name, ref_table;
  std::vector<std::string> columns, ref_columns;
  std::string on_delete = "no action", on_update = "no action";
  SourceLocation table_at, columns_at, ref_table_at, ref_columns_at;
};

Result<StepLists> AddForeignKey::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  TIDE_ASSIGN(std::string cols, PhysicalColumns(ctx, *t, columns, columns_at));
  TIDE_ASSIGN(TableShape * r, ctx.Table(ref_table, ref_table_at));
  TIDE_ASSIGN(std::string ref_cols, PhysicalColumns(ctx, *r, ref_columns, ref_columns_at));
  if (columns.size() != ref_columns.size()) {
    return Error::Input(
               fmt::format("{} columns reference {} columns", columns.size(), ref_columns.size()))
        .At(ref_columns_at)
        .WithHint("list as many referenced columns as referencing ones");
  }
  std::string q = ctx.Qualified(*t);
  plan::Step add = Ddl(ctx, *t,
                       fmt::format("ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES "
                                   "{} ({}) ON DELETE {} ON UPDATE {} NOT VALID",
                                   q, QuoteIdent(name), cols, ctx.Qualified(*r), ref_cols,
                                   ToLower(on_delete), ToLower(on_update)),
                       sql::Lock::kShareRowExclusive, at,
                       "NOT VALID: new writes are checked, the rows already there later");
  add.kind = plan::StepKind::kAddConstraintNotValid;
  add.object_name = name;
  if (r->physical != t->physical) add.lock_tables.push_back(ctx.Qualified(*r));
  out.expand.push_back({Stage::kConstraints, add});
  out.contract.push_back({Stage::kConstraints, ValidateStep(ctx, *t, name, at)});
  plan::Step drop =
      Ddl(ctx, *t, fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", q, QuoteIdent(name)),
          sql::Lock::kAccessExclusive, at, "the foreign key goes");
  drop.lock_tables = add.lock_tables;
  out.rollback.push_back({Stage::kConstraints, drop});
  return out;
}

Result<std::string> Action(const Fields& f, const std::string& key) {
  TIDE_ASSIGN(auto v, f.OptText(key));
  if (!v) return std::string("no action");
  std::string a = ToLower(ReplaceAll(*v, "_", " "));
  if (std::find(kActions.begin(), kActions.end(), a) == kActions.end()) {
    return f.Fail(key, fmt::format("'{}' is not a referential action", *v),
                  "use one of: " + Join(kActions, ", "));
  }
  return a;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseAddForeignKey(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "name", "columns", "references", "on_delete", "on_update"}));
  auto op = std::make_unique<AddForeignKey>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  TIDE_ASSIGN(op->name, f.Text("name"));
  TIDE_ASSIGN(op->columns, f.Names("columns"));
  TIDE_ASSIGN(Fields refs, f.Map("references"));
  TIDE_TRY(refs.CheckKeys({"table", "columns"}));
  TIDE_ASSIGN(op->ref_table, refs.Text("table"));
  TIDE_ASSIGN(op->ref_columns, refs.Names("columns"));
  TIDE_ASSIGN(op->on_delete, Action(f, "on_delete"));
  TIDE_ASSIGN(op->on_update, Action(f, "on_update"));
  op->table_at = f.Where("table");
  op->columns_at = f.Where("columns");
  op->ref_table_at = refs.Where("table");
  op->ref_columns_at = refs.Where("columns");
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
