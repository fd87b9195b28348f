#include "lint/report.h"

#include "base/strings.h"

namespace tide::lint {

Counts Count(const LintRun& run) {
  Counts n;
  n.bad_input = !run.input_errors.empty();
  for (const auto& file : run.files) {
    ++n.files;
    n.statements += file.statements;
    n.suppressed += file.suppressed;
    n.bad_input = n.bad_input || file.syntax_error;
    for (const auto& f : file.findings) {
      if (f.severity == Severity::kError) ++n.errors;
      if (f.severity == Severity::kWarning) ++n.warnings;
      if (f.severity == Severity::kNote) ++n.notes;
      if (f.auto_safe) ++n.auto_safe;
    }
  }
  return n;
}

int ExitCode(const LintRun& run) {
  Counts n = Count(run);
  if (n.bad_input) return 2;
  return n.errors > 0 ? 1 : 0;
}

int CodePointColumn(std::string_view text, int line, int byte_column) {
  std::string_view source = LineAt(text, line);
  int column = 1;
  for (size_t i = 0; i + 1 < static_cast<size_t>(byte_column) && i < source.size(); ++i) {
    if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) ++column;
  }
  // Bytes past the line (a span's end on its terminator) count one each.
  if (static_cast<size_t>(byte_column) > source.size() + 1) {
    column += byte_column - static_cast<int>(source.size()) - 1;
  }
  return column;
}

}  // namespace tide::lint
