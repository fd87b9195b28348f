// Compiler-style text: "file:line:col: severity[rule]: message", the source line with a caret
// under the span, then why, what tide migrate does about it, and the safe recipe.
#include <fmt/format.h>

#include "base/strings.h"
#include "base/text.h"
#include "lint/report.h"

namespace tide::lint {

namespace {

struct Style {
  bool on;
  std::string Paint(const char* code, std::string_view text) const {
    if (!on) return std::string(text);
    return fmt::format("\033[{}m{}\033[0m", code, text);
  }
  static const char* ForSeverity(Severity s) {
    switch (s) {
      case Severity::kError:
        return "1;31";
      case Severity::kWarning:
        return "1;33";
      case Severity::kNote:
        return "1;36";
    }
    return "1";
  }
};

// The source line, and a caret line under [column, end] (the rest of the line when the span
// goes on). Tabs in the prefix are kept, so the caret lines up however tabs are shown. Control
// bytes in the line are shown escaped (a file must not drive the terminal); the carets are
// measured on the line as shown.
void Excerpt(const Finding& f, const LineIndex& lines, const Style& style, std::string& out) {
  std::string_view source = lines[f.line];
  if (source.empty() || f.column < 1) return;
  std::string number = std::to_string(f.line);
  std::string pad(number.size(), ' ');
  size_t begin = std::min(source.size(), static_cast<size_t>(f.column - 1));
  size_t end = f.end_line == f.line && f.end_column >= f.column
                   ? std::min(source.size(), static_cast<size_t>(f.end_column))
                   : source.size();
  end = std::max(begin, end);
  std::string before = EscapeForTerminal(source.substr(0, begin));
  std::string span = EscapeForTerminal(source.substr(begin, end - begin));
  std::string after = EscapeForTerminal(source.substr(end));
  std::string prefix;
  for (char c : before) {
    if (c == '\t') {
      prefix += '\t';
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      prefix += ' ';
    }
  }
  size_t width = 0;
  for (char c : span) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  std::string bar = style.Paint("1;34", "|");
  out += fmt::format(" {} {}\n", pad, bar);
  out += fmt::format(" {} {} {}{}{}\n", style.Paint("1;34", number), bar, before, span, after);
  std::string carets(std::max<size_t>(width, 1), '^');
  if (f.end_line > f.line) carets += " ...";
  out += fmt::format(" {} {} {}{}\n", pad, bar, prefix,
                     style.Paint(Style::ForSeverity(f.severity), carets));
}

void Item(const Style& style, size_t indent, const char* label, const std::string& text,
          std::string& out) {
  if (text.empty()) return;
  out += fmt::format("{} {} {}: {}\n", std::string(indent, ' '), style.Paint("1;34", "="),
                     style.Paint("1", label), EscapeForTerminal(text));
}

void Render(const Finding& f, const LineIndex& lines, const Style& style, std::string& out) {
  std::string file = EscapeForTerminal(f.file);
  std::string where = f.line > 0 ? fmt::format("{}:{}:{}", file, f.line, f.column) : file;
  out += fmt::format("{}: {}: {}\n", style.Paint("1", where),
                     style.Paint(Style::ForSeverity(f.severity),
                                 fmt::format("{}[{}]", SeverityName(f.severity), f.rule)),
                     style.Paint("1", EscapeForTerminal(f.message)));
  Excerpt(f, lines, style, out);
  size_t indent = std::to_string(std::max(f.line, 1)).size() + 1;
  Item(style, indent, "why", f.reason, out);
  if (f.auto_safe) {
    Item(style, indent,
         f.severity == Severity::kNote ? "tide migrate makes it safe" : "tide migrate would",
         f.migrate, out);
  }
  if (!f.auto_safe || f.severity != Severity::kNote) Item(style, indent, "help", f.help, out);
  out += "\n";
}

std::string Plural(int n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace

std::string TextReport(const LintRun& run, bool color, bool quiet) {
  Style style{color};
  std::string out;
  for (const auto& error : run.input_errors) {
    out += fmt::format("{}: {}\n\n", style.Paint(Style::ForSeverity(Severity::kError), "error"),
                       EscapeForTerminal(error));
  }
  for (const auto& file : run.files) {
    if (file.findings.empty()) continue;
    LineIndex lines(file.text);
    for (const auto& f : file.findings) {
      if (!quiet || f.severity != Severity::kNote) Render(f, lines, style, out);
    }
  }
  Counts n = Count(run);
  std::string summary = fmt::format("tide lint: {}, {}", Plural(n.files, "file"),
                                    Plural(static_cast<int>(n.statements), "statement"));
  if (n.errors + n.warnings + n.notes == 0) {
    summary += ": no findings";
  } else {
    summary += fmt::format(": {}, {}, {}", Plural(n.errors, "error"), Plural(n.warnings, "warning"),
                           Plural(n.notes, "note"));
    if (n.auto_safe > 0) {
      summary += run.options.as_written
                     ? fmt::format(" ({} of them tide migrate would make safe)", n.auto_safe)
                     : fmt::format(" ({} made safe by tide migrate)", n.auto_safe);
    }
  }
  if (n.suppressed > 0) summary += fmt::format("; {} allowed by tide:allow", n.suppressed);
  std::string assumption = BigTableAssumption(n);
  if (!assumption.empty()) out += style.Paint("1", "note") + ": " + assumption + "\n";
  out += summary + "\n";
  return out;
}

}  // namespace tide::lint
