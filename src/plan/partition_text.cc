#include "plan/partition_text.h"

#include <fmt/format.h>

#include <cctype>

#include "base/strings.h"

namespace tide::plan {

namespace {

bool IdentByte(unsigned char ch) {
  return std::isalnum(ch) || ch == '_' || ch == '$' || ch >= 0x80;
}

// The end of the (possibly qualified, possibly quoted) name that starts at `at` in text.
size_t NameEnd(std::string_view text, size_t at) {
  size_t i = at;
  for (;;) {
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (i < text.size()) {
        if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          i += 2;
        } else if (text[i] == '"') {
          ++i;
          break;
        } else {
          ++i;
        }
      }
    } else {
      while (i < text.size() && IdentByte(static_cast<unsigned char>(text[i]))) ++i;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      continue;
    }
    return i;
  }
}

// Top-level comma-separated items inside the parentheses that open at text[open].
std::optional<std::vector<std::string>> ParenItems(std::string_view text, size_t open,
                                                   size_t* close_out) {
  if (open >= text.size() || text[open] != '(') return std::nullopt;
  std::vector<std::string> items;
  int depth = 0;
  size_t start = open + 1;
  for (size_t i = open; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '\'' || ch == '"') {
      for (++i; i < text.size(); ++i) {
        if (text[i] == ch && i + 1 < text.size() && text[i + 1] == ch) {
          ++i;
        } else if (text[i] == ch) {
          break;
        }
      }
      continue;
    }
    if (ch == '(') {
      ++depth;
    } else if (ch == ')') {
      if (--depth == 0) {
        items.emplace_back(Trim(text.substr(start, i - start)));
        if (close_out) *close_out = i;
        return items;
      }
    } else if (ch == ',' && depth == 1) {
      items.emplace_back(Trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  return std::nullopt;
}

size_t SkipSpace(std::string_view text, size_t i) {
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

}  // namespace

std::string RowsText(int64_t rows, bool known) {
  if (!known || rows < 0) return "rows counted when it runs";
  return fmt::format("{} rows", FormatCount(rows));
}

// What follows the table's name in a CREATE INDEX: " USING btree (v) INCLUDE (w) WHERE ...".
std::optional<std::string> IndexTail(const sql::Classified& c) {
  const sql::Statement& st = *c.statement;
  const auto& rel = st.tree.contains("relation") ? st.tree["relation"] : nlohmann::json();
  if (!rel.is_object() || !rel.contains("location")) return std::nullopt;
  int64_t at = rel["location"].get<int64_t>() + static_cast<int64_t>(st.tree_base) -
               static_cast<int64_t>(st.offset);
  if (at <= 0 || static_cast<size_t>(at) >= st.text.size()) return std::nullopt;
  size_t end = NameEnd(st.text, static_cast<size_t>(at));
  if (end == static_cast<size_t>(at)) return std::nullopt;
  return st.text.substr(end);
}

// The first occurrence of keyword (lower case) in text outside quotes, as a word, from `from`.
size_t FindKeyword(std::string_view text, std::string_view keyword, size_t from) {
  std::string lower = ToLower(text);
  for (size_t i = from; i + keyword.size() <= text.size(); ++i) {
    char ch = text[i];
    if (ch == '\'' || ch == '"') {
      for (++i; i < text.size() && text[i] != ch; ++i) {
      }
      continue;
    }
    if (lower.compare(i, keyword.size(), keyword) != 0) continue;
    bool before = i == 0 || !IdentByte(static_cast<unsigned char>(text[i - 1]));
    size_t after = i + keyword.size();
    bool behind = after >= text.size() || !IdentByte(static_cast<unsigned char>(text[after]));
    if (before && behind) return i;
  }
  return std::string::npos;
}

// The CHECK that says what PostgreSQL's partition constraint says, for a list or range bound
// over one plain column: "" when tide cannot write it (hash, DEFAULT, several columns).
std::string BoundCheck(std::string_view clause, const std::vector<std::string>& key) {
  if (key.size() != 1) return "";
  std::string col = QuoteIdent(key[0]);
  size_t values = FindKeyword(clause, "values", 0);
  if (values == std::string::npos) return "";
  size_t in = FindKeyword(clause, "in", values);
  size_t from = FindKeyword(clause, "from", values);
  if (in != std::string::npos && (from == std::string::npos || in < from)) {
    auto items = ParenItems(clause, SkipSpace(clause, in + 2), nullptr);
    if (!items || items->empty()) return "";
    std::vector<std::string> rest;
    bool null_allowed = false;
    for (const auto& v : *items) {
      if (ToLower(v) == "null") {
        null_allowed = true;
      } else {
        rest.push_back(v);
      }
    }
    std::string in_list = rest.empty() ? "" : fmt::format("{} IN ({})", col, Join(rest, ", "));
    if (null_allowed) {
      return in_list.empty() ? col + " IS NULL" : fmt::format("{} IS NULL OR {}", col, in_list);
    }
    return fmt::format("{} IS NOT NULL AND {}", col, in_list);
  }
  if (from == std::string::npos) return "";
  size_t close = 0;
  auto lower = ParenItems(clause, SkipSpace(clause, from + 4), &close);
  size_t to = lower ? FindKeyword(clause, "to", close) : std::string::npos;
  if (!lower || to == std::string::npos) return "";
  auto upper = ParenItems(clause, SkipSpace(clause, to + 2), nullptr);
  if (!upper || lower->size() != 1 || upper->size() != 1) return "";
  std::string out = col + " IS NOT NULL";
  if (ToLower(lower->front()) != "minvalue") out += fmt::format(" AND {} >= {}", col, lower->front());
  if (ToLower(upper->front()) != "maxvalue") out += fmt::format(" AND {} < {}", col, upper->front());
  return out;
}

}  // namespace tide::plan
