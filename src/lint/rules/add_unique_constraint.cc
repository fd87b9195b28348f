// add-unique-constraint: ADD UNIQUE / PRIMARY KEY builds its index under ACCESS EXCLUSIVE.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class AddUniqueConstraint : public Rule {
 public:
  AddUniqueConstraint()
      : Rule({"add-unique-constraint", Severity::kError,
              "ADD UNIQUE / PRIMARY KEY without USING INDEX builds the index under ACCESS "
              "EXCLUSIVE",
              "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE (or PRIMARY "
              "KEY) USING INDEX"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      bool unique = cmd.constraint == sql::ConstraintType::kUnique;
      bool primary = cmd.constraint == sql::ConstraintType::kPrimaryKey;
      if ((!unique && !primary) || cmd.using_index || !Existing(file, c, cmd.table)) continue;
      bool inline_key = cmd.action == sql::Action::kAddColumn;
      if (!inline_key && cmd.action != sql::Action::kAddConstraint) continue;
      std::string kind = primary ? "PRIMARY KEY" : "UNIQUE";
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format("{} {} on {} builds its index under ACCESS EXCLUSIVE",
                              inline_key ? "ADD COLUMN " + cmd.column + " ..." : std::string("ADD"),
                              kind, cmd.table.Display());
      f.reason =
          fmt::format("the whole index build (a scan and a sort of {}) holds {}{}",
                      cmd.table.Display(), LockPhrase(sql::Lock::kAccessExclusive),
                      primary ? "; a PRIMARY KEY on nullable columns also scans for NULLs" : "");
      f.help = fmt::format(
          "{}CREATE UNIQUE INDEX CONCURRENTLY name ON {} (...); then ALTER TABLE {} ADD "
          "CONSTRAINT name {} USING INDEX name, a catalog change",
          inline_key ? "add the column first; then " : "", cmd.table.Display(), cmd.table.Display(),
          kind);
      // tide builds the index itself unless the constraint has options it cannot carry over.
      if (inline_key && !primary) {
        Findings::MadeSafeBy(f, file.Note(c.index, {"inline-constraint-split"}));
      } else if (!inline_key && !file.Refusal(c.index, "add-unique-constraint")) {
        Findings::MadeSafeBy(f,
                             file.Note(c.index, {"unique-using-index", "primary-key-using-index"}));
      }
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewAddUniqueConstraint() { return std::make_unique<AddUniqueConstraint>(); }

}  // namespace tide::lint::rules
