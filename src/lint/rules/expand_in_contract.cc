// expand-in-contract: an additive statement in a migration stated contract: it runs only after
// the old release is gone, so the release deployed before it cannot have relied on it.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class ExpandInContract : public Rule {
 public:
  ExpandInContract()
      : Rule({"expand-in-contract", Severity::kWarning,
              "an additive statement in a migration stated -- tide:phase contract",
              "move it to the expand migration that ships before the new release"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (file.StatedPhase() != sql::Phase::kContract || c.phase != sql::Phase::kExpand) return;
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("{} in a migration stated contract", c.summary);
    f.reason =
        "tide runs contract migrations only after the old release is gone, that is after "
        "the new release is deployed: the new release cannot rely on what this adds";
  }
};

}  // namespace

std::unique_ptr<Rule> NewExpandInContract() { return std::make_unique<ExpandInContract>(); }

}  // namespace tide::lint::rules
