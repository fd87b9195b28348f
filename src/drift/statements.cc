// CREATE and DROP for each kind of object. The facts they read are the catalog reader's
// (drift/catalog_reader.cc documents each).
#include "drift/statements.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tide::drift {

namespace {

bool Yes(const std::string& value) { return value == "yes"; }

// "CREATE INDEX name ON ..." -> "CREATE INDEX CONCURRENTLY name ON ...": no write is blocked.
// An index on a partitioned table (ON ONLY) cannot be built concurrently.
std::string ConcurrentIndex(const std::string& definition) {
  if (definition.find(" ON ONLY ") != std::string::npos) return definition;
  for (const char* prefix : {"CREATE UNIQUE INDEX ", "CREATE INDEX "}) {
    std::string p = prefix;
    if (definition.rfind(p, 0) == 0) return p + "CONCURRENTLY " + definition.substr(p.size());
  }
  return definition;
}

std::string ColumnDefinition(const DbObject& c) {
  std::string out = c.SqlName() + " " + c.Fact("type");
  if (!c.Fact("collation").empty()) out += " COLLATE " + c.Fact("collation");
  if (c.Fact("generated") == "stored") {
    out += " GENERATED ALWAYS AS (" + c.Fact("default") + ") STORED";
  } else if (!c.Fact("identity").empty()) {
    out += fmt::format(" GENERATED {} AS IDENTITY",
                       c.Fact("identity") == "always" ? "ALWAYS" : "BY DEFAULT");
  } else if (!c.Fact("default").empty()) {
    out += " DEFAULT " + c.Fact("default");
  }
  if (c.Fact("nullability") == "NOT NULL") out += " NOT NULL";
  return out;
}

std::string TriggerEnable(const DbObject& t) {
  std::string e = t.Fact("enabled");
  if (e.empty() || e == "enabled") return "";
  std::string action = e == "disabled"  ? "DISABLE"
                       : e == "replica" ? "ENABLE REPLICA"
                                        : "ENABLE ALWAYS";
  return fmt::format(";\nALTER TABLE {} {} TRIGGER {}", t.SqlTable(), action, t.SqlName());
}

std::string SequenceOptions(const DbObject& s) {
  std::string out;
  if (!s.Fact("type").empty()) out += " AS " + s.Fact("type");
  if (!s.Fact("increment").empty()) out += " INCREMENT BY " + s.Fact("increment");
  if (!s.Fact("minimum").empty()) out += " MINVALUE " + s.Fact("minimum");
  if (!s.Fact("maximum").empty()) out += " MAXVALUE " + s.Fact("maximum");
  if (!s.Fact("start").empty()) out += " START WITH " + s.Fact("start");
  if (!s.Fact("cache").empty()) out += " CACHE " + s.Fact("cache");
  if (!s.Fact("cycle").empty()) out += Yes(s.Fact("cycle")) ? " CYCLE" : " NO CYCLE";
  return out;
}

std::string OwnedBy(const DbObject& s) {
  if (s.Fact("owned by").empty()) return "";
  return fmt::format(";\nALTER SEQUENCE {} OWNED BY {}", s.SqlName(), s.Fact("owned by"));
}

std::string CreateDomain(const DbObject& d) {
  std::string out = fmt::format("CREATE DOMAIN {} AS {}", d.SqlName(), d.Fact("type"));
  if (!d.Fact("collation").empty()) out += " COLLATE " + d.Fact("collation");
  if (!d.Fact("default").empty()) out += " DEFAULT " + d.Fact("default");
  if (d.Fact("nullability") == "NOT NULL") out += " NOT NULL";
  for (const auto& [key, value] : d.facts) {
    if (key.rfind("check ", 0) == 0)
      out += fmt::format(" CONSTRAINT {} {}", QuoteIdent(key.substr(6)), value);
  }
  return out;
}

std::string CreateRelationLike(const DbObject& obj) {
  std::string options = obj.Fact("options").empty() ? "" : " WITH (" + obj.Fact("options") + ")";
  const char* what = obj.kind == ObjectKind::kView ? "VIEW" : "MATERIALIZED VIEW";
  return fmt::format("CREATE {} {}{} AS\n{}", what, obj.SqlName(), options, obj.Fact("definition"));
}

// A table with its columns and constraints in one statement; its owned sequences before it
// (a default names them), their OWNED BY, its indexes and triggers after.
std::string CreateTable(const DbObject& t, const std::vector<const DbObject*>& children) {
  std::vector<std::string> before, parts, after, owned;
  for (const DbObject* c : children) {
    switch (c->kind) {
      case ObjectKind::kColumn:
        parts.push_back(ColumnDefinition(*c));
        break;
      case ObjectKind::kConstraint:
        parts.push_back(fmt::format("CONSTRAINT {} {}{}", c->SqlName(), c->Fact("definition"),
                                    c->Fact("validated") == "no" ? " NOT VALID" : ""));
        break;
      case ObjectKind::kSequence: {
        DbObject bare = *c;
        bare.facts.erase("owned by");
        before.push_back(CreateStatement(bare));
        if (!c->Fact("owned by").empty()) owned.push_back(OwnedBy(*c).substr(2));
        break;
      }
      default:
        after.push_back(CreateStatement(*c));
    }
  }
  std::string head = fmt::format(
      "CREATE {}TABLE {}", t.Fact("persistence") == "unlogged" ? "UNLOGGED " : "", t.SqlName());
  std::string table;
  if (!t.Fact("partition of").empty()) {
    table = head + " PARTITION OF " + t.Fact("partition of");
  } else {
    table = head + " (\n  " + Join(parts, ",\n  ") + "\n)";
    if (!t.Fact("partition key").empty()) table += " PARTITION BY " + t.Fact("partition key");
  }
  std::vector<std::string> all = before;
  all.push_back(table);
  all.insert(all.end(), owned.begin(), owned.end());
  all.insert(all.end(), after.begin(), after.end());
  return Join(all, ";\n");
}

}  // namespace

