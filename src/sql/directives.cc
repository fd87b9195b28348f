#include "sql/directives.h"

#include <sstream>

#include "base/strings.h"

namespace tide::sql {

const Allow* Directives::Find(size_t statement, std::string_view rule) const {
  if (statement < statement_allows.size()) {
    for (const auto& a : statement_allows[statement]) {
      if (a.rule == rule || a.rule == "all") return &a;
    }
  }
  for (const auto& a : file_allows) {
    if (a.rule == rule || a.rule == "all") return &a;
  }
  return nullptr;
}

namespace {

struct Comment {
  int line;
  std::string text;  // after "--", trimmed
};

// The "--" comments in text[begin, end) that start a line's content (after blanks only).
std::vector<Comment> LineComments(std::string_view script, size_t begin, size_t end,
                                  PositionCursor& cursor) {
  std::vector<Comment> out;
  size_t i = begin;
  while (i < end) {
    size_t nl = script.find_first_of("\r\n", i);
    if (nl == std::string_view::npos || nl > end) nl = end;
    std::string_view line = Trim(script.substr(i, nl - i));
    if (line.substr(0, 2) == "--") {
      out.push_back({cursor.At(i).line, std::string(Trim(line.substr(2)))});
    }
    i = nl + 1;
  }
  return out;
}

}  // namespace

Directives ParseDirectives(std::string_view script, const std::vector<Statement>& statements) {
  Directives d;
  d.statement_allows.resize(statements.size());
  size_t prev_end = 0;
  PositionCursor cursor(script);
  for (size_t s = 0; s <= statements.size(); ++s) {
    size_t region_end = s < statements.size() ? statements[s].offset : script.size();
    std::vector<Comment> comments = LineComments(script, prev_end, region_end, cursor);
    // Comments directly above the statement: the trailing run of comment lines of the region.
    int statement_line = s < statements.size() ? statements[s].line : 0;
    int adjacent_from = statement_line;
    for (auto it = comments.rbegin(); it != comments.rend(); ++it) {
      if (it->line == adjacent_from - 1) adjacent_from = it->line;
    }
    for (const auto& c : comments) {
      if (c.text.rfind("tide:", 0) != 0) continue;
      std::istringstream words(c.text.substr(5));
      std::string verb, rule;
      words >> verb >> rule;
      std::string reason;
      std::getline(words, reason);
      reason = std::string(Trim(reason));
      if (verb == "phase" && s == 0) {
        d.phase = ToLower(rule);
        d.phase_line = c.line;
      } else if (verb == "allow-file") {
        d.file_allows.push_back({rule, reason, c.line, true});
      } else if (verb == "allow" && s < statements.size() && c.line >= adjacent_from) {
        d.statement_allows[s].push_back({rule, reason, c.line, false});
      } else {
        d.unknown.emplace_back(c.line, "--" + c.text.substr(0, 0) + " " + c.text);
      }
    }
    if (s < statements.size()) prev_end = statements[s].offset + statements[s].text.size();
  }
  return d;
}

}  // namespace tide::sql
