#pragma once
// Small readers of libpg_query's JSON parse tree shared by the classifier files.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sql/classify.h"

namespace tide::sql::tree {

using Json = nlohmann::json;

// node[key] by reference, or an empty object / empty array / null when node has no such field:
// what json::value(key, default) gives, without copying the subtree (a copy per lookup was most
// of the classifier's time).
const Json& Object(const Json& node, std::string_view key);
const Json& Array(const Json& node, std::string_view key);
const Json& Field(const Json& node, std::string_view key);

// RangeVar -> TableName.
TableName Table(const Json& range_var);
// [{"String":{"sval":"a"}}, ...] -> {"a", ...}
std::vector<std::string> Strings(const Json& list);
// Every FuncCall name (last part, lower case) anywhere under node.
void CollectFunctions(const Json& node, std::vector<std::string>& out);
// Every ColumnRef's last field name anywhere under node.
void CollectColumns(const Json& node, std::vector<std::string>& out);
// Top-level AND conjuncts of a boolean expression.
std::vector<const Json*> Conjuncts(const Json& expr);
// The column a ColumnRef names (last field), or "".
std::string ColumnName(const Json& node);
bool HasDefElem(const Json& list, const std::string& name);

}  // namespace tide::sql::tree
