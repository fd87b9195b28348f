// sql: {expand, contract, rollback}
// Hand-written SQL for what the other operations do not cover. Each text is planned as tide
// plans a .sql migration (lock timeouts, batched updates, concurrent index builds, NOT VALID),
// and a statement tide would refuse is refused here too. The expand text must not break the old
// release. tide cannot see what the SQL changes: the views show the tables as the other
// operations shape them.
#include <fmt/format.h>

#include "base/strings.h"
#include "ops/operations.h"
#include "plan/planner.h"
#include "sql/classify.h"

namespace tide::ops {

namespace {

struct SqlText {
  std::string text;
  SourceLocation at;
};

class Sql : public Operation {
 public:
  const char* kind() const override { return "sql"; }
  Result<StepLists> Plan(OpContext& ctx) const override;

  std::optional<SqlText> expand, contract, rollback;
};

Result<std::vector<plan::Step>> PlanText(OpContext& ctx, const SqlText& sql, const char* part,
                                         bool expand) {
  auto script = sql::ClassifyScript(sql.text, ctx.file);
  if (!script.ok()) {
    return Error::Input(fmt::format("sql.{}: {}", part, script.error().message()))
        .At(sql.at)
        .WithHint("write statements PostgreSQL 15 accepts, separated by ';'");
  }
  if (expand && script->phase == sql::Phase::kContract) {
    std::string list;
    for (const auto& c : script->classified) {
      if (c.phase == sql::Phase::kContract) list += "\n    " + c.summary;
    }
    return Error::Input(fmt::format("sql.expand breaks the old release:{}", list))
        .At(sql.at)
        .WithHint("move these statements to sql.contract");
  }
  plan::Planner planner(ctx.catalog, {});
  TIDE_ASSIGN(plan::Plan planned, planner.PlanScript(*script));
  if (!planned.refusals.empty()) {
    const auto& r = planned.refusals.front();
    return Error::Input(
               fmt::format("sql.{}: tide will not run this as written: {}", part, r.message))
        .At({sql.at.file, sql.at.line + r.line - 1, 0})
        .WithHint(r.recipe);
  }
  for (auto& s : planned.steps) {
    s.line = sql.at.line + s.line - 1;
    s.column = 0;
    s.statement = ctx.op_index;
    if (s.why.empty()) s.why = fmt::format("as written in sql.{}", part);
  }
  return planned.steps;
}

Result<StepLists> Sql::Plan(OpContext& ctx) const {
  StepLists out;
  if (expand) {
    TIDE_ASSIGN(auto steps, PlanText(ctx, *expand, "expand", true));
    for (auto& s : steps) out.expand.push_back({Stage::kStructure, std::move(s)});
  }
  if (contract) {
    TIDE_ASSIGN(auto steps, PlanText(ctx, *contract, "contract", false));
    for (auto& s : steps) out.contract.push_back({Stage::kStructure, std::move(s)});
  }
  if (rollback) {
    TIDE_ASSIGN(auto steps, PlanText(ctx, *rollback, "rollback", false));
    for (auto& s : steps) out.rollback.push_back({Stage::kStructure, std::move(s)});
  }
  return out;
}

Result<std::optional<SqlText>> Text(const Fields& f, const std::string& key) {
  TIDE_ASSIGN(auto text, f.OptText(key));
  if (!text) return std::optional<SqlText>();
  return std::optional<SqlText>(SqlText{*text, f.Where(key)});
}

}  // namespace

Result<std::unique_ptr<Operation>> ParseSql(const Fields& f) {
  TIDE_TRY(f.CheckKeys({"expand", "contract", "rollback"}));
  auto op = std::make_unique<Sql>();
  op->at = f.Where();
  TIDE_ASSIGN(op->expand, Text(f, "expand"));
  TIDE_ASSIGN(op->contract, Text(f, "contract"));
  TIDE_ASSIGN(op->rollback, Text(f, "rollback"));
  if (!op->expand && !op->contract) {
    return f.Fail("", "has neither expand nor contract SQL",
                  "add expand: \"<SQL>\" and/or contract: \"<SQL>\" (and rollback: to undo the "
                  "expand)");
  }
  if (op->expand && !op->rollback) {
    return f.Fail("", "has expand SQL but no rollback SQL: tide rollback could not undo it",
                  "add rollback: \"<SQL that undoes expand>\"");
  }
  return std::unique_ptr<Operation>(std::move(op));
}

}  // namespace tide::ops
