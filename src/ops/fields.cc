#include "ops/fields.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "ops/expr.h"
#include "sql/parser.h"

namespace tide::ops {

SourceLocation LocationOf(const YAML::Node& node, const std::string& file) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

Result<Fields> Fields::Of(const YAML::Node& node, const std::string& file,
                          const std::string& what) {
  if (!node.IsMap()) {
    return Error::Input(fmt::format("{} must be a map of fields (name: value)", what))
        .At(LocationOf(node, file))
        .WithHint("write it as {table: orders, ...} or one 'field: value' per line");
  }
  return Fields(node, file, what);
}

const YAML::Node Fields::Get(const std::string& key) const {
  const YAML::Node& map = node_;
  return map[key];
}

bool Fields::Has(const std::string& key) const {
  const YAML::Node value = Get(key);
  return value.IsDefined() && !value.IsNull();
}

SourceLocation Fields::Where() const { return LocationOf(node_, file_); }

SourceLocation Fields::Where(const std::string& key) const {
  const YAML::Node value = Get(key);
  return value.IsDefined() ? LocationOf(value, file_) : Where();
}

Error Fields::Fail(const std::string& key, const std::string& message,
                   const std::string& hint) const {
  return Error::Input(fmt::format("{}: {}", key.empty() ? what_ : what_ + "." + key, message))
      .At(key.empty() ? Where() : Where(key))
      .WithHint(hint);
}

Result<std::optional<std::string>> Fields::OptText(const std::string& key) const {
  const YAML::Node value = Get(key);
  if (!value.IsDefined() || value.IsNull()) return std::optional<std::string>();
  if (!value.IsScalar()) {
    return Fail(key, "must be a single value", fmt::format("write {}: <value>", key));
  }
  std::string text = value.as<std::string>();
  if (Trim(text).empty()) {
    return Fail(key, "is empty", fmt::format("give {} a value, or leave the field out", key));
  }
  return std::optional<std::string>(text);
}

Result<std::string> Fields::Text(const std::string& key) const {
  TIDE_ASSIGN(auto text, OptText(key));
  if (!text) {
    return Error::Input(fmt::format("{} needs the field '{}'", what_, key))
        .At(Where())
        .WithHint(fmt::format("add {}: <value> to {}", key, what_));
  }
  return *text;
}

Result<bool> Fields::Flag(const std::string& key, bool fallback) const {
  const YAML::Node value = Get(key);
  if (!value.IsDefined() || value.IsNull()) return fallback;
  try {
    if (value.IsScalar()) return value.as<bool>();
  } catch (const YAML::Exception&) {
  }
  return Fail(key, "must be true or false", fmt::format("write {}: true or {}: false", key, key));
}

Result<std::vector<std::string>> Fields::Names(const std::string& key) const {
  const YAML::Node value = Get(key);
  std::string hint = fmt::format("write {}: [a, b]", key);
  if (!value.IsDefined() || value.IsNull()) {
    return Error::Input(fmt::format("{} needs the field '{}'", what_, key))
        .At(Where())
        .WithHint(hint);
  }
  if (value.IsScalar()) return std::vector<std::string>{value.as<std::string>()};
  if (!value.IsSequence() || value.size() == 0) {
    return Fail(key, "must be a non-empty list of names", hint);
  }
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.IsScalar()) return Fail(key, "must be a list of names", hint);
    out.push_back(item.as<std::string>());
  }
  return out;
}

Result<Fields> Fields::Map(const std::string& key) const {
  const YAML::Node value = Get(key);
  if (!value.IsDefined() || value.IsNull()) {
    return Error::Input(fmt::format("{} needs the field '{}'", what_, key))
        .At(Where())
        .WithHint(fmt::format("add {}: {{...}} to {}", key, what_));
  }
  return Of(value, file_, what_ + "." + key);
}

Result<std::vector<Fields>> Fields::MapList(const std::string& key) const {
  const YAML::Node value = Get(key);
  if (!value.IsDefined() || !value.IsSequence() || value.size() == 0) {
    return Fail(key, "must be a non-empty list", fmt::format("write {}: [{{...}}, {{...}}]", key));
  }
  std::vector<Fields> out;
  for (size_t i = 0; i < value.size(); ++i) {
    TIDE_ASSIGN(Fields f, Of(value[i], file_, fmt::format("{}.{}[{}]", what_, key, i)));
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::optional<Expr>> Fields::OptExpression(const std::string& key) const {
  TIDE_ASSIGN(auto text, OptText(key));
  if (!text) return std::optional<Expr>();
  auto parsed = ParseRowExpression(*text);
  if (!parsed.ok()) {
    return Fail(key, parsed.error().message(),
                "write one SQL expression over the row's columns, e.g. lower(name) || "
                "'@example.com'; quote it in YAML when it holds ':' or '#'");
  }
  return std::optional<Expr>(Expr{*text, Where(key), parsed->columns, parsed->functions});
}

Result<Expr> Fields::Expression(const std::string& key) const {
  TIDE_ASSIGN(auto e, OptExpression(key));
  if (!e) {
    return Error::Input(fmt::format("{} needs the field '{}'", what_, key))
        .At(Where())
        .WithHint(fmt::format("add {}: \"<SQL expression>\" to {}", key, what_));
  }
  return *e;
}

Result<std::string> Fields::Type(const std::string& key) const {
  TIDE_ASSIGN(std::string type, Text(key));
  // A cast of NULL parses exactly when the type name does.
  if (type.find(';') != std::string::npos || !sql::ParseExpression("NULL::" + type).ok()) {
    return Fail(key, fmt::format("'{}' is not an SQL type name", type),
                "write a type as in CREATE TABLE: text, bigint, varchar(255), numeric(10,2)");
  }
  return type;
}

Status Fields::CheckKeys(const std::vector<std::string>& allowed) const {
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    std::string key = it->first.IsScalar() ? it->first.as<std::string>() : "?";
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    return Error::Input(fmt::format("{} has no field '{}'", what_, key))
        .At(LocationOf(it->first, file_))
        .WithHint(fmt::format("the fields of {} are: {}", what_, Join(allowed, ", ")));
  }
  return Ok();
}

}  // namespace tide::ops
