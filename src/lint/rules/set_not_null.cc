// set-not-null: SET NOT NULL scans the table under ACCESS EXCLUSIVE, unless a valid
// CHECK (col IS NOT NULL) already proves it (PostgreSQL 12+).
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class SetNotNull : public Rule {
 public:
  SetNotNull()
      : Rule({"set-not-null", Severity::kError,
              "SET NOT NULL without a validated CHECK (col IS NOT NULL) scans the table under "
              "ACCESS EXCLUSIVE",
              "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID; VALIDATE it in its own "
              "transaction; SET NOT NULL (no scan); drop the check"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kSetNotNull || !Existing(file, c, cmd.table)) continue;
      const History::Column* col = file.history().FindColumn(cmd.table, cmd.column);
      if (col && col->not_null) continue;  // already NOT NULL: nothing to check
      if (file.history().HasValidNotNullCheck(cmd.table, cmd.column)) continue;
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format(
          "SET NOT NULL on {}.{} scans the whole table under ACCESS "
          "EXCLUSIVE",
          cmd.table.Display(), cmd.column);
      f.reason = fmt::format(
          "PostgreSQL reads every row to prove {} has no NULL while it holds "
          "{}: every query on {} waits for the scan",
          cmd.column, LockPhrase(sql::Lock::kAccessExclusive), cmd.table.Display());
      f.help = fmt::format(
          "ALTER TABLE {0} ADD CONSTRAINT {1}_not_null CHECK ({1} IS NOT NULL) NOT VALID; then, "
          "in its own transaction, ALTER TABLE {0} VALIDATE CONSTRAINT {1}_not_null (reads and "
          "writes go on); then SET NOT NULL skips the scan; then drop the check",
          cmd.table.Display(), cmd.column);
      Findings::MadeSafeBy(f, file.Note(c.index, {"set-not-null-via-check"}));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewSetNotNull() { return std::make_unique<SetNotNull>(); }

}  // namespace tide::lint::rules
