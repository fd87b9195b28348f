#include "lint/history.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/strings.h"
#include "sql/classify_util.h"

namespace tide::lint {

using sql::Action;
using sql::tree::Json;

namespace {

bool Matches(const sql::TableName& a, const sql::TableName& b) {
  return a.name == b.name && (a.schema.empty() || b.schema.empty() || a.schema == b.schema);
}

// The ColumnDef constraints that make a column NOT NULL or give it a default.
void DescribeColumnDef(const Json& def, History::Column& col) {
  if (def.contains("typeName")) {
    col.type = sql::TypeFromTree(def["typeName"]);
    if (sql::IsSerial(*col.type)) col.has_default = true;
  }
  for (const auto& item : sql::tree::Array(def, "constraints")) {
    std::string contype = sql::tree::Object(item, "Constraint").value("contype", "");
    if (contype == "CONSTR_NOTNULL" || contype == "CONSTR_PRIMARY") col.not_null = true;
    if (contype == "CONSTR_DEFAULT" || contype == "CONSTR_IDENTITY" ||
        contype == "CONSTR_GENERATED") {
      col.has_default = true;
    }
    if (contype == "CONSTR_IDENTITY") col.not_null = true;
  }
}

}  // namespace

std::string NotNullCheckColumn(const sql::Statement& statement, size_t index) {
  const Json& cmds = sql::tree::Array(statement.tree, "cmds");
  if (index >= cmds.size()) return "";
  const Json& def = sql::tree::Object(sql::tree::Object(cmds[index], "AlterTableCmd"), "def");
  const Json& constraint = sql::tree::Object(def, "Constraint");
  if (constraint.value("contype", "") != "CONSTR_CHECK") return "";
  const Json& test = sql::tree::Object(sql::tree::Field(constraint, "raw_expr"), "NullTest");
  if (test.value("nulltesttype", "") != "IS_NOT_NULL") return "";
  return sql::tree::ColumnName(sql::tree::Field(test, "arg"));
}

History::Table* History::Find(const sql::TableName& name) {
  auto it = tables_.find(name.name);
  if (it == tables_.end()) return nullptr;
  for (auto& t : it->second) {
    if (Matches(t.name, name)) return &t;
  }
  return nullptr;
}

const History::Table* History::Find(const sql::TableName& name) const {
  return const_cast<History*>(this)->Find(name);
}

History::Table& History::FindOrAdd(const sql::TableName& name) {
  if (Table* t = Find(name)) return *t;
  auto& list = tables_[name.name];
  list.push_back(Table{name, {}, {}, false});
  return list.back();
}

void History::Drop(const sql::TableName& name) {
  auto it = tables_.find(name.name);
  if (it == tables_.end()) return;
  std::erase_if(it->second, [&](const Table& t) { return Matches(t.name, name); });
}

bool History::IsPartitioned(const sql::TableName& table) const {
  const Table* t = Find(table);
  return t && t->partitioned;
}

const History::Column* History::FindColumn(const sql::TableName& table,
                                           const std::string& column) const {
  const Table* t = Find(table);
  if (!t) return nullptr;
  auto it = t->columns.find(column);
  return it == t->columns.end() ? nullptr : &it->second;
}

bool History::HasValidNotNullCheck(const sql::TableName& table, const std::string& column) const {
  const Table* t = Find(table);
  if (!t) return false;
  for (const auto& [name, check] : t->checks) {
    if (check.column == column && check.valid) return true;
  }
  return false;
}

void History::ApplyCreateTable(const sql::Classified& c) {
  Drop(c.table);
  Table& t = FindOrAdd(c.table);
  created_in_file_.insert(c.table.Display());
  if (c.action != Action::kCreateTable) return;
  t.partitioned = c.statement->tree.contains("partspec");
  for (const auto& elt : sql::tree::Array(c.statement->tree, "tableElts")) {
    if (elt.contains("ColumnDef")) {
      const Json& def = elt["ColumnDef"];
      Column col;
      DescribeColumnDef(def, col);
      t.columns[def.value("colname", "")] = col;
    } else if (elt.contains("Constraint") &&
               elt["Constraint"].value("contype", "") == "CONSTR_PRIMARY") {
      for (const auto& key : sql::tree::Strings(sql::tree::Array(elt["Constraint"], "keys"))) {
        t.columns[key].not_null = true;
      }
    }
  }
}

void History::ApplyClause(const sql::Classified& c, size_t index, const std::string& file) {
  const sql::Command& cmd = c.commands[index];
  Table& t = FindOrAdd(cmd.table);
  switch (cmd.action) {
    case Action::kAddColumn: {
      Column col;
      col.type = cmd.type;
      col.not_null = cmd.not_null || cmd.identity;
      col.has_default = cmd.has_default || cmd.identity || cmd.generated_stored;
      col.added_in = file;
      col.added_line = c.line();
      col.added_to_existing = created_in_file_.count(cmd.table.Display()) == 0;
      t.columns[cmd.column] = col;
      break;
    }
    case Action::kAlterColumnType:
      t.columns[cmd.column].type = cmd.type;
      break;
    case Action::kDropColumn:
      t.columns.erase(cmd.column);
      break;
    case Action::kSetNotNull:
      t.columns[cmd.column].not_null = true;
      break;
    case Action::kDropNotNull:
      t.columns[cmd.column].not_null = false;
      break;
    case Action::kSetDefault:
      t.columns[cmd.column].has_default = true;
      break;
    case Action::kDropDefault:
      t.columns[cmd.column].has_default = false;
      break;
    case Action::kAddConstraint: {
      std::string column = NotNullCheckColumn(*c.statement, index);
      if (!column.empty()) {
        // PostgreSQL names an unnamed one-column check <table>_<column>_check.
        std::string name =
            cmd.object_name.empty() ? cmd.table.name + "_" + column + "_check" : cmd.object_name;
        t.checks[name] = Check{column, !cmd.not_valid};
      }
      if (cmd.constraint == sql::ConstraintType::kPrimaryKey) {
        for (const auto& k : cmd.columns) t.columns[k].not_null = true;
      }
      break;
    }
    case Action::kValidateConstraint: {
      auto it = t.checks.find(cmd.object_name);
      if (it != t.checks.end()) it->second.valid = true;
      break;
    }
    case Action::kDropConstraint:
      t.checks.erase(cmd.object_name);
      break;
    default:
      break;
  }
}

std::optional<sql::ViewShape> History::View(const sql::TableName& name) const {
  for (auto it = views_.rbegin(); it != views_.rend(); ++it) {
    if (Matches(it->first, name)) return it->second;
  }
  return std::nullopt;
}

void History::ApplyView(const sql::Classified& c, const std::string& file) {
  std::string source = std::filesystem::path(file).filename().string();
  if (c.statement->node_type == "DropStmt") {
    for (const auto& o : sql::ActsOn(c)) {
      if (o.relkind == "view" || o.relkind == "materialized view") {
        views_.push_back({o.name, sql::ViewShape{false, std::nullopt, source}});
      }
    }
    return;
  }
  for (const auto& o : sql::CreatedBy(c)) {
    if (o.relkind != "view" && o.relkind != "materialized view") continue;
    views_.push_back({o.name, sql::ViewShape{true, sql::ViewColumns(c),
                                             fmt::format("{}, line {}", source, c.line())}});
  }
}

void History::Apply(const sql::Classified& c, const std::string& file) {
  if (file != file_) {
    file_ = file;
    created_in_file_.clear();
  }
  if (c.action == Action::kCreateView || c.action == Action::kCreateTableAs ||
      c.action == Action::kDropOther) {
    ApplyView(c, file);
  }
  switch (c.action) {
    case Action::kCreateTable:
    case Action::kCreateTableAs:
      ApplyCreateTable(c);
      return;
    case Action::kDropTable:
      for (const auto& cmd : c.commands) Drop(cmd.table);
      return;
    case Action::kRenameTable: {
      Table* t = Find(c.table);
      if (!t) return;
      Table moved = std::move(*t);
      Drop(c.table);
      moved.name.name = c.commands[0].new_name;
      tables_[moved.name.name].push_back(std::move(moved));
      return;
    }
    case Action::kRenameColumn: {
      Table* t = Find(c.table);
      const sql::Command& cmd = c.commands[0];
      if (!t || !t->columns.count(cmd.column)) return;
      t->columns[cmd.new_name] = t->columns[cmd.column];
      t->columns.erase(cmd.column);
      return;
    }
    case Action::kUpdate:
      if (c.dml) {
        Table& t = FindOrAdd(c.table);
        for (const auto& col : c.dml->set_columns) {
          t.columns[col].filled_in = file;
          t.columns[col].filled_line = c.line();
        }
      }
      return;
    case Action::kCreateFunction: {
      auto names = sql::tree::Strings(sql::tree::Array(c.statement->tree, "funcname"));
      if (!names.empty()) functions_.insert(ToLower(names.back()));
      return;
    }
    default:
      break;
  }
  if (c.statement && c.statement->node_type == "AlterTableStmt") {
    for (size_t i = 0; i < c.commands.size(); ++i) ApplyClause(c, i, file);
  }
}

}  // namespace tide::lint
