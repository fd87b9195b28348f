#include "ops/operation.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tide::ops {

std::string OpContext::Qualified(const TableShape& t) const { return Qualified(t.physical); }

std::string OpContext::Qualified(const std::string& table) const {
  return QuoteQualified(schema, table);
}

Result<bool> OpContext::TableExists(const std::string& name) {
  // A table dropped or renamed away keeps its name in the base schema until the contract.
  for (const auto& t : tables) {
    if (t.name == name || t.physical == name) return true;
  }
  TIDE_ASSIGN(auto facts, catalog.Table({schema, name}));
  return facts.exists;
}

Result<TableShape*> OpContext::Table(const std::string& name, const SourceLocation& where) {
  for (auto& t : tables) {
    if (t.name == name && !t.dropped) return &t;
  }
  for (const auto& t : tables) {
    if (t.physical != name) continue;
    return Error::Input(fmt::format("table {} is {} by an earlier operation of this file", name,
                                    t.dropped ? "dropped" : "renamed to " + t.name))
        .At(where)
        .WithHint(t.dropped ? "remove the operations on a table after dropping it"
                            : fmt::format("call it {} after the rename", t.name));
  }
  TIDE_ASSIGN(auto facts, catalog.Table({schema, name}));
  if (!facts.exists) {
    return Error::Input(fmt::format("table {} does not exist in schema {}", name, schema))
        .At(where)
        .WithHint(
            "check the name (it is case-sensitive when quoted), or create the table first "
            "(create_table, or an earlier migration)");
  }
  if (!facts.known) {
    return Error::Input(fmt::format("table {}: declarative migrations are planned against a "
                                    "database",
                                    name))
        .At(where)
        .WithHint("run with a database (--url)");
  }
  TableShape t;
  t.physical = name;
  t.name = name;
  t.first_op = op_index;
  for (const auto& c : facts.columns) {
    t.old_columns.push_back(c.name);
    plan::ColumnDetail d = facts.Detail(c.name);
    ShapeColumn col;
    col.name = c.name;
    col.physical = c.name;
    col.type = d.type_sql.empty() ? c.type.ToString() : d.type_sql;
    col.not_null = c.not_null;
    t.columns.push_back(std::move(col));
  }
  t.facts = std::move(facts);
  tables.push_back(std::move(t));
  return &tables.back();
}

Result<ShapeColumn*> OpContext::Column(TableShape& t, const std::string& name,
                                       const SourceLocation& where) {
  ShapeColumn* c = t.Column(name);
  if (c) return c;
  return Error::Input(fmt::format("table {} has no column {}", t.name, name))
      .At(where)
      .WithHint(fmt::format("its columns (as the new release sees them at this point of the "
                            "file): {}",
                            t.ColumnList()));
}

plan::Step Ddl(const OpContext& ctx, const TableShape& t, const std::string& sql, sql::Lock lock,
               const SourceLocation& at, const std::string& why) {
  plan::Step s = Plain(sql, at, why);
  s.table = t.physical;
  s.lock = lock;
  s.lock_tables = {ctx.Qualified(t)};
  s.statement = ctx.op_index;
  return s;
}

plan::Step Plain(const std::string& sql, const SourceLocation& at, const std::string& why) {
  plan::Step s;
  s.kind = plan::StepKind::kSql;
  s.sql = sql;
  s.line = at.line;
  s.column = at.column;
  s.why = why;
  return s;
}

}  // namespace tide::ops
