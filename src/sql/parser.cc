#include "sql/parser.h"

#include <fmt/format.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "base/strings.h"
#include "sql/json_reader.h"

namespace tide::sql {

namespace {

// Skips blanks and comments; returns the offset of the first character of real SQL.
size_t SkipTrivia(std::string_view s, size_t i, size_t end) {
  while (i < end) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s.substr(i, 2) == "--") {
      while (i < end && s[i] != '\n' && s[i] != '\r') ++i;
    } else if (s.substr(i, 2) == "/*") {
      int depth = 0;  // PostgreSQL block comments nest
      while (i < end) {
        if (s.substr(i, 2) == "/*") {
          ++depth;
          i += 2;
        } else if (s.substr(i, 2) == "*/") {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
    } else {
      break;
    }
  }
  return i;
}

}  // namespace

Result<std::vector<Statement>> ParseScript(std::string_view script, const std::string& file_name) {
  // libpg_query reads a C string (a NUL would end the script early) and emits JSON that must be
  // UTF-8: anything else is refused here, where the file and line are known.
  if (size_t bad = FirstInvalidUtf8(script); bad != std::string_view::npos) {
    LineColumn where = PositionOf(script, bad);
    return Error::Input(script[bad] == '\0' ? "a NUL byte in SQL text"
                                            : "bytes that are not UTF-8 in SQL text")
        .At({file_name, where.line, where.column})
        .WithHint("save the file as UTF-8 text; nothing was run");
  }
  std::string input(script);
  PgQueryParseResult parsed = pg_query_parse(input.c_str());
  if (parsed.error) {
    std::string message = parsed.error->message ? parsed.error->message : "syntax error";
    int cursor = parsed.error->cursorpos;
    pg_query_free_parse_result(parsed);
    LineColumn where = PositionOf(input, cursor > 0 ? static_cast<size_t>(cursor - 1) : 0);
    return Error::Input(message)
        .At({file_name, cursor > 0 ? where.line : 0, cursor > 0 ? where.column : 0})
        .WithHint("fix the SQL; nothing was run");
  }
  std::optional<nlohmann::json> read = ReadJson(parsed.parse_tree);
  pg_query_free_parse_result(parsed);
  if (!read) {
    return Error::Input(fmt::format("a statement nests more than {} levels deep",
                                    kMaxJsonDepth / 3))
        .At({file_name, 0, 0})
        .WithHint("split the expression (a chain of thousands of operators), e.g. into a "
                  "function or several statements");
  }
  nlohmann::json& tree = *read;

  std::vector<Statement> statements;
  auto stmts = tree.find("stmts");
  if (stmts == tree.end() || !stmts->is_array()) return statements;
  statements.reserve(stmts->size());
  PositionCursor cursor(input);
  for (auto& raw : *stmts) {
    size_t location = raw.value("stmt_location", 0);
    size_t length = raw.contains("stmt_len") ? raw["stmt_len"].get<size_t>()
                                             : input.size() - location;
    size_t end = std::min(input.size(), location + length);
    size_t begin = SkipTrivia(input, location, end);
    // Trailing blanks (and a trailing comment at the end of the file) are not the statement's.
    size_t stop = end;
    while (stop > begin && std::isspace(static_cast<unsigned char>(input[stop - 1]))) --stop;
    Statement st;
    st.text = input.substr(begin, stop - begin);
    st.offset = begin;
    LineColumn start = cursor.At(begin);
    st.line = start.line;
    st.column = start.column;
    LineColumn last = cursor.At(stop > begin ? stop - 1 : begin);
    st.end_line = last.line;
    st.end_column = last.column;
    auto node = raw.find("stmt");
    if (node != raw.end() && node->is_object() && !node->empty()) {
      st.node_type = node->begin().key();
      // Moved, not copied: the tree is not needed once split into statements.
      st.tree = std::move(node->begin().value());
    }
    statements.push_back(std::move(st));
  }
  return statements;
}

Result<nlohmann::json> ParseExpression(std::string_view expression) {
  if (FirstInvalidUtf8(expression) != std::string_view::npos) {
    return Error::Input(fmt::format("'{}' is not valid UTF-8 text", expression));
  }
  std::string sql = "SELECT " + std::string(expression);
  PgQueryParseResult parsed = pg_query_parse(sql.c_str());
  if (parsed.error) {
    std::string message = parsed.error->message ? parsed.error->message : "syntax error";
    pg_query_free_parse_result(parsed);
    return Error::Input(fmt::format("'{}' is not an SQL expression: {}", expression, message));
  }
  std::optional<nlohmann::json> read = ReadJson(parsed.parse_tree);
  pg_query_free_parse_result(parsed);
  if (!read) {
    return Error::Input(fmt::format("'{}' nests more than {} levels deep", expression,
                                    kMaxJsonDepth / 3));
  }
  nlohmann::json& tree = *read;
  auto single = Error::Input(fmt::format("'{}' must be a single expression", expression));
  const nlohmann::json* stmts = tree.contains("stmts") ? &tree["stmts"] : nullptr;
  if (!stmts || !stmts->is_array() || stmts->size() != 1) return single;
  const nlohmann::json::json_pointer select_at("/0/stmt/SelectStmt");
  if (!stmts->contains(select_at)) return single;
  const nlohmann::json& select = stmts->at(select_at);
  const nlohmann::json::json_pointer val_at("/targetList/0/ResTarget/val");
  if (!select.contains("targetList") || select["targetList"].size() != 1 ||
      !select.contains(val_at) || select.contains("fromClause") ||
      select.contains("whereClause")) {
    return single;
  }
  return select.at(val_at);
}

Result<std::vector<Token>> Scan(std::string_view text) {
  std::string input(text);
  PgQueryScanResult scanned = pg_query_scan(input.c_str());
  if (scanned.error) {
    std::string message = scanned.error->message ? scanned.error->message : "scan error";
    pg_query_free_scan_result(scanned);
    return Error::Input(message);
  }
  PgQuery__ScanResult* result = pg_query__scan_result__unpack(
      nullptr, scanned.pbuf.len, reinterpret_cast<const uint8_t*>(scanned.pbuf.data));
  pg_query_free_scan_result(scanned);
  if (!result) return Error::Internal("cannot decode libpg_query's scan result");
  std::vector<Token> tokens;
  tokens.reserve(result->n_tokens);
  for (size_t i = 0; i < result->n_tokens; ++i) {
    const PgQuery__ScanToken* t = result->tokens[i];
    Token token;
    token.start = t->start;
    token.end = t->end;
    const ProtobufCEnumValue* v =
        protobuf_c_enum_descriptor_get_value(&pg_query__token__descriptor, t->token);
    token.kind = v ? std::string_view(v->name) : std::string_view("UNKNOWN");
    token.keyword = t->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
    tokens.push_back(std::move(token));
  }
  pg_query__scan_result__free_unpacked(result, nullptr);
  return tokens;
}

}  // namespace tide::sql
