#pragma once
// The three shapes of a lint run: compiler-style text for people (source line and caret,
// colour on a terminal only), JSON for scripts (one object per finding), and SARIF 2.1.0 for
// code-scanning upload.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lint/linter.h"

namespace tide::lint {

struct LintRun {
  LintOptions options;
  std::vector<FileReport> files;
  std::vector<std::string> input_errors;  // paths that could not be read or discovered
};

struct Counts {
  int files = 0;
  size_t statements = 0;
  int errors = 0;
  int warnings = 0;
  int notes = 0;
  int auto_safe = 0;
  int suppressed = 0;
  int assume_big = 0;      // findings of rules that assume a big table (NeedsTableSize)
  bool bad_input = false;  // a syntax error or an unreadable path
};
Counts Count(const LintRun& run);
// Said once per report when some finding assumed a big table; "" otherwise.
std::string BigTableAssumption(const Counts& counts);
// 2: unreadable input or a syntax error; 1: a finding at error level; 0: clean.
int ExitCode(const LintRun& run);

// quiet: leave notes out (they still count in the summary line).
std::string TextReport(const LintRun& run, bool color, bool quiet = false);
nlohmann::ordered_json JsonReport(const LintRun& run);
nlohmann::ordered_json SarifReport(const LintRun& run);
// A path as a SARIF artifact URI: relative stays relative, absolute becomes file://, the rest
// %-encoded (RFC 3986). Shared with the drift check's SARIF.
std::string SarifUri(const std::string& path);

// Where each line of a file starts, so reports of big files stay linear (LineAt walks from the
// top of the file for every finding).
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  // The 1-based line without its terminator, as LineAt gives it; empty past the end.
  std::string_view operator[](int line) const;

 private:
  std::string_view text_;
  std::vector<size_t> starts_;
};

// The 1-based column, in Unicode code points, of a 1-based byte column of a line's text.
int CodePointColumn(std::string_view line, int byte_column);

}  // namespace tide::lint
