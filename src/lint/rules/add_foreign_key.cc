// add-foreign-key: ADD FOREIGN KEY validates every row under SHARE ROW EXCLUSIVE on both tables.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class AddForeignKey : public Rule {
 public:
  AddForeignKey()
      : Rule({"add-foreign-key", Severity::kError,
              "ADD FOREIGN KEY without NOT VALID checks every row while blocking writes to both "
              "tables",
              "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a "
              "separate transaction"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.constraint != sql::ConstraintType::kForeignKey || cmd.not_valid) continue;
      if (!Existing(file, c, cmd.table)) continue;
      bool inline_fk = cmd.action == sql::Action::kAddColumn;
      // A new column without a default is all NULL: PostgreSQL does not validate it.
      if (inline_fk && !cmd.has_default) continue;
      if (!inline_fk && cmd.action != sql::Action::kAddConstraint) continue;
      std::string ref = cmd.referenced.Display();
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format(
          "{} on {} checks every row while holding SHARE ROW EXCLUSIVE on "
          "{} and {}",
          inline_fk ? "ADD COLUMN " + cmd.column +
                          " ... REFERENCES with a "
                          "default"
                    : std::string("ADD FOREIGN KEY"),
          cmd.table.Display(), cmd.table.Display(), ref);
      f.reason = fmt::format(
          "SHARE ROW EXCLUSIVE blocks writes to both tables until every existing row of {} has "
          "been looked up in {}{}",
          cmd.table.Display(), ref,
          inline_fk ? ", and the ADD COLUMN holds ACCESS EXCLUSIVE on it meanwhile" : "");
      f.help = inline_fk ? "add the column without the default, or add the constraint on its "
                           "own: ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE "
                           "CONSTRAINT in a separate transaction"
                         : "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (new rows are checked "
                           "at once), then VALIDATE CONSTRAINT in a separate transaction: it "
                           "takes SHARE UPDATE EXCLUSIVE, so reads and writes go on";
      Findings::MadeSafeBy(f, file.Note(c.index, {inline_fk ? "inline-constraint-split"
                                                             : "foreign-key-not-valid"}));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewAddForeignKey() { return std::make_unique<AddForeignKey>(); }

}  // namespace tide::lint::rules
