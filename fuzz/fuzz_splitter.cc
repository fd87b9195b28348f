// libFuzzer target: the statement splitter (sql/splitter.h) and the parsing in pieces it feeds.
// Beyond "no crash": for any UTF-8 text, parsing in pieces cut at every statement end, and in
// pieces of 64 bytes, gives what libpg_query gives for the whole text as written (comments not
// blanked): the same verdict, the same statements, the same trees (locations counted from the
// start of the file), and the same text, offset and lines for each statement.
#include <pg_query.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/strings.h"
#include "sql/json_reader.h"
#include "sql/parser.h"

namespace {

// Tree locations count from the piece; moved to count from the file.
void Shift(nlohmann::json& node, size_t base) {
  if (node.is_object()) {
    for (auto& [key, value] : node.items()) {
      if (key == "location" && value.is_number_integer() && value.get<int64_t>() >= 0) {
        value = value.get<int64_t>() + static_cast<int64_t>(base);
      } else {
        Shift(value, base);
      }
    }
  } else if (node.is_array()) {
    for (auto& item : node) Shift(item, base);
  }
}

std::optional<std::vector<tide::sql::Statement>> InPieces(std::string_view text, size_t piece) {
  std::vector<tide::sql::Statement> out;
  auto st = tide::sql::ForEachStatement(
      text, "V1__fuzz.sql",
      [&](tide::sql::Statement&& s) -> tide::Status {
        Shift(s.tree, s.tree_base);
        out.push_back(std::move(s));
        return tide::Ok();
      },
      piece);
  if (!st.ok()) return std::nullopt;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto whole = InPieces(text, SIZE_MAX);
  if (tide::FirstInvalidUtf8(text) != std::string_view::npos) {
    if (whole) std::abort();  // refused before libpg_query sees it
    return 0;
  }
  PgQueryParseResult parsed = pg_query_parse(text.c_str());
  std::optional<nlohmann::json> reference;
  if (!parsed.error) reference = tide::sql::ReadJson(parsed.parse_tree);
  bool accepted = !parsed.error;
  pg_query_free_parse_result(parsed);
  if (accepted && !reference) return 0;  // nested too deep: ParseScript's own refusal
  for (size_t piece : {size_t{1}, size_t{64}}) {
    auto cut = InPieces(text, piece);
    if (cut.has_value() != accepted || whole.has_value() != accepted) std::abort();
    if (!accepted) continue;
    const auto& stmts = (*reference)["stmts"];
    if (cut->size() != whole->size() || cut->size() != stmts.size()) std::abort();
    for (size_t i = 0; i < cut->size(); ++i) {
      const auto& a = (*cut)[i];
      const auto& b = (*whole)[i];
      if (a.text != b.text || a.offset != b.offset || a.line != b.line || a.column != b.column ||
          a.end_line != b.end_line || a.end_column != b.end_column || a.node_type != b.node_type ||
          a.tree != b.tree) {
        std::abort();
      }
      const auto& ref = stmts[i]["stmt"];
      if (!ref.contains(a.node_type) || ref[a.node_type] != a.tree) std::abort();
    }
  }
  return 0;
}
