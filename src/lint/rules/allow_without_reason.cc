// allow-without-reason: -- tide:allow <rule> with no reason. The allow still applies; the
// missing reason is the finding, so the risk taken is always written down.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class AllowWithoutReason : public Rule {
 public:
  AllowWithoutReason()
      : Rule({"allow-without-reason", Severity::kError, "a -- tide:allow without a reason",
              "say why the risk is acceptable: -- tide:allow <rule> <reason>"}) {}

  void CheckFile(const FileContext& file, Findings& out) const override {
    const sql::Directives& d = file.script().directives;
    std::vector<const sql::Allow*> allows;
    for (const auto& a : d.file_allows) allows.push_back(&a);
    for (const auto& list : d.statement_allows) {
      for (const auto& a : list) allows.push_back(&a);
    }
    for (const sql::Allow* a : allows) {
      if (!a->reason.empty()) continue;
      Finding& f = out.AddAtLine(*this, a->line);
      f.message =
          fmt::format("-- tide:{} {} gives no reason", a->whole_file ? "allow-file" : "allow",
                      a->rule.empty() ? "(no rule)" : a->rule);
      f.reason =
          "an allow takes a risk on behalf of everyone who runs the migration; the reason "
          "is what a reviewer (and a later reader) checks";
      f.help = fmt::format("-- tide:{} {} <why the risk is acceptable here>",
                           a->whole_file ? "allow-file" : "allow", a->rule);
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewAllowWithoutReason() { return std::make_unique<AllowWithoutReason>(); }

}  // namespace tide::lint::rules
