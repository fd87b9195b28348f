// create_index: {table, name, columns, unique, method, where}
// CREATE INDEX CONCURRENTLY in the expand (the executor drops an invalid leftover and retries);
// DROP INDEX CONCURRENTLY on rollback. Columns are the new shape's names.
#include <fmt/format.h>

#include "base/strings.h"
#include "ops/op_util.h"
#include "ops/operations.h"

namespace tide::ops {

namespace {

class CreateIndex : public Operation {
 public:
  const char* kind() const override { return "create_index"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::string table, name;
  std::vector<std::string> columns;
  bool unique = false;
  std::optional<std::string> method;
  std::optional<Expr> where;
  SourceLocation table_at, name_at, columns_at;
};

}  // namespace

// Shared with add_unique: the concurrent build and its undo.
Status PlanConcurrentIndex(OpContext& ctx, TableShape& t, const std::string& name,
                           const std::string& definition, bool unique,
                           const SourceLocation& name_at, const SourceLocation& at,
                           StepLists& out) {
  TIDE_ASSIGN(bool taken, ctx.catalog.RelationExists(ctx.schema, name));
  if (taken) {
    return Error::Input(
               fmt::format("a table or index named {} exists in schema {}", name, ctx.schema))
        .At(name_at)
        .WithHint("pick another name");
  }
  plan::Step build = Ddl(
      ctx, t,
      fmt::format("CREATE {}INDEX CONCURRENTLY {} ON {} {}", unique ? "UNIQUE " : "",
                  QuoteIdent(name), ctx.Qualified(t), definition),
      sql::Lock::kShareUpdateExclusive, at, "CONCURRENTLY: reads and writes go on while it builds");
  build.kind = plan::StepKind::kCreateIndexConcurrently;
  build.transactional = false;
  build.object_name = name;
  build.estimated_rows = t.facts.rows;
  out.expand.push_back({Stage::kIndexes, build});
  plan::Step drop = Ddl(
      ctx, t, fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}", QuoteQualified(ctx.schema, name)),
      sql::Lock::kShareUpdateExclusive, at, "the index goes, without blocking");
  drop.kind = plan::StepKind::kDropIndexConcurrently;
  drop.transactional = false;
  drop.object_name = QuoteQualified(ctx.schema, name);
  out.rollback.push_back({Stage::kIndexes, drop});
  return Ok();
}

namespace {

Result<StepLists> CreateIndex::Plan(OpContext& ctx) const {
  StepLists out;
  TIDE_ASSIGN(TableShape * t, ctx.Table(table, table_at));
  TIDE_ASSIGN(std::string cols, PhysicalColumns(ctx, *t, columns, columns_at));
  std::string definition =
      (method ? "USING " + QuoteIdent(*method) + " " : std::string()) + "(" + cols + ")";
  if (where) {
    TIDE_ASSIGN(std::string predicate, PhysicalExpression(*t, *where));
    definition += " WHERE " + predicate;
  }
  TIDE_TRY(PlanConcurrentIndex(ctx, *t, name, definition, unique, name_at, at, out));
  return out;
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseCreateIndex(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"table", "name", "columns", "unique", "method", "where"}));
  auto op = std::make_unique<CreateIndex>();
  op->at = f.Where();
  TIDE_ASSIGN(op->table, f.Text("table"));
  TIDE_ASSIGN(op->name, f.Text("name"));
  TIDE_ASSIGN(op->columns, f.Names("columns"));
  TIDE_ASSIGN(op->unique, f.Flag("unique", false));
  TIDE_ASSIGN(op->method, f.OptText("method"));
  TIDE_ASSIGN(op->where, f.OptExpression("where"));
  op->table_at = f.Where("table");
  op->name_at = f.Where("name");
  op->columns_at = f.Where("columns");
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
