#include "drift/snapshot.h"

#include "base/strings.h"

namespace tide::drift {

const char* KindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kSchema:
      return "schema";
    case ObjectKind::kExtension:
      return "extension";
    case ObjectKind::kTable:
      return "table";
    case ObjectKind::kColumn:
      return "column";
    case ObjectKind::kConstraint:
      return "constraint";
    case ObjectKind::kIndex:
      return "index";
    case ObjectKind::kView:
      return "view";
    case ObjectKind::kMaterializedView:
      return "materialized view";
    case ObjectKind::kSequence:
      return "sequence";
    case ObjectKind::kEnum:
      return "enum";
    case ObjectKind::kDomain:
      return "domain";
    case ObjectKind::kFunction:
      return "function";
    case ObjectKind::kTrigger:
      return "trigger";
  }
  return "object";
}

std::string DbObject::QualifiedName() const {
  if (kind == ObjectKind::kSchema || kind == ObjectKind::kExtension) return name;
  std::string out = schema;
  if (!table.empty()) out += "." + table;
  return out + "." + name;
}

std::string DbObject::ParentName() const {
  if (table.empty()) return QualifiedName();
  return schema + "." + table;
}

std::string DbObject::SqlTable() const {
  if (!sql_table.empty()) return sql_table;
  return QuoteQualified(schema, table.empty() ? name : table);
}

std::string DbObject::SqlName() const {
  if (!sql_name.empty()) return sql_name;
  if (kind == ObjectKind::kSchema || kind == ObjectKind::kExtension) return QuoteIdent(name);
  if (!table.empty() && kind != ObjectKind::kIndex) return QuoteIdent(name);
  return QuoteQualified(schema, name);
}

std::string DbObject::Fact(const std::string& key) const {
  auto it = facts.find(key);
  return it == facts.end() ? "" : it->second;
}

std::string DbObject::Extra(const std::string& key) const {
  auto it = extra.find(key);
  return it == extra.end() ? "" : it->second;
}

}  // namespace tide::drift
