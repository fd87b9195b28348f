#include "sql/classify_util.h"

#include "base/strings.h"

namespace tide::sql::tree {

namespace {

const Json& FieldOr(const Json& node, std::string_view key, const Json& fallback) {
  if (!node.is_object()) return fallback;
  auto it = node.find(key);
  return it == node.end() ? fallback : *it;
}

}  // namespace

const Json& Object(const Json& node, std::string_view key) {
  static const Json kEmpty = Json::object();
  return FieldOr(node, key, kEmpty);
}

const Json& Array(const Json& node, std::string_view key) {
  static const Json kEmpty = Json::array();
  return FieldOr(node, key, kEmpty);
}

const Json& Field(const Json& node, std::string_view key) {
  static const Json kNull;
  return FieldOr(node, key, kNull);
}

TableName Table(const Json& rv) {
  TableName t;
  if (!rv.is_object()) return t;
  const Json& node = rv.contains("RangeVar") ? rv["RangeVar"] : rv;
  t.schema = node.value("schemaname", "");
  t.name = node.value("relname", "");
  return t;
}

std::vector<std::string> Strings(const Json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (item.contains("String")) out.push_back(item["String"].value("sval", ""));
  }
  return out;
}

void CollectFunctions(const Json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    auto it = node.find("FuncCall");
    if (it != node.end()) {
      auto names = Strings(Array(*it, "funcname"));
      if (!names.empty()) out.push_back(ToLower(names.back()));
    }
    for (const auto& [k, v] : node.items()) CollectFunctions(v, out);
  } else if (node.is_array()) {
    for (const auto& v : node) CollectFunctions(v, out);
  }
}

std::string ColumnName(const Json& node) {
  if (!node.is_object() || !node.contains("ColumnRef")) return "";
  auto fields = Strings(Array(node["ColumnRef"], "fields"));
  return fields.empty() ? "" : fields.back();
}

void CollectColumns(const Json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    std::string c = ColumnName(node);
    if (!c.empty()) out.push_back(c);
    for (const auto& [k, v] : node.items()) CollectColumns(v, out);
  } else if (node.is_array()) {
    for (const auto& v : node) CollectColumns(v, out);
  }
}

std::vector<const Json*> Conjuncts(const Json& expr) {
  std::vector<const Json*> out;
  if (expr.is_object() && expr.contains("BoolExpr") &&
      expr["BoolExpr"].value("boolop", "") == "AND_EXPR") {
    for (const auto& arg : Array(expr["BoolExpr"], "args")) {
      for (const Json* c : Conjuncts(arg)) out.push_back(c);
    }
    return out;
  }
  out.push_back(&expr);
  return out;
}

bool HasDefElem(const Json& list, const std::string& name) {
  if (!list.is_array()) return false;
  for (const auto& item : list) {
    if (item.contains("DefElem") && item["DefElem"].value("defname", "") == name) return true;
  }
  return false;
}

}  // namespace tide::sql::tree
