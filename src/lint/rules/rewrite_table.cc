// rewrite-table: SET TABLESPACE, SET LOGGED/UNLOGGED and SET ACCESS METHOD rewrite the table.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class RewriteTable : public Rule {
 public:
  RewriteTable()
      : Rule({"rewrite-table", Severity::kError,
              "SET TABLESPACE, SET LOGGED/UNLOGGED or SET ACCESS METHOD rewrites the table",
              "do it in a maintenance window, or with pg_repack"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kSetTablespace && cmd.action != sql::Action::kSetLogged &&
          cmd.action != sql::Action::kSetAccessMethod) {
        continue;
      }
      if (!Existing(file, c, cmd.table)) continue;
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format("{} rewrites {}", cmd.text.empty() ? c.summary : cmd.text,
                              cmd.table.Display());
      f.reason = fmt::format(
          "PostgreSQL writes a new copy of the table and its indexes under "
          "{} until it ends",
          LockPhrase(sql::Lock::kAccessExclusive));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewRewriteTable() { return std::make_unique<RewriteTable>(); }

}  // namespace tide::lint::rules
