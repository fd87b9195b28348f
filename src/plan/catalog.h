#pragma once
// What the planner needs to know about the real database: the size of each table (so a file
// that gets the safe plan on a 10M-row table runs as written on an empty one), its key for
// batching, its column types, and a few names. exec::PgCatalog (exec/pg_catalog.h) asks the
// server; OfflineCatalog assumes
// every table is large (lint and `plan --offline`); FakeCatalog serves unit tests.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "sql/classify.h"
#include "sql/types.h"

namespace tide::plan {

struct ColumnFacts {
  std::string name;
  sql::ColumnType type;
  bool not_null = false;
};

// What declarative operations (src/ops) need beyond a column's type: whether a duplicate of it
// can replace it at contract time.
struct ColumnDetail {
  std::string type_sql;      // format_type(): "character varying(255)"
  std::string default_expr;  // pg_get_expr() of its default; "" when none
  bool identity = false;     // GENERATED ... AS IDENTITY, or a generated column
  std::vector<std::string> used_by;  // "index x", "constraint y", "view z" over this column
};

struct TableFacts {
  bool exists = false;
  bool known = true;             // false: offline, nothing is known but the name
  std::string quoted;            // "schema"."name" as resolved
  std::string schema;            // resolved schema
  int64_t rows = -1;             // estimate; -1 unknown
  bool small = false;            // at most small_table_rows rows, counted exactly
  bool partitioned = false;
  std::vector<std::string> key;        // primary key, else a unique not-null key (unquoted)
  std::vector<std::string> key_types;  // format_type of each key column
  std::vector<ColumnFacts> columns;
  std::map<std::string, ColumnDetail> details;  // by column name (PgCatalog and tests fill it)

  const ColumnFacts* Column(const std::string& name) const;
  // The column's details; an empty one when none are known.
  ColumnDetail Detail(const std::string& name) const;
};

// One partition of a partitioned table, as the partition tree lists it: depth first, each
// level in the order of its bounds (PostgreSQL's own order when it recurses into partitions).
struct PartitionFacts {
  sql::TableName name;          // schema-qualified as found
  std::string quoted;           // "schema"."name"
  sql::TableName parent;        // the table it is a partition of
  int level = 1;                // 1: a partition of the table asked about
  bool partitioned = false;     // itself partitioned (sub-partitions follow it)
  bool foreign = false;         // a foreign table
  bool is_default = false;      // the DEFAULT partition
  bool detach_pending = false;  // an interrupted DETACH ... CONCURRENTLY left it so
  int64_t rows = -1;            // estimate (reltuples); -1 unknown
  std::vector<std::string> key_columns;  // its own partition key's plain columns (partitioned)
  bool key_has_expressions = false;
};

class Catalog {
 public:
  virtual ~Catalog() = default;
  virtual bool online() const = 0;
  virtual Result<TableFacts> Table(const sql::TableName& table) = 0;
  // Whether a relation (table, index...) of that name exists in the schema.
  virtual Result<bool> RelationExists(const std::string& schema, const std::string& name) = 0;
  // nullopt when no function of that name exists.
  virtual Result<std::optional<bool>> FunctionIsVolatile(const std::string& name) = 0;
  // The table an index belongs to.
  virtual Result<std::optional<sql::TableName>> TableOfIndex(const sql::TableName& index) = 0;
  // Every partition under a partitioned table, depth first; nullopt when they are not known
  // (offline). Catalogs that know nothing of partitions have none.
  virtual Result<std::optional<std::vector<PartitionFacts>>> Partitions(const sql::TableName&) {
    return std::optional<std::vector<PartitionFacts>>();
  }
  // The partition key of a partitioned table: its plain columns (empty when an expression).
  virtual Result<std::vector<std::string>> PartitionKey(const sql::TableName&) {
    return std::vector<std::string>();
  }
  // PQserverVersion's number (150004); 0 when unknown (offline).
  virtual int server_version() const { return 0; }
};

class OfflineCatalog : public Catalog {
 public:
  bool online() const override { return false; }
  Result<TableFacts> Table(const sql::TableName& table) override;
  // What the files linted so far say: a table created with PARTITION BY (lint's history).
  std::function<bool(const sql::TableName&)> is_partitioned;
  Result<bool> RelationExists(const std::string&, const std::string&) override { return false; }
  Result<std::optional<bool>> FunctionIsVolatile(const std::string&) override {
    return std::optional<bool>();
  }
  Result<std::optional<sql::TableName>> TableOfIndex(const sql::TableName&) override {
    return std::optional<sql::TableName>();
  }
};

// For unit tests: tables and functions set by hand.
class FakeCatalog : public Catalog {
 public:
  bool online() const override { return true; }
  Result<TableFacts> Table(const sql::TableName& table) override;
  Result<bool> RelationExists(const std::string& schema, const std::string& name) override;
  Result<std::optional<bool>> FunctionIsVolatile(const std::string& name) override;
  Result<std::optional<sql::TableName>> TableOfIndex(const sql::TableName& index) override;
  Result<std::optional<std::vector<PartitionFacts>>> Partitions(
      const sql::TableName& table) override;

  std::map<std::string, TableFacts> tables;     // by unqualified name
  Result<std::vector<std::string>> PartitionKey(const sql::TableName& table) override {
    auto it = partition_keys.find(table.name);
    return it == partition_keys.end() ? std::vector<std::string>() : it->second;
  }
  int server_version() const override { return version; }

  std::map<std::string, std::vector<PartitionFacts>> partitions;  // by parent's name
  std::map<std::string, std::vector<std::string>> partition_keys;
  int version = 150000;
  std::map<std::string, bool> volatile_functions;
  std::map<std::string, std::string> index_tables;  // index -> table
  std::vector<std::string> relations;
};

}  // namespace tide::plan
