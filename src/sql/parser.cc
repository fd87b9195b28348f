#include "sql/parser.h"

#include <fmt/format.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <memory>

#include "base/strings.h"
#include "sql/json_reader.h"
#include "sql/splitter.h"

namespace tide::sql {

namespace {

// Owners of libpg_query's results, freed on every way out.
class ParseOutput {
 public:
  explicit ParseOutput(const char* sql) : result_(pg_query_parse(sql)) {}
  ~ParseOutput() { pg_query_free_parse_result(result_); }
  ParseOutput(const ParseOutput&) = delete;
  ParseOutput& operator=(const ParseOutput&) = delete;
  const PgQueryParseResult* operator->() const { return &result_; }

 private:
  PgQueryParseResult result_;
};

class ScanOutput {
 public:
  explicit ScanOutput(const char* sql) : result_(pg_query_scan(sql)) {}
  ~ScanOutput() { pg_query_free_scan_result(result_); }
  ScanOutput(const ScanOutput&) = delete;
  ScanOutput& operator=(const ScanOutput&) = delete;
  const PgQueryScanResult* operator->() const { return &result_; }

 private:
  PgQueryScanResult result_;
};

using ScanTokens =
    std::unique_ptr<PgQuery__ScanResult, decltype([](PgQuery__ScanResult* r) {
                      pg_query__scan_result__free_unpacked(r, nullptr);
                    })>;

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

class PieceParser {
 public:
  PieceParser(std::string_view script, const std::string& file_name, const StatementSink& each,
              size_t piece_bytes)
      : script_(script),
        file_name_(file_name),
        each_(each),
        piece_bytes_(std::max<size_t>(piece_bytes, 1)),
        cursor_(script) {}

  Status Run() {
    ScriptScan scan = ScanScript(script_);
    blanked_ = std::move(scan.blanked);
    size_t begin = 0;
    auto next_end = scan.ends.begin();
    while (begin < script_.size()) {
      while (next_end != scan.ends.end() && *next_end - begin < piece_bytes_) ++next_end;
      size_t end = next_end == scan.ends.end() ? script_.size() : *next_end;
      auto parsed = Parse(begin, end);
      if (!parsed.ok() && syntax_error_ && end < script_.size()) {
        // A cut inside a statement (the scan's BEGIN ... END rule is psql's heuristic), or an
        // error in the SQL: the rest of the file in one piece tells which, and where.
        end = script_.size();
        parsed = Parse(begin, end);
      }
      if (!parsed.ok()) return std::move(parsed).error();
      TIDE_TRY(Emit(*parsed, begin, end));
      begin = end;
    }
    return Ok();
  }

 private:
  Result<nlohmann::json> Parse(size_t begin, size_t end) {
    std::string piece = blanked_.substr(begin, end - begin);
    ParseOutput parsed(piece.c_str());
    syntax_error_ = parsed->error != nullptr;
    if (parsed->error) {
      std::string message = parsed->error->message ? parsed->error->message : "syntax error";
      int cursor = parsed->error->cursorpos;  // in characters, from 1
      LineColumn where = PositionOf(script_, begin + ByteOfCharacter(piece, cursor));
      return Error::Input(message)
          .At({file_name_, cursor > 0 ? where.line : 0, cursor > 0 ? where.column : 0})
          .WithHint("fix the SQL; nothing was run");
    }
    std::optional<nlohmann::json> read = ReadJson(parsed->parse_tree);
    if (!read) {
      return Error::Input(
                 fmt::format("a statement nests more than {} levels deep", kMaxJsonDepth / 3))
          .At({file_name_, 0, 0})
          .WithHint(
              "split the expression (a chain of thousands of operators), e.g. into a "
              "function or several statements");
    }
    return std::move(*read);
  }

  // The statements of the piece [begin, end) of the script, in order, to each_.
  Status Emit(nlohmann::json& tree, size_t begin, size_t end) {
    auto stmts = tree.find("stmts");
    if (stmts == tree.end() || !stmts->is_array()) return Ok();
    for (auto& raw : *stmts) {
      size_t location = begin + raw.value("stmt_location", size_t{0});
      size_t length = raw.contains("stmt_len") ? raw["stmt_len"].get<size_t>() : end - location;
      size_t stop = std::min(end, location + length);
      size_t first = SkipTrivia(script_, location, stop);
      // Trailing blanks (and a trailing comment at the end of the file) are not the statement's.
      while (stop > first && std::isspace(static_cast<unsigned char>(script_[stop - 1]))) --stop;
      Statement st;
      st.text = std::string(script_.substr(first, stop - first));
      st.offset = first;
      st.tree_base = begin;
      LineColumn start = cursor_.At(first);
      st.line = start.line;
      st.column = start.column;
      LineColumn last = cursor_.At(stop > first ? stop - 1 : first);
      st.end_line = last.line;
      st.end_column = last.column;
      auto node = raw.find("stmt");
      if (node != raw.end() && node->is_object() && !node->empty()) {
        st.node_type = node->begin().key();
        // Moved, not copied: the piece's tree is not needed once split into statements.
        st.tree = std::move(node->begin().value());
      }
      TIDE_TRY(each_(std::move(st)));
    }
    return Ok();
  }

  std::string_view script_;
  const std::string& file_name_;
  const StatementSink& each_;
  size_t piece_bytes_;
  bool syntax_error_ = false;  // what the last Parse failed on
  PositionCursor cursor_;
  std::string blanked_;
};

// libpg_query reads a C string (a NUL would end the script early) and emits JSON that must be
// UTF-8: anything else is refused here, where the file and line are known.
Status CheckText(std::string_view script, const std::string& file_name) {
  size_t bad = FirstInvalidUtf8(script);
  if (bad == std::string_view::npos) return Ok();
  LineColumn where = PositionOf(script, bad);
  return Error::Input(script[bad] == '\0' ? "a NUL byte in SQL text"
                                          : "bytes that are not UTF-8 in SQL text")
      .At({file_name, where.line, where.column})
      .WithHint("save the file as UTF-8 text; nothing was run");
}

}  // namespace

Status ForEachStatement(std::string_view script, const std::string& file_name,
                        const StatementSink& each, size_t piece_bytes) {
  TIDE_TRY(CheckText(script, file_name));
  return PieceParser(script, file_name, each, piece_bytes).Run();
}

Result<std::vector<Statement>> ParseScript(std::string_view script, const std::string& file_name) {
  std::vector<Statement> statements;
  TIDE_TRY(ForEachStatement(script, file_name, [&](Statement&& st) -> Status {
    statements.push_back(std::move(st));
    return Ok();
  }));
  return statements;
}

Result<nlohmann::json> ParseExpression(std::string_view expression) {
  if (FirstInvalidUtf8(expression) != std::string_view::npos) {
    return Error::Input(fmt::format("'{}' is not valid UTF-8 text", expression));
  }
  std::string sql = "SELECT " + std::string(expression);
  ParseOutput parsed(sql.c_str());
  if (parsed->error) {
    std::string message = parsed->error->message ? parsed->error->message : "syntax error";
    return Error::Input(fmt::format("'{}' is not an SQL expression: {}", expression, message));
  }
  std::optional<nlohmann::json> read = ReadJson(parsed->parse_tree);
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
  ScanOutput scanned(input.c_str());
  if (scanned->error) {
    return Error::Input(scanned->error->message ? scanned->error->message : "scan error");
  }
  ScanTokens result(pg_query__scan_result__unpack(
      nullptr, scanned->pbuf.len, reinterpret_cast<const uint8_t*>(scanned->pbuf.data)));
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
  return tokens;
}

}  // namespace tide::sql
