#pragma once
// Column types as tide compares them, to tell whether ALTER COLUMN TYPE rewrites the table:
// a type is its internal name (varchar, int8, numeric...) and its modifiers (length, precision).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tide::sql {

struct ColumnType {
  std::string name;           // internal name: varchar, bpchar, text, int4, int8, numeric, ...
  std::vector<int64_t> mods;  // varchar(255) -> {255}; numeric(10,2) -> {10, 2}
  bool array = false;
  std::string ToString() const;  // "varchar(255)", "numeric(10,2)", "text[]"
};

// From a parse tree TypeName node.
ColumnType TypeFromTree(const nlohmann::json& type_name);
// From the catalog: pg_type.typname (arrays as "_int4" give array = true) and atttypmod.
ColumnType TypeFromCatalog(const std::string& typname, int typmod);
// serial, bigserial and smallserial: columns whose default is nextval().
bool IsSerial(const ColumnType& type);

enum class TypeChange { kNoRewrite, kRewrite, kUnknown };
// Whether ALTER COLUMN TYPE from `from` to `to` rewrites the table (PostgreSQL 15): varchar
// widening, varchar or text to unbounded varchar or text, numeric precision widening at the same
// scale, varbit widening and cidr to inet are binary-coercible; a USING clause, or any other
// change, rewrites. `from` unknown (no catalog) gives kUnknown unless `to` is always safe.
TypeChange ClassifyTypeChange(const std::optional<ColumnType>& from, const ColumnType& to,
                              bool has_using);

}  // namespace tide::sql
