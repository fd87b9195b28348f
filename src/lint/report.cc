#include "lint/report.h"

#include <fmt/format.h>

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
      if (NeedsTableSize(f.rule)) ++n.assume_big;
    }
  }
  return n;
}

std::string BigTableAssumption(const Counts& counts) {
  if (counts.assume_big == 0) return "";
  return fmt::format(
      "{} of these finding{} assume{} the table is big and in use: lint has no database. "
      "tide migrate weighs the real table and runs such a statement as written on one under "
      "small_table_rows",
      counts.assume_big, counts.assume_big == 1 ? "" : "s", counts.assume_big == 1 ? "s" : "");
}

int ExitCode(const LintRun& run) {
  Counts n = Count(run);
  if (n.bad_input) return 2;
  return n.errors > 0 ? 1 : 0;
}

LineIndex::LineIndex(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    bool crlf = text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n';
    if ((text[i] == '\n' || text[i] == '\r') && !crlf) starts_.push_back(i + 1);
  }
}

std::string_view LineIndex::operator[](int line) const {
  if (line < 1 || static_cast<size_t>(line) > starts_.size()) return {};
  size_t begin = starts_[static_cast<size_t>(line) - 1];
  size_t end = text_.find_first_of("\r\n", begin);
  return text_.substr(begin, end == std::string_view::npos ? end : end - begin);
}

int CodePointColumn(std::string_view source, int byte_column) {
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