std::string CreateStatement(const DbObject& obj, const std::vector<const DbObject*>& children) {
  switch (obj.kind) {
    case ObjectKind::kSchema:
      return "CREATE SCHEMA " + obj.SqlName();
    case ObjectKind::kExtension: {
      std::string out = "CREATE EXTENSION " + obj.SqlName();
      if (!obj.Fact("schema").empty()) out += " WITH SCHEMA " + QuoteIdent(obj.Fact("schema"));
      if (!obj.Fact("version").empty()) out += " VERSION " + QuoteLiteral(obj.Fact("version"));
      return out;
    }
    case ObjectKind::kTable:
      return CreateTable(obj, children);
    case ObjectKind::kColumn:
      return fmt::format("ALTER TABLE {} ADD COLUMN {}", obj.SqlTable(), ColumnDefinition(obj));
    case ObjectKind::kConstraint: {
      std::string add = fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}", obj.SqlTable(),
                                    obj.SqlName(), obj.Fact("definition"));
      std::string type = obj.Fact("type");
      if (type != "check" && type != "foreign key") return add;
      // NOT VALID, then VALIDATE: the scan runs without blocking writes.
      add += " NOT VALID";
      if (obj.Fact("validated") == "no") return add;
      return add +
             fmt::format(";\nALTER TABLE {} VALIDATE CONSTRAINT {}", obj.SqlTable(), obj.SqlName());
    }
    case ObjectKind::kIndex:
      return ConcurrentIndex(obj.Fact("definition"));
    case ObjectKind::kView:
    case ObjectKind::kMaterializedView: {
      std::string out = CreateRelationLike(obj);
      for (const DbObject* c : children) out += ";\n" + CreateStatement(*c);
      return out;
    }
    case ObjectKind::kSequence:
      return "CREATE SEQUENCE " + obj.SqlName() + SequenceOptions(obj) + OwnedBy(obj);
    case ObjectKind::kEnum:
      return fmt::format("CREATE TYPE {} AS ENUM ({})", obj.SqlName(), obj.Fact("labels"));
    case ObjectKind::kDomain:
      return CreateDomain(obj);
    case ObjectKind::kFunction:
      return obj.Fact("definition");
    case ObjectKind::kTrigger:
      return obj.Fact("definition") + TriggerEnable(obj);
  }
  return "";
}

std::string DropStatement(const DbObject& obj) {
  switch (obj.kind) {
    case ObjectKind::kSchema:
      return "DROP SCHEMA " + obj.SqlName();
    case ObjectKind::kExtension:
      return "DROP EXTENSION " + obj.SqlName();
    case ObjectKind::kTable:
      return "DROP TABLE " + obj.SqlName();
    case ObjectKind::kColumn:
      return fmt::format("ALTER TABLE {} DROP COLUMN {}", obj.SqlTable(), obj.SqlName());
    case ObjectKind::kConstraint:
      return fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", obj.SqlTable(), obj.SqlName());
    case ObjectKind::kIndex:
      // An index of a partitioned table cannot be dropped concurrently.
      if (obj.Fact("definition").find(" ON ONLY ") != std::string::npos) {
        return "DROP INDEX " + obj.SqlName();
      }
      return "DROP INDEX CONCURRENTLY " + obj.SqlName();
    case ObjectKind::kView:
      return "DROP VIEW " + obj.SqlName();
    case ObjectKind::kMaterializedView:
      return "DROP MATERIALIZED VIEW " + obj.SqlName();
    case ObjectKind::kSequence:
      return "DROP SEQUENCE " + obj.SqlName();
    case ObjectKind::kEnum:
      return "DROP TYPE " + obj.SqlName();
    case ObjectKind::kDomain:
      return "DROP DOMAIN " + obj.SqlName();
    case ObjectKind::kFunction:
      return fmt::format("DROP {} {}", obj.Extra("kind") == "procedure" ? "PROCEDURE" : "FUNCTION",
                         obj.SqlName());
    case ObjectKind::kTrigger:
      return fmt::format("DROP TRIGGER {} ON {}", obj.SqlName(), obj.SqlTable());
  }
  return "";
}

std::string PrivilegeNames(const std::string& letters) {
  static const std::pair<char, const char*> kNames[] = {
      {'r', "SELECT"},     {'a', "INSERT"},    {'w', "UPDATE"},  {'d', "DELETE"}, {'D', "TRUNCATE"},
      {'x', "REFERENCES"}, {'t', "TRIGGER"},   {'X', "EXECUTE"}, {'U', "USAGE"},  {'C', "CREATE"},
      {'c', "CONNECT"},    {'T', "TEMPORARY"}, {'m', "MAINTAIN"}};
  std::vector<std::string> out;
  for (const auto& [letter, name] : kNames) {
    if (letters.find(letter) != std::string::npos) out.push_back(name);
  }
  return Join(out, ", ");
}

}  // namespace tide::drift
