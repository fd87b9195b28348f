// create_table: {name, columns: [{name, type, primary_key, nullable, default, unique, check,
//                references: {table, column}}]}
// A new table is invisible to the old release: it is created as written in the expand and
// dropped on rollback; the contract has nothing to do.
#include <fmt/format.h>

#include <set>

#include "base/strings.h"
#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

namespace {

struct NewColumn {
  std::string name, type;
  bool primary_key = false, nullable = true, unique = false;
  std::optional<Expr> default_expr, check;
  std::optional<std::string> ref_table, ref_column;
  SourceLocation at, ref_at;
};

class CreateTable : public Operation {
 public:
  const char* kind() const override { return "create_table"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string name;
  SourceLocation name_at;
  std::vector<NewColumn> columns;
};

Result<std::string> ColumnSql(OpContext& ctx, const NewColumn& c, std::vector<std::string>& locks) {
  std::string out = QuoteIdent(c.name) + " " + c.type;
  if (c.primary_key) out += " PRIMARY KEY";
  if (!c.nullable && !c.primary_key) out += " NOT NULL";
  if (c.unique) out += " UNIQUE";
  if (c.default_expr) out += " DEFAULT " + c.default_expr->text;
  if (c.check) out += " CHECK (" + c.check->text + ")";
  if (c.ref_table) {
    TIDE_ASSIGN(TableShape * r, ctx.Table(*c.ref_table, c.ref_at));
    TIDE_ASSIGN(ShapeColumn * rc, ctx.Column(*r, c.ref_column.value_or("id"), c.ref_at));
    out += fmt::format(" REFERENCES {} ({})", ctx.Qualified(*r), QuoteIdent(rc->physical));
    locks.push_back(ctx.Qualified(*r));
  }
  return out;
}

Result<StepLists> CreateTable::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(bool exists, ctx.TableExists(name));
  if (exists) {
    return Error::Input(fmt::format("table {} exists already in schema {}", name, ctx.schema))
        .At(name_at)
        .WithHint("pick another name, or change the existing table with the column operations");
  }
  std::vector<std::string> defs, locks;
  TableShape t;
  t.physical = name;
  t.name = name;
  t.created = true;
  t.first_op = ctx.op_index;
  t.facts.rows = 0;
  t.facts.small = true;
  for (const auto& c : columns) {
    TIDE_ASSIGN(std::string def, ColumnSql(ctx, c, locks));
    defs.push_back(def);
    ShapeColumn col{c.name, c.name, c.type, !c.nullable || c.primary_key, "", true, false};
    t.columns.push_back(std::move(col));
  }
  plan::Step create =
      Plain(fmt::format("CREATE TABLE {} (\n  {}\n)", ctx.Qualified(name), Join(defs, ",\n  ")), at,
            "a new table: the old release does not know it");
  create.statement = ctx.op_index;
  create.table = name;
  create.lock_tables = locks;  // a foreign key takes SHARE ROW EXCLUSIVE on what it references
  if (!locks.empty()) create.lock = sql::Lock::kShareRowExclusive;
  out.expand.push_back({Stage::kStructure, create});
  plan::Step drop =
      Plain(fmt::format("DROP TABLE IF EXISTS {}", ctx.Qualified(name)), at, "the new table goes");
  drop.statement = ctx.op_index;
  drop.table = name;
  drop.lock = sql::Lock::kAccessExclusive;
  drop.lock_tables = locks;
  drop.lock_tables.push_back(ctx.Qualified(name));
  out.rollback.push_back({Stage::kStructure, drop});
  ctx.tables.push_back(std::move(t));
  return out;
}

Result<NewColumn> ParseColumn(const Fields& f) {
  TIDE_TRY(f.CheckKeys(
      {"name", "type", "primary_key", "nullable", "default", "unique", "check", "references"}));
  NewColumn c;
  c.at = f.Where();
  TIDE_ASSIGN(c.name, f.Text("name"));
  TIDE_ASSIGN(c.type, f.Type("type"));
  TIDE_ASSIGN(c.primary_key, f.Flag("primary_key", false));
  TIDE_ASSIGN(c.nullable, f.Flag("nullable", true));
  TIDE_ASSIGN(c.unique, f.Flag("unique", false));
  TIDE_ASSIGN(c.default_expr, f.OptExpression("default"));
  TIDE_ASSIGN(c.check, f.OptExpression("check"));
  if (f.Has("references")) {
    TIDE_ASSIGN(Fields r, f.Map("references"));
    TIDE_TRY(r.CheckKeys({"table", "column"}));
    TIDE_ASSIGN(std::string table, r.Text("table"));
    TIDE_ASSIGN(c.ref_column, r.OptText("column"));
    c.ref_table = table;
    c.ref_at = r.Where("table");
  }
  return c;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseCreateTable(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"name", "columns"}));
  auto op = std::make_unique<CreateTable>();
  op->at = f.Where();
  TIDE_ASSIGN(op->name, f.Text("name"));
  op->name_at = f.Where("name");
  TIDE_ASSIGN(auto columns, f.MapList("columns"));
  std::set<std::string> seen;
  for (const auto& cf : columns) {
    TIDE_ASSIGN(NewColumn c, ParseColumn(cf));
    if (!seen.insert(c.name).second) {
      return Error::Input(fmt::format("column {} is listed twice", c.name))
          .At(c.at)
          .WithHint("give each column its own name");
    }
    op->columns.push_back(std::move(c));
  }
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
