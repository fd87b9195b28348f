#pragma once
// What `tide lint` reports: one finding per hazard, located in its file, with the rule that
// found it, why it matters and the safe recipe, and whether `tide migrate` makes it safe by
// itself (auto_safe: the offline planner rewrites the statement into its safe form).

#include <string>

namespace tide::lint {

// Ordered by weight: a finding's effective severity decides the exit code (1 on any kError).
enum class Severity { kNote, kWarning, kError };
const char* SeverityName(Severity severity);

struct Finding {
  std::string file;
  int line = 0;  // 1-based; 0 when the finding is about the file as a whole
  int column = 0;
  int end_line = 0;  // the last character of the span (inclusive)
  int end_column = 0;
  std::string rule;
  // What the reader should make of it: the rule's severity, or kNote when tide migrate makes it
  // safe by itself (unless lint was asked to judge the file as written).
  Severity severity = Severity::kError;
  Severity rule_severity = Severity::kError;  // as the rule rates the statement as written
  std::string message;                        // one line: what the statement does wrong
  std::string reason;  // why: which lock, which scan or rewrite, which release breaks
  std::string help;    // the safe recipe
  bool auto_safe = false;
  std::string migrate;  // what tide migrate does instead (the planner's note), when auto_safe
  int statement = -1;   // index in the file; -1 for findings about the file or a directive
};

}  // namespace tide::lint
