#pragma once
// The model that declarative operations transform, one operation after the other: for each
// table a file touches, the shape the new release sees (its name, its columns under their new
// names) and where each of those columns physically lives in the base table while both releases
// run. The old release keeps seeing the base table exactly as it was (the old shape).

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "ops/fields.h"
#include "plan/catalog.h"

namespace tide::ops {

struct ShapeColumn {
  std::string name;      // as the new release sees it
  std::string physical;  // the base table's column that holds it during the expand
  std::string type;      // SQL type text
  bool not_null = false;
  std::string view_default;  // a default the view applies to new-release inserts ("" none)
  bool added = false;        // a column this migration adds (add_column, or a replacement)
  bool replaced = false;     // an old column this migration replaced by a new physical one
};

// One trigger-maintained correspondence: up computes new_column from a row of the old shape;
// down computes old_column from a row of the new shape. Either side may be absent.
struct SyncPair {
  std::string old_column;  // physical; "" when the new shape has no counterpart to fill it
  std::string new_column;  // physical; "" when nothing new is computed
  std::string old_type, new_type;
  std::optional<Expr> up;
  std::optional<Expr> down;
};

struct TableShape {
  std::string physical;                  // the base table's name
  std::string name;                      // as the new release sees it (after rename_table)
  plan::TableFacts facts;                // before the migration; empty for a table it creates
  std::vector<std::string> old_columns;  // the old shape: physical names, in order
  std::vector<ShapeColumn> columns;      // the new shape, in the view's order
  std::vector<SyncPair> sync;
  bool created = false;  // by create_table in this migration
  bool dropped = false;  // by drop_table
  int first_op = 0;      // the first operation that touched it

  ShapeColumn* Column(const std::string& name);
  const ShapeColumn* Column(const std::string& name) const;
  // Whether the base table has (or this migration gives it) a physical column of that name.
  bool HasPhysical(const std::string& column) const;
  // name when no physical column has it, else _tide_new_<name> (then _1, _2...), cut to 63 bytes.
  std::string FreshPhysical(const std::string& name) const;
  // Whether the new release sees anything different from the base table (it then needs a view).
  bool ShapeChanged() const;
  std::string ColumnList() const;  // "id, name, email" for messages
};

// The old shape's column names and the new shape's, mapped to physical columns with a prefix:
// e.g. prefix `NEW.` gives NEW."_tide_new_quantity" for the new shape's quantity.
std::optional<std::string> OldShapeColumn(const TableShape& t, const std::string& name,
                                          const std::string& prefix);
std::optional<std::string> NewShapeColumn(const TableShape& t, const std::string& name,
                                          const std::string& prefix);

}  // namespace tide::ops
