// not-null-without-default: ADD COLUMN ... NOT NULL with nothing to fill existing rows with.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class NotNullWithoutDefault : public Rule {
 public:
  NotNullWithoutDefault()
      : Rule({"not-null-without-default", Severity::kError,
              "ADD COLUMN ... NOT NULL without a default fails on a table with rows and breaks "
              "the old release's inserts",
              "add it with a constant DEFAULT, or add it nullable, backfill it, and SET NOT NULL "
              "in a contract migration"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kAddColumn || !cmd.not_null) continue;
      if (cmd.has_default || cmd.identity || cmd.generated_stored) continue;
      if (!Existing(file, c, cmd.table)) continue;
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format("ADD COLUMN {} NOT NULL without a default fails if {} has rows",
                              cmd.column, cmd.table.Display());
      f.reason = fmt::format(
          "existing rows would have no value (\"column contains null values\"); and once added, "
          "every INSERT of the old release, which does not name {}, fails",
          cmd.column);
      f.help = fmt::format(
          "ADD COLUMN {0} ... NOT NULL DEFAULT <constant> (a constant default costs nothing), or "
          "add {0} nullable, backfill it, and SET NOT NULL in a contract migration",
          cmd.column);
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewNotNullWithoutDefault() {
  return std::make_unique<NotNullWithoutDefault>();
}

}  // namespace tide::lint::rules
