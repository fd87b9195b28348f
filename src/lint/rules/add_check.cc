// add-check: ADD CHECK validates every row under ACCESS EXCLUSIVE.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class AddCheck : public Rule {
 public:
  AddCheck()
      : Rule({"add-check", Severity::kError,
              "ADD CHECK without NOT VALID scans the table under ACCESS EXCLUSIVE",
              "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a separate "
              "transaction"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.constraint != sql::ConstraintType::kCheck || cmd.not_valid) continue;
      bool inline_check = cmd.action == sql::Action::kAddColumn;
      if (!inline_check && cmd.action != sql::Action::kAddConstraint) continue;
      if (!Existing(file, c, cmd.table)) continue;
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format(
          "{} on {} checks every row under ACCESS EXCLUSIVE",
          inline_check ? "ADD COLUMN " + cmd.column + " ... CHECK" : std::string("ADD CHECK"),
          cmd.table.Display());
      f.reason = fmt::format(
          "PostgreSQL evaluates the check on every existing row (NULL or not) "
          "while it holds {}: every query on {} waits",
          LockPhrase(sql::Lock::kAccessExclusive), cmd.table.Display());
      f.help = inline_check ? "add the column, then ADD CONSTRAINT ... CHECK (...) NOT VALID, "
                              "then VALIDATE CONSTRAINT in a separate transaction"
                            : "ADD CONSTRAINT ... CHECK (...) NOT VALID (new rows are checked "
                              "at once), then VALIDATE CONSTRAINT in a separate transaction: it "
                              "takes SHARE UPDATE EXCLUSIVE, so reads and writes go on";
      Findings::MadeSafeBy(f, file.Note(c.index, {inline_check ? "inline-constraint-split"
                                                                : "check-not-valid"}));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewAddCheck() { return std::make_unique<AddCheck>(); }

}  // namespace tide::lint::rules
