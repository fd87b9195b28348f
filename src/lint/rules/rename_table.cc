// rename-table: the running release still names the old table.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class RenameTable : public Rule {
 public:
  RenameTable()
      : Rule({"rename-table", Severity::kError, "RENAME TABLE breaks the release that is running",
              "rename it and, in the same transaction, CREATE VIEW <old name> AS SELECT * FROM "
              "<new name> (a simple view is updatable), so both names work; drop the view in a "
              "contract migration"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kRenameTable || !Existing(file, c, c.table)) return;
    const sql::Command& cmd = c.commands.at(0);
    if (ViewKeepsOldName(file, c)) return;
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("RENAME TABLE {} TO {} breaks the release that is running",
                            c.table.Display(), cmd.new_name);
    f.reason = fmt::format(
        "the old release names {} in its queries, which fail from the moment the rename commits "
        "until its last instance is gone",
        c.table.Display());
  }

 private:
  // The recipe itself: a view with the old name, created later in the same transaction.
  static bool ViewKeepsOldName(const FileContext& file, const sql::Classified& c) {
    for (size_t index : file.StatementsDoing(sql::Action::kCreateView)) {
      const sql::Classified& view = file.script().classified[index];
      if (index > c.index && file.Segment(index) == file.Segment(c.index) &&
          !view.commands.empty() && view.commands[0].table.name == c.table.name) {
        return true;
      }
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<Rule> NewRenameTable() { return std::make_unique<RenameTable>(); }

}  // namespace tide::lint::rules
