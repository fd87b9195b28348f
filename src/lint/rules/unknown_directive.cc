// unknown-directive: a tide: comment tide cannot use: misspelt, misplaced, or naming a rule
// that does not exist (which would silently allow nothing).
#include <fmt/format.h>

#include <algorithm>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

// Levenshtein distance, for "did you mean".
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string Closest(std::string_view id) {
  std::string best;
  size_t best_distance = 4;  // farther than this is no suggestion
  for (const auto& rule : AllRules()) {
    size_t d = Distance(id, rule->info().id);
    if (d < best_distance) {
      best_distance = d;
      best = rule->info().id;
    }
  }
  return best;
}

class UnknownDirective : public Rule {
 public:
  UnknownDirective()
      : Rule({"unknown-directive", Severity::kWarning,
              "a -- tide: comment tide cannot use (misspelt, misplaced, or naming no rule)",
              "-- tide:allow <rule> <reason> on the lines right above a statement; "
              "-- tide:allow-file <rule> <reason> anywhere; -- tide:phase expand|contract before "
              "the first statement (tide lint --list-rules shows the rules)"}) {}

  void CheckFile(const FileContext& file, Findings& out) const override {
    const sql::Directives& d = file.script().directives;
    for (const auto& [line, text] : d.unknown) {
      Finding& f = out.AddAtLine(*this, line);
      f.message = fmt::format("tide cannot use this directive: {}", text);
      f.reason =
          "a misplaced or misspelt directive does nothing: the risk it meant to allow is "
          "still reported, or the phase it meant to state is still inferred";
    }
    if (d.phase && !file.StatedPhase()) {
      Finding& f = out.AddAtLine(*this, d.phase_line);
      f.message = fmt::format("-- tide:phase must be expand or contract, not '{}'", *d.phase);
      f.reason = "the phase is inferred from the statements instead";
    }
    std::vector<const sql::Allow*> allows;
    for (const auto& a : d.file_allows) allows.push_back(&a);
    for (const auto& list : d.statement_allows) {
      for (const auto& a : list) allows.push_back(&a);
    }
    for (const sql::Allow* a : allows) {
      if (a->rule.empty() || a->rule == "all" || FindRule(a->rule) || IsRuntimeRule(a->rule)) {
        continue;
      }
      Finding& f = out.AddAtLine(*this, a->line);
      std::string closest = Closest(a->rule);
      f.message = fmt::format("-- tide:allow names no rule '{}'{}", a->rule,
                              closest.empty() ? "" : " (did you mean '" + closest + "'?)");
      f.reason = "it allows nothing: the finding it meant to allow is still reported";
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewUnknownDirective() { return std::make_unique<UnknownDirective>(); }

}  // namespace tide::lint::rules
