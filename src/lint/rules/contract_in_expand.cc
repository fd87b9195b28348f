// contract-in-expand: a statement that breaks the old release, in a migration stated expand
// (DROP COLUMN / TABLE outside a contract migration, SET NOT NULL, a new constraint, ...).
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class ContractInExpand : public Rule {
 public:
  ContractInExpand()
      : Rule({"contract-in-expand", Severity::kError,
              "a statement that breaks the old release (DROP COLUMN/TABLE, SET NOT NULL, a "
              "constraint...) in a migration stated -- tide:phase expand",
              "move it to a later migration stated -- tide:phase contract, which tide runs only "
              "after the old release is gone"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (file.StatedPhase() != sql::Phase::kExpand) return;
    if (c.phase != sql::Phase::kContract || c.on_new_object) return;
    // Renames break either release whatever the phase: their own rules say so.
    if (c.action == sql::Action::kRenameColumn || c.action == sql::Action::kRenameTable) return;
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("{} in a migration stated expand", c.summary);
    f.reason = Why(c);
  }

 private:
  static std::string Why(const sql::Classified& c) {
    const sql::Command& cmd = c.commands.at(0);
    switch (c.action) {
      case sql::Action::kDropColumn:
        return fmt::format(
            "the old release, still running while expand runs, reads and writes "
            "{}: its queries fail from the moment the drop commits",
            cmd.column);
      case sql::Action::kDropTable:
        return fmt::format(
            "the old release, still running while expand runs, uses {}: its "
            "queries fail from the moment the drop commits",
            cmd.table.Display());
      case sql::Action::kDropDefault:
        return "the old release's INSERTs rely on the default it removes";
      case sql::Action::kAlterColumnType:
        return "the old release reads and writes values of the old type";
      default:
        return "it tightens what the old release may write, and the old release is still "
               "running while expand runs: its writes that break the new rule fail";
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewContractInExpand() { return std::make_unique<ContractInExpand>(); }

}  // namespace tide::lint::rules
