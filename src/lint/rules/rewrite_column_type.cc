// rewrite-column-type: ALTER COLUMN TYPE rewrites the table unless the change is
// binary-coercible (varchar widening, varchar to text, ...). The type it changes from comes
// from the history of the run; when no file says, lint cannot tell and warns.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class RewriteColumnType : public Rule {
 public:
  RewriteColumnType()
      : Rule({"rewrite-column-type", Severity::kError,
              "ALTER COLUMN TYPE that rewrites the table (not varchar widening, varchar to text "
              "or another binary-coercible change)",
              "add a column of the new type, backfill it in batches, keep it in sync with a "
              "trigger, and swap the columns in a contract migration (a declarative change_type "
              "migration does all of it)"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kAlterColumnType || !cmd.type) continue;
      if (!Existing(file, c, cmd.table)) continue;
      const History::Column* col = file.history().FindColumn(cmd.table, cmd.column);
      std::optional<sql::ColumnType> from = col ? col->type : std::nullopt;
      sql::TypeChange change = sql::ClassifyTypeChange(from, *cmd.type, cmd.has_using);
      if (change == sql::TypeChange::kNoRewrite) continue;
      Finding& f = out.Add(*this, c, &cmd);
      std::string target = cmd.type->ToString() + (cmd.has_using ? " USING ..." : "");
      if (change == sql::TypeChange::kRewrite) {
        f.message = fmt::format("changing {}.{} {}to {} rewrites the table and its indexes",
                                cmd.table.Display(), cmd.column,
                                from ? "from " + from->ToString() + " " : "", target);
        f.reason = fmt::format("PostgreSQL writes a new copy of {} under {} until it ends",
                               cmd.table.Display(), LockPhrase(sql::Lock::kAccessExclusive));
      } else {
        f.severity = f.rule_severity = Severity::kWarning;
        f.message = fmt::format(
            "changing {}.{} to {} rewrites the table unless the change is "
            "binary-coercible, and no migration here says its current type",
            cmd.table.Display(), cmd.column, target);
        f.reason = fmt::format(
            "a rewrite holds {} on {} until it ends; tide migrate reads the current type when it "
            "runs and refuses a rewrite then",
            LockPhrase(sql::Lock::kAccessExclusive), cmd.table.Display());
      }
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewRewriteColumnType() { return std::make_unique<RewriteColumnType>(); }

}  // namespace tide::lint::rules
