#include "sql/types.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tide::sql {

namespace {

// Names the parser writes for SQL-standard spellings, and their catalog aliases.
std::string Canonical(std::string name) {
  name = ToLower(name);
  if (name == "character varying") return "varchar";
  if (name == "int" || name == "integer") return "int4";
  if (name == "bigint") return "int8";
  if (name == "smallint") return "int2";
  if (name == "decimal") return "numeric";
  if (name == "boolean") return "bool";
  if (name == "real") return "float4";
  if (name == "double precision") return "float8";
  if (name == "character" || name == "char") return "bpchar";
  if (name == "timestamp with time zone") return "timestamptz";
  if (name == "timestamp without time zone") return "timestamp";
  return name;
}

}  // namespace

std::string ColumnType::ToString() const {
  std::string out = name;
  if (!mods.empty()) {
    std::vector<std::string> parts;
    for (auto m : mods) parts.push_back(std::to_string(m));
    out += "(" + Join(parts, ",") + ")";
  }
  if (array) out += "[]";
  return out;
}

ColumnType TypeFromTree(const nlohmann::json& type_name) {
  ColumnType t;
  const auto& names = type_name.value("names", nlohmann::json::array());
  if (!names.empty()) {
    const auto& last = names.back();
    if (last.contains("String")) t.name = Canonical(last["String"].value("sval", ""));
  }
  for (const auto& mod : type_name.value("typmods", nlohmann::json::array())) {
    if (mod.contains("A_Const")) {
      const auto& c = mod["A_Const"];
      if (c.contains("ival")) t.mods.push_back(c["ival"].value("ival", 0));
    }
  }
  t.array = type_name.contains("arrayBounds");
  return t;
}

ColumnType TypeFromCatalog(const std::string& typname, int typmod) {
  ColumnType t;
  t.name = typname;
  if (!t.name.empty() && t.name[0] == '_') {
    t.array = true;
    t.name = t.name.substr(1);
  }
  if (typmod >= 0) {
    if (t.name == "varchar" || t.name == "bpchar") {
      t.mods = {typmod - 4};
    } else if (t.name == "numeric") {
      int v = typmod - 4;
      t.mods = {(v >> 16) & 0xffff, v & 0xffff};
    } else if (t.name == "varbit" || t.name == "bit") {
      t.mods = {typmod};
    } else if (t.name == "timestamp" || t.name == "timestamptz" || t.name == "time" ||
               t.name == "timetz" || t.name == "interval") {
      t.mods = {typmod};
    }
  }
  return t;
}

bool IsSerial(const ColumnType& type) {
  return type.name == "serial" || type.name == "bigserial" || type.name == "smallserial" ||
         type.name == "serial4" || type.name == "serial8" || type.name == "serial2";
}

TypeChange ClassifyTypeChange(const std::optional<ColumnType>& from, const ColumnType& to,
                              bool has_using) {
  if (has_using) return TypeChange::kRewrite;
  if (!from) return TypeChange::kUnknown;
  if (from->array != to.array) return TypeChange::kRewrite;
  const std::string& a = from->name;
  const std::string& b = to.name;
  auto unbounded = [](const ColumnType& t) { return t.mods.empty(); };
  if (a == b) {
    if (to.mods == from->mods) return TypeChange::kNoRewrite;
    if ((a == "varchar" || a == "varbit") && (unbounded(to) ||
                                              (!unbounded(*from) && to.mods[0] >= from->mods[0]))) {
      return TypeChange::kNoRewrite;
    }
    if (a == "numeric") {
      if (unbounded(to)) return TypeChange::kNoRewrite;
      if (!unbounded(*from) && to.mods.size() == 2 && from->mods.size() == 2 &&
          to.mods[1] == from->mods[1] && to.mods[0] >= from->mods[0]) {
        return TypeChange::kNoRewrite;
      }
    }
    return TypeChange::kRewrite;
  }
  if ((a == "varchar" || a == "text") && (b == "text" || (b == "varchar" && unbounded(to)))) {
    return TypeChange::kNoRewrite;
  }
  if (a == "cidr" && b == "inet") return TypeChange::kNoRewrite;
  return TypeChange::kRewrite;
}

}  // namespace tide::sql
