// mixed-phases: a migration that both expands and contracts, and does not say which it is.
// Expand must run before the new release is deployed, contract only after the old release is
// gone: in one file, one of the two releases breaks (the seed's first gotcha).
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class MixedPhases : public Rule {
 public:
  MixedPhases()
      : Rule({"mixed-phases", Severity::kError,
              "one migration both expands (adds) and contracts (drops, renames, tightens)",
              "split it: the additive statements in one migration, the dropping and tightening "
              "ones in a later migration marked -- tide:phase contract"}) {}

  void CheckFile(const FileContext& file, Findings& out) const override {
    // A stated phase turns each statement of the other phase into its own finding.
    if (file.StatedPhase() || !file.script().mixed_phase) return;
    const sql::Classified* expand = nullptr;
    const sql::Classified* contract = nullptr;
    for (const auto& c : file.script().classified) {
      // One ALTER TABLE may do both (ADD COLUMN a, DROP COLUMN b): its phase says contract.
      if (!expand && (c.phase == sql::Phase::kExpand || c.mixed_phase)) expand = &c;
      if (!contract && c.phase == sql::Phase::kContract && !c.on_new_object) contract = &c;
    }
    if (!expand || !contract) return;
    Finding& f = out.Add(*this, *contract);
    f.message =
        expand == contract
            ? fmt::format("this statement both expands and contracts: {}", contract->summary)
            : fmt::format(
                  "this migration both expands (line {}: {}) and contracts (line "
                  "{}: {})",
                  expand->line(), expand->summary, contract->line(), contract->summary);
    f.reason =
        "the expand must run before the new release is deployed and the contract only "
        "after the old release is gone; run together, the old release breaks (or the new "
        "one waits for a migration it needs). tide migrate runs such a file as written only "
        "where nothing can break: no other session connected and every table it contracts "
        "small";
    if (!contract->phase_note.empty()) f.reason += " (" + contract->phase_note + ")";
  }
};

}  // namespace

std::unique_ptr<Rule> NewMixedPhases() { return std::make_unique<MixedPhases>(); }

}  // namespace tide::lint::rules
