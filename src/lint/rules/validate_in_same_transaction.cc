// validate-in-same-transaction: VALIDATE CONSTRAINT in the transaction that added it NOT VALID
// scans under the ADD's lock, which NOT VALID was meant to avoid.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class ValidateInSameTransaction : public Rule {
 public:
  ValidateInSameTransaction()
      : Rule({"validate-in-same-transaction", Severity::kError,
              "VALIDATE CONSTRAINT in the same transaction as its ADD ... NOT VALID",
              "commit in between: VALIDATE in a later migration, or after a COMMIT"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kValidateConstraint || cmd.object_name.empty()) continue;
      const sql::Classified* added = nullptr;
      const sql::Command* add = nullptr;
      for (const auto& earlier : file.script().classified) {
        if (earlier.index >= c.index) break;
        if (file.Segment(earlier.index) != file.Segment(c.index)) continue;
        for (const auto& e : earlier.commands) {
          if (e.action == sql::Action::kAddConstraint && e.not_valid &&
              e.object_name == cmd.object_name) {
            added = &earlier;
            add = &e;
          }
        }
      }
      if (!added || !Existing(file, c, cmd.table)) continue;
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format(
          "VALIDATE CONSTRAINT {} runs in the transaction that added it NOT "
          "VALID (line {})",
          cmd.object_name, added->line());
      f.reason = fmt::format(
          "the ADD CONSTRAINT's {} on {} is held until that transaction commits, so the "
          "validation scan runs under it: NOT VALID gained nothing",
          LockPhrase(add->lock), cmd.table.Display());
      Findings::MadeSafeBy(f, file.Note(c.index, {"validate-own-transaction"}));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewValidateInSameTransaction() {
  return std::make_unique<ValidateInSameTransaction>();
}

}  // namespace tide::lint::rules
