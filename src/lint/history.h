#pragma once
// What the statements before the one being linted did to the schema, as far as the rules care.
// Linting a folder replays its files in version order, statement by statement, so V1.2's
// SET NOT NULL knows that V1.1 added the column nullable and backfilled it, an ALTER COLUMN TYPE
// knows the type it changes from, and a SET NOT NULL knows of a validated CHECK (col IS NOT NULL).
// Only what the files say is known: a table that no file created has no recorded columns.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "sql/classify.h"
#include "sql/objects.h"

namespace tide::lint {

class History {
 public:
  struct Column {
    std::optional<sql::ColumnType> type;
    bool not_null = false;
    bool has_default = false;
    std::string added_in;  // file of the ADD COLUMN; empty when CREATE TABLE made it
    int added_line = 0;
    bool added_to_existing = false;  // the table existed before that file
    std::string filled_in;           // file of the last UPDATE that set it
    int filled_line = 0;
  };

  // Records what statement c (of file) does. Call it for each statement, in order, after linting
  // it.
  void Apply(const sql::Classified& c, const std::string& file);

  const Column* FindColumn(const sql::TableName& table, const std::string& column) const;
  // A CHECK (column IS NOT NULL) that is valid: added without NOT VALID, or validated since.
  bool HasValidNotNullCheck(const sql::TableName& table, const std::string& column) const;
  // A table created with PARTITION BY (what lint knows of partitioned tables).
  bool IsPartitioned(const sql::TableName& table) const;
  // A function or procedure that a migration created (calling it runs code lint cannot see).
  bool DefinesFunction(const std::string& name) const { return functions_.count(name) > 0; }
  // A view (or materialized view) an earlier statement created or dropped: its columns as that
  // CREATE wrote them, so that a later DROP VIEW + CREATE VIEW is judged on what it removes.
  std::optional<sql::ViewShape> View(const sql::TableName& name) const;

 private:
  struct Check {
    std::string column;
    bool valid = false;
  };
  struct Table {
    sql::TableName name;
    std::map<std::string, Column> columns;
    std::map<std::string, Check> checks;  // by constraint name
    bool partitioned = false;
  };

  Table* Find(const sql::TableName& name);
  const Table* Find(const sql::TableName& name) const;
  Table& FindOrAdd(const sql::TableName& name);
  void Drop(const sql::TableName& name);
  void ApplyCreateTable(const sql::Classified& c);
  void ApplyClause(const sql::Classified& c, size_t index, const std::string& file);
  void ApplyView(const sql::Classified& c, const std::string& file);

  // By unqualified name; a name without schema matches any schema, as the planner matches.
  std::unordered_map<std::string, std::vector<Table>> tables_;
  std::set<std::string> functions_;
  std::vector<std::pair<sql::TableName, sql::ViewShape>> views_;  // newest last
  std::string file_;  // the file being applied, for "added_to_existing"
  std::set<std::string> created_in_file_;
};

// The column of a CHECK (column IS NOT NULL) constraint at clause `index` of an ALTER TABLE; ""
// for any other constraint.
std::string NotNullCheckColumn(const sql::Statement& statement, size_t index);

}  // namespace tide::lint
