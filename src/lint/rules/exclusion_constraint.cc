// exclusion-constraint: ADD EXCLUDE builds its index under ACCESS EXCLUSIVE; no NOT VALID form.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class ExclusionConstraint : public Rule {
 public:
  ExclusionConstraint()
      : Rule({"exclusion-constraint", Severity::kError,
              "ADD EXCLUDE on an existing table builds its index under ACCESS EXCLUSIVE",
              "add it while the table is small, or enforce the rule in a trigger"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    for (const auto& cmd : c.commands) {
      if (cmd.constraint != sql::ConstraintType::kExclusion) continue;
      if (cmd.action != sql::Action::kAddConstraint || !Existing(file, c, cmd.table)) continue;
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format("ADD EXCLUDE on {} builds its index under ACCESS EXCLUSIVE",
                              cmd.table.Display());
      f.reason = fmt::format(
          "the index build holds {}, and PostgreSQL has neither NOT VALID nor "
          "USING INDEX for exclusion constraints",
          LockPhrase(sql::Lock::kAccessExclusive));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewExclusionConstraint() { return std::make_unique<ExclusionConstraint>(); }

}  // namespace tide::lint::rules
