// add_column: {table, column: {name, type, nullable, default}, up}
// A new column on the base table (the old release ignores it). With `up`, the sync trigger
// computes it for every row the old release writes and the backfill for the rows already
// there; NOT NULL becomes a NOT VALID check, validated and turned into SET NOT NULL (no scan) by
// the contract. A default lives on the view while both releases run (an old-release insert must
// stay recognisable by its NULL), and on the column from the contract on.
#include <fmt/format.h>

#include "base/strings.h"
#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

namespace {

class AddColumn : public Operation {
 public:
  const char* kind() const override { return "add_column"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, name, type;
  SourceLocation table_at, name_at;
  bool nullable = true;
  std::optional<Expr> default_expr, up;
};

Result<StepLists> AddColumn::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  if (t->Column(name)) {
    return Error::Input(fmt::format("table {} already has a column {}", t->name, name))
        .At(name_at)
        .WithHint("pick another name, or drop_column it in an earlier migration");
  }
  std::optional<Expr> fill = up;
  if (!fill && default_expr) {
    // A volatile default gives every existing row its own value: a backfill, not a rewrite.
    TIDE_ASSIGN(bool is_volatile, CallsVolatile(ctx, *default_expr));
    if (is_volatile) fill = default_expr;
  }
  std::string physical = t->FreshPhysical(name);
  std::string q = ctx.Qualified(*t);
  std::string tail;
  if (!fill && default_expr) tail += " DEFAULT " + default_expr->text;
  if (!fill && !nullable) tail += " NOT NULL";
  out.expand.push_back(
      {Stage::kStructure,
       Ddl(ctx, *t,
           fmt::format("ALTER TABLE {} ADD COLUMN {} {}{}", q, QuoteIdent(physical), type, tail),
           sql::Lock::kAccessExclusive, at,
           fill ? "added empty; the sync trigger and the backfill fill it from up"
                : "metadata only: no default, or a constant one")});
  out.rollback.push_back(
      {Stage::kStructure,
       Ddl(ctx, *t, fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", q, QuoteIdent(physical)),
           sql::Lock::kAccessExclusive, at, "the added column goes")});
  ShapeColumn col;
  col.name = name;
  col.physical = physical;
  col.type = type;
  col.not_null = !nullable;
  col.added = true;
  if (fill) {
    t->sync.push_back({"", physical, "", type, fill, std::nullopt});
    if (!nullable) NotNullSteps(ctx, *t, physical, at, false, out);
    if (default_expr) {
      col.view_default = default_expr->text;
      out.contract.push_back(
          {Stage::kStructure,
           Ddl(ctx, *t,
               fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", q, QuoteIdent(physical),
                           default_expr->text),
               sql::Lock::kAccessExclusive, at,
               "the default moves from the view to the column once the old release is gone")});
    }
  }
  t->columns.push_back(std::move(col));
  return out;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseAddColumn(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "column", "up"}));
  auto op = std::make_unique<AddColumn>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  op->table_at = f.Where("table");
  TIDE_ASSIGN(Fields column, f.Map("column"));
  TIDE_TRY(column.CheckKeys({"name", "type", "nullable", "default"}));
  TIDE_ASSIGN(op->name, column.Text("name"));
  op->name_at = column.Where("name");
  TIDE_ASSIGN(op->type, column.Type("type"));
  TIDE_ASSIGN(op->nullable, column.Flag("nullable", true));
  TIDE_ASSIGN(op->default_expr, column.OptExpression("default"));
  TIDE_ASSIGN(op->up, f.OptExpression("up"));
  if (!op->nullable && !op->up && !op->default_expr) {
    return column.Fail("nullable",
                       fmt::format("{} is NOT NULL, but nothing gives the rows already there (and "
                                   "those the old release inserts) a value",
                                   op->name),
                       "add up: \"<expression over the old row>\" to the operation, or a "
                       "default to the column");
  }
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
