#include "sql/sql_text.h"

#include <fmt/format.h>

#include <cctype>

#include "base/strings.h"
#include "sql/parser.h"

namespace tide::sql {

namespace {

bool Is(const Token& t, const char* kind) { return t.kind == kind; }

std::string Slice(std::string_view text, int begin, int end) {
  return std::string(Trim(text.substr(static_cast<size_t>(begin),
                                      static_cast<size_t>(end - begin))));
}

}  // namespace

Result<AlterTableText> SplitAlterTable(std::string_view statement) {
  TIDE_ASSIGN(auto tokens, Scan(statement));
  size_t i = 0;
  if (tokens.size() < 4 || !Is(tokens[0], "ALTER") || !Is(tokens[1], "TABLE")) {
    return Error::Internal("not an ALTER TABLE statement");
  }
  i = 2;
  if (i + 1 < tokens.size() && Is(tokens[i], "IF_P") && Is(tokens[i + 1], "EXISTS")) i += 2;
  if (i < tokens.size() && Is(tokens[i], "ONLY")) ++i;
  // The relation: name ('.' name)* ['*'].
  ++i;
  while (i + 1 < tokens.size() && Is(tokens[i], "ASCII_46")) i += 2;
  if (i < tokens.size() && Is(tokens[i], "ASCII_42")) ++i;
  if (i >= tokens.size()) return Error::Internal("ALTER TABLE without a clause");
  AlterTableText out;
  out.head = Slice(statement, 0, tokens[i - 1].end);
  int depth = 0;
  int clause_start = tokens[i].start;
  for (; i < tokens.size(); ++i) {
    if (Is(tokens[i], "ASCII_40")) ++depth;
    if (Is(tokens[i], "ASCII_41")) --depth;
    if (depth == 0 && Is(tokens[i], "ASCII_44")) {
      out.clauses.push_back(Slice(statement, clause_start, tokens[i].start));
      if (i + 1 < tokens.size()) clause_start = tokens[i + 1].start;
    }
  }
  out.clauses.push_back(Slice(statement, clause_start, static_cast<int>(statement.size())));
  return out;
}

namespace {

// Blanks from i on. Comments are tokens to the scanner, so a comment after the name starts the
// clause, as it does in SplitAlterTable.
size_t SkipBlanks(std::string_view s, size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// The end of one identifier starting at i: unquoted (letters, digits, _ and $, any non-ASCII
// byte) or "quoted" with "" inside; npos when there is none.
size_t IdentifierEnd(std::string_view s, size_t i) {
  auto ident_char = [](unsigned char c, bool first) {
    return std::isalpha(c) || c == '_' || c >= 0x80 || (!first && (std::isdigit(c) || c == '$'));
  };
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') {
    for (size_t j = i + 1; j < s.size(); ++j) {
      if (s[j] != '"') continue;
      if (j + 1 < s.size() && s[j + 1] == '"') {
        ++j;
        continue;
      }
      return j + 1;
    }
    return std::string_view::npos;
  }
  if (!ident_char(static_cast<unsigned char>(s[i]), true)) return std::string_view::npos;
  size_t j = i + 1;
  while (j < s.size() && ident_char(static_cast<unsigned char>(s[j]), false)) ++j;
  // U&"..." and the like are rare: leave them to the scanner.
  if (j < s.size() && (s[j] == '"' || s[j] == '\'' || s[j] == '&')) return std::string_view::npos;
  return j;
}

}  // namespace

std::optional<AlterTableText> SplitOneClauseAlterTable(std::string_view statement,
                                                       size_t name_offset) {
  size_t end = IdentifierEnd(statement, name_offset);
  if (end == std::string_view::npos) return std::nullopt;
  size_t next = SkipBlanks(statement, end);
  while (next < statement.size() && statement[next] == '.') {
    end = IdentifierEnd(statement, SkipBlanks(statement, next + 1));
    if (end == std::string_view::npos) return std::nullopt;
    next = SkipBlanks(statement, end);
  }
  if (next < statement.size() && statement[next] == '*') {
    end = next + 1;
    next = SkipBlanks(statement, end);
  }
  if (next >= statement.size()) return std::nullopt;
  AlterTableText out;
  out.head = std::string(Trim(statement.substr(0, end)));
  out.clauses.push_back(std::string(Trim(statement.substr(next))));
  return out;
}

Result<std::string> AddConcurrently(std::string_view statement) {
  TIDE_ASSIGN(auto tokens, Scan(statement));
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (Is(tokens[i], "CONCURRENTLY")) return std::string(statement);
  }
  bool reindex = !tokens.empty() && Is(tokens[0], "REINDEX");
  int depth = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (Is(tokens[i], "ASCII_40")) ++depth;
    if (Is(tokens[i], "ASCII_41")) --depth;
    if (depth) continue;
    bool anchor = reindex ? (Is(tokens[i], "INDEX") || Is(tokens[i], "TABLE") ||
                             Is(tokens[i], "SCHEMA") || Is(tokens[i], "DATABASE"))
                          : Is(tokens[i], "INDEX");
    if (anchor) {
      size_t at = static_cast<size_t>(tokens[i].end);
      return std::string(statement.substr(0, at)) + " CONCURRENTLY" +
             std::string(statement.substr(at));
    }
  }
  return Error::Internal(fmt::format("no INDEX keyword in '{}'", statement));
}

Result<DmlText> SplitDml(std::string_view statement) {
  TIDE_ASSIGN(auto tokens, Scan(statement));
  int depth = 0;
  int where_start = -1, where_end = -1, returning_start = -1;
  for (const auto& t : tokens) {
    if (Is(t, "ASCII_40")) ++depth;
    if (Is(t, "ASCII_41")) --depth;
    if (depth) continue;
    if (Is(t, "WHERE") && where_start < 0) {
      where_start = t.start;
      where_end = t.end;
    } else if (Is(t, "RETURNING") && returning_start < 0) {
      returning_start = t.start;
    }
  }
  int text_end = returning_start >= 0 ? returning_start : static_cast<int>(statement.size());
  DmlText out;
  if (where_start >= 0) {
    out.head = Slice(statement, 0, where_start);
    out.where = Slice(statement, where_end, text_end);
  } else {
    out.head = Slice(statement, 0, text_end);
  }
  if (returning_start >= 0) {
    out.tail = Slice(statement, returning_start, static_cast<int>(statement.size()));
  }
  return out;
}

std::string DmlText::WithCondition(const std::string& extra) const {
  if (where.empty()) return head + " WHERE " + extra;
  return head + " WHERE (" + where + ") AND " + extra;
}

}  // namespace tide::sql
