#include "ops/expr.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sql/parser.h"

namespace tide::ops {

using nlohmann::json;

namespace {

// "SELECT " that sql::ParseExpression puts before the text: parse-tree locations count it.
constexpr int kPrefix = 7;

struct Ref {
  std::string name;
  int offset = 0;  // in the expression text
};

struct Walk {
  std::vector<Ref> refs;
  std::vector<std::string> functions;
  std::string refused;  // why the expression is refused, when it is
};

void Visit(const json& node, Walk& walk) {
  if (node.is_array()) {
    for (const auto& item : node) Visit(item, walk);
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    if (key == "SubLink") {
      walk.refused = "a subquery reads another table; up and down see one row";
      return;
    }
    if (key == "ColumnRef") {
      const json& fields = value.value("fields", json::array());
      if (fields.size() != 1 || !fields[0].contains("String")) {
        walk.refused =
            "name columns without a table or alias (and not *): the expression sees "
            "one row";
        return;
      }
      walk.refs.push_back(
          {fields[0]["String"].value("sval", ""), value.value("location", 0) - kPrefix});
      continue;
    }
    if (key == "FuncCall") {
      if (value.contains("over")) {
        walk.refused = "a window function needs other rows; up and down see one row";
        return;
      }
      const json& names = value.value("funcname", json::array());
      if (!names.empty() && names.back().contains("String")) {
        walk.functions.push_back(names.back()["String"].value("sval", ""));
      }
    }
    Visit(value, walk);
  }
}

Result<Walk> WalkExpression(const std::string& text) {
  TIDE_ASSIGN(json tree, sql::ParseExpression(text));
  Walk walk;
  Visit(tree, walk);
  if (!walk.refused.empty()) {
    return Error::Input(fmt::format("'{}' is not supported: {}", text, walk.refused));
  }
  return walk;
}

}  // namespace

Result<RowExpression> ParseRowExpression(const std::string& text) {
  TIDE_ASSIGN(Walk walk, WalkExpression(text));
  RowExpression out;
  for (const auto& r : walk.refs) {
    if (std::find(out.columns.begin(), out.columns.end(), r.name) == out.columns.end()) {
      out.columns.push_back(r.name);
    }
  }
  out.functions = std::move(walk.functions);
  return out;
}

Result<std::string> RewriteColumns(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& replace) {
  TIDE_ASSIGN(Walk walk, WalkExpression(text));
  TIDE_ASSIGN(auto tokens, sql::Scan(text));
  // From the end, so that earlier offsets stay valid.
  std::sort(walk.refs.begin(), walk.refs.end(),
            [](const Ref& a, const Ref& b) { return a.offset > b.offset; });
  std::string out = text;
  for (const auto& r : walk.refs) {
    auto token = std::find_if(tokens.begin(), tokens.end(),
                              [&](const sql::Token& t) { return t.start == r.offset; });
    if (token == tokens.end()) {
      return Error::Internal(fmt::format("cannot find column {} in '{}'", r.name, text));
    }
    std::optional<std::string> with = replace(r.name);
    if (!with) return Error::Input(fmt::format("there is no column '{}'", r.name));
    out.replace(static_cast<size_t>(token->start), static_cast<size_t>(token->end - token->start),
                *with);
  }
  return out;
}

}  // namespace tide::ops
