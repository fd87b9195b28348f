// rename-column: the running release still names the old column.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class RenameColumn : public Rule {
 public:
  RenameColumn()
      : Rule({"rename-column", Severity::kError, "RENAME COLUMN breaks the release that is running",
              "add the new column, keep both in sync with a trigger, backfill, move the "
              "application over, and drop the old column in a contract migration (a declarative "
              "rename_column migration does all of it)"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kRenameColumn || !Existing(file, c, c.table)) return;
    const sql::Command& cmd = c.commands.at(0);
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("RENAME COLUMN {}.{} TO {} breaks the release that is running",
                            c.table.Display(), cmd.column, cmd.new_name);
    f.reason = fmt::format(
        "the old release names {0} in its queries, which fail from the moment the rename "
        "commits until its last instance is gone; a release that names {1} fails before it: no "
        "order of deploy and migration keeps both working",
        cmd.column, cmd.new_name);
  }
};

}  // namespace

std::unique_ptr<Rule> NewRenameColumn() { return std::make_unique<RenameColumn>(); }

}  // namespace tide::lint::rules
