#pragma once
// A database schema as plain data, for `tide check --drift`: one DbObject per schema, table,
// column, constraint, index, view, function, trigger, sequence, enum, domain and extension, each
// with the facts that are compared (type, default, definition text as the server prints it...).
// Engine-independent: the PostgreSQL catalog reader (drift/catalog_reader.h) fills it, the
// comparison (drift/diff.h) and its tests need no database.

#include <map>
#include <string>
#include <vector>

namespace tide::drift {

enum class ObjectKind {
  kSchema,
  kExtension,
  kTable,
  kColumn,
  kConstraint,
  kIndex,
  kView,
  kMaterializedView,
  kSequence,
  kEnum,
  kDomain,
  kFunction,
  kTrigger,
};
// "table", "materialized view", ...
const char* KindName(ObjectKind kind);

struct DbObject {
  ObjectKind kind = ObjectKind::kTable;
  std::string schema;
  // The relation (or domain) it belongs to: columns, constraints, indexes and triggers; else "".
  std::string table;
  // Its own name; a function's carries its argument types: "f(integer, text)".
  std::string name;
  int position = 0;  // a column's place in its table (attnum)
  // What is compared, fact by fact: "type", "default", "definition", "valid", "version"...
  std::map<std::string, std::string> facts;
  // What statements need and is not compared (a function's kind, an enum's users...).
  std::map<std::string, std::string> extra;
  // The names as SQL, quoted as the server quotes them (quote_ident, regclass): the owning
  // relation qualified ("public.customers"), and the object: qualified for objects that live
  // in a schema ("public.customers_email_idx", "public.f(integer)"), bare for columns,
  // constraints and triggers. Empty: made from the names with QuoteIdent.
  std::string sql_table;
  std::string sql_name;

  // "public.customers.email": what --ignore patterns match and reports show.
  std::string QualifiedName() const;
  // "public.customers" for an object that belongs to a table, else QualifiedName().
  std::string ParentName() const;
  std::string SqlTable() const;
  std::string SqlName() const;
  // The fact, or "" when it is not set.
  std::string Fact(const std::string& key) const;
  std::string Extra(const std::string& key) const;
};

struct Snapshot {
  std::vector<DbObject> objects;
};

}  // namespace tide::drift
