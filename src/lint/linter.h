#pragma once
// tide lint: static safety analysis of migration files, no database needed. Each file is
// classified, planned offline (every existing table assumed large, as `plan --offline` does),
// and checked by every rule; a finding that the planner rewrites into a safe form is marked
// auto_safe. Files of one run are linted in order, each seeing what the ones before it did
// (the schema history, and the backfills a contract catch-up repeats).

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "lint/finding.h"
#include "lint/history.h"
#include "lint/rule.h"
#include "plan/catalog.h"
#include "plan/planner.h"

namespace tide::lint {

struct SourceFile {
  std::string path;  // as reports show it
  std::string text;
};

struct FileReport {
  std::string file;
  std::string text;               // the source, for excerpts
  std::vector<Finding> findings;  // by position; suppressed ones removed
  size_t statements = 0;
  sql::Phase phase = sql::Phase::kNeutral;  // stated, else inferred
  bool phase_stated = false;
  bool syntax_error = false;  // unreadable: findings hold the error
  int suppressed = 0;         // findings a tide:allow took responsibility for
};

class Linter {
 public:
  explicit Linter(LintOptions options);

  // Lints the next file of the run.
  FileReport Lint(const SourceFile& file);

 private:
  void RunRules(const FileContext& ctx, const sql::ClassifiedScript& script, Findings& out);
  void Finish(const sql::ClassifiedScript& script, std::deque<Finding>& raw, FileReport& report);

  LintOptions options_;
  History history_;
  plan::OfflineCatalog catalog_;
  plan::Planner planner_;
};

// Rule ids no -- tide:allow can silence.
bool Unsuppressible(std::string_view rule);

}  // namespace tide::lint
