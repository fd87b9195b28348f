#pragma once
// The planner's catalog (plan/catalog.h) read from a live PostgreSQL server: table sizes,
// keys, column details and partitions, cached per table for one command.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "pg/connection.h"
#include "plan/catalog.h"

namespace tide::exec {

using plan::Catalog;
using plan::PartitionFacts;
using plan::TableFacts;

class PgCatalog : public Catalog {
 public:
  PgCatalog(pg::Connection& conn, int64_t small_table_rows)
      : conn_(conn), small_table_rows_(small_table_rows) {}
  bool online() const override { return true; }
  Result<TableFacts> Table(const sql::TableName& table) override;
  Result<bool> RelationExists(const std::string& schema, const std::string& name) override;
  Result<std::optional<bool>> FunctionIsVolatile(const std::string& name) override;
  Result<std::optional<sql::TableName>> TableOfIndex(const sql::TableName& index) override;
  Result<std::optional<std::vector<PartitionFacts>>> Partitions(
      const sql::TableName& table) override;
  Result<std::vector<std::string>> PartitionKey(const sql::TableName& table) override;
  int server_version() const override { return conn_.server_version(); }

 private:
  // facts.rows and facts.small: counted up to small_table_rows, else estimated.
  Status CountRows(TableFacts& facts, int64_t reltuples, int64_t bytes);
  // Rows of a table never analyzed, within the caller's transaction.
  int64_t EstimateUnanalyzed(const std::string& quoted, int64_t bytes);

  pg::Connection& conn_;
  int64_t small_table_rows_;
  std::map<std::string, TableFacts> cache_;
};

}  // namespace tide::exec
