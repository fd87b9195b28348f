// ADD COLUMN with a CHECK, UNIQUE or REFERENCES written inline: the column alone, then each
// constraint in its stand-alone safe form, under the name PostgreSQL gives the inline one.
#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "plan/alter_steps.h"
#include "plan/names.h"
#include "plan/plan_partition.h"
#include "plan/planner.h"
#include "sql/sql_text.h"

namespace tide::plan {

using sql::Action;
using sql::ConstraintType;

namespace {

// A constraint written inline in ADD COLUMN, with its span in the statement's text.
struct Inline {
  std::string contype;
  size_t begin, end;  // in the statement's text
  const nlohmann::json* node;
};

// The inline constraints of cmd's column, in text order, each span up to the next one; nullopt
// when tide cannot cut them out of the text safely (no locations, a COLLATE among them, ...).
std::optional<std::vector<Inline>> InlineSpans(const sql::Classified& c, const sql::Command& cmd,
                                               size_t clause_at, size_t clause_end) {
  // References into the statement's own tree, which outlives the spans that point into it.
  const sql::Statement& st = *c.statement;
  size_t at = static_cast<size_t>(&cmd - c.commands.data());
  if (!st.tree.contains("cmds") || !st.tree.at("cmds").is_array()) return std::nullopt;
  const auto& cmds = st.tree.at("cmds");
  if (at >= cmds.size() || !cmds[at].contains("AlterTableCmd")) return std::nullopt;
  const auto& alter = cmds[at].at("AlterTableCmd");
  if (!alter.contains("def") || !alter.at("def").contains("ColumnDef")) return std::nullopt;
  const auto& col = alter.at("def").at("ColumnDef");
  // COLLATE may sit between constraints: cutting spans by the next constraint would take it.
  if (col.contains("collClause") || !col.contains("constraints")) return std::nullopt;
  std::vector<Inline> all;
  for (const auto& item : col.at("constraints")) {
    if (!item.contains("Constraint")) return std::nullopt;
    const auto& k = item.at("Constraint");
    if (!k.contains("location")) return std::nullopt;
    int64_t loc = k["location"].get<int64_t>() + static_cast<int64_t>(st.tree_base) -
                  static_cast<int64_t>(st.offset);
    if (loc < static_cast<int64_t>(clause_at) || loc >= static_cast<int64_t>(clause_end)) {
      return std::nullopt;
    }
    all.push_back({k.value("contype", ""), static_cast<size_t>(loc), clause_end, &k});
  }
  std::sort(all.begin(), all.end(),
            [](const Inline& a, const Inline& b) { return a.begin < b.begin; });
  for (size_t i = 0; i + 1 < all.size(); ++i) all[i].end = all[i + 1].begin;
  return all;
}

// The ones that move out of the column: a CHECK, a plain UNIQUE, and a REFERENCES on a column
// with a default (without one, the new column is all NULL and the check costs nothing).
std::vector<Inline> MovedOut(const std::vector<Inline>& all, const sql::Command& cmd) {
  std::vector<Inline> moved;
  for (const auto& k : all) {
    bool check = k.contype == "CONSTR_CHECK" && !k.node->value("is_no_inherit", false);
    bool unique = k.contype == "CONSTR_UNIQUE" && !k.node->contains("options") &&
                  !k.node->contains("indexspace");
    bool fk = k.contype == "CONSTR_FOREIGN" && cmd.has_default &&
              !k.node->value("skip_validation", false);
    if (check || unique || fk) moved.push_back(k);
  }
  return moved;
}

// The stand-alone ADD UNIQUE of an inline UNIQUE, for PlanUniqueConstraint.
sql::Command UniqueCommand(const sql::Command& cmd, const Inline& k) {
  sql::Command unique;
  unique.action = Action::kAddConstraint;
  unique.table = cmd.table;
  unique.constraint = ConstraintType::kUnique;
  unique.object_name = k.node->value("conname", "");
  unique.columns = {cmd.column};
  unique.deferrable = k.node->value("deferrable", false);
  unique.initially_deferred = k.node->value("initdeferred", false);
  unique.lock = sql::Lock::kAccessExclusive;
  // Its stand-alone form, for a table that takes it as written (a partitioned one).
  unique.text = fmt::format(
      "ADD {}UNIQUE ({})",
      unique.object_name.empty() ? "" : "CONSTRAINT " + QuoteIdent(unique.object_name) + " ",
      QuoteIdent(cmd.column));
  return unique;
}

}  // namespace

Status Planner::PlanInlineConstraints(FileContext& ctx, const sql::Classified& c,
                                      const sql::Command& cmd, const std::string& clause_sql,
                                      const TableFacts& facts, Plan& plan) {
  auto as_written = [&] {
    plan.steps.push_back(ClauseStep(c, cmd, clause_sql, facts));
    return Ok();
  };
  const sql::Statement& st = *c.statement;
  size_t clause_at = cmd.text.empty() ? std::string::npos : st.text.find(cmd.text);
  if (clause_at == std::string::npos) return as_written();
  size_t clause_end = clause_at + cmd.text.size();
  auto all = InlineSpans(c, cmd, clause_at, clause_end);
  if (!all) return as_written();
  std::vector<Inline> moved = MovedOut(*all, cmd);
  if (moved.empty()) return as_written();
  // The column alone: the clause without the constraints moved out of it.
  std::string column_clause;
  size_t from = clause_at;
  for (const auto& k : moved) {
    column_clause += st.text.substr(from, k.begin - from);
    from = k.end;
  }
  column_clause += st.text.substr(from, clause_end - from);
  TIDE_ASSIGN(auto parts, sql::AlterTableClauses(c));
  std::string head = parts.head;
  std::string why = fmt::format(
      "ADD COLUMN {} with its constraints written inline would check every row of {} ({}) "
      "under ACCESS EXCLUSIVE; tide adds the column alone, then each constraint in its safe "
      "form (CHECK and FOREIGN KEY NOT VALID then VALIDATE, UNIQUE through an index built "
      "concurrently), named as PostgreSQL names the inline ones",
      cmd.column, c.table.Display(), RowsOf(facts));
  plan.notes.push_back({static_cast<int>(c.index), c.line(), "inline-constraint-split", why});
  Step add_column = ClauseStep(c, cmd, head + " " + std::string(Trim(column_clause)), facts);
  add_column.why = "the column alone: a catalog change";
  plan.steps.push_back(add_column);
  for (const auto& k : moved) {
    if (k.contype == "CONSTR_UNIQUE") {
      TIDE_TRY(PlanUniqueConstraint(ctx, c, UniqueCommand(cmd, k), head, facts, plan));
      continue;
    }
    bool fk = k.contype == "CONSTR_FOREIGN";
    std::string text(Trim(st.text.substr(k.begin, k.end - k.begin)));
    if (fk) {
      size_t ref = ToLower(text).find("references");
      if (ref == std::string::npos) {
        return Error::Internal("an inline REFERENCES without its keyword");
      }
      text = text.substr(0, ref) + "FOREIGN KEY (" + QuoteIdent(cmd.column) + ") " +
             text.substr(ref);
    }
    Step add = ClauseStep(c, cmd, head + " ADD " + text + " NOT VALID", facts);
    add.kind = StepKind::kAddConstraintNotValid;
    add.lock = fk ? sql::Lock::kShareRowExclusive : sql::Lock::kAccessExclusive;
    add.object_name = k.node->value("conname", "");
    add.why = fmt::format("the {} NOT VALID: new rows are checked at once",
                          fk ? "FOREIGN KEY" : "CHECK");
    int add_index = static_cast<int>(plan.steps.size());
    plan.steps.push_back(add);
    plan.steps.push_back(ValidateStep(c, cmd, facts, add_index, add.object_name));
  }
  return Ok();
}

}  // namespace tide::plan
