#pragma once
// Flyway's schema history table, read and written the way Flyway does (same columns, types,
// indexes, row meanings and advisory lock key), so a database moves between Flyway and tide in
// either direction.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "pg/connection.h"

namespace tide::store {

// Flyway's row types that tide reads and writes.
inline constexpr const char* kTypeSql = "SQL";
inline constexpr const char* kTypeBaseline = "BASELINE";
inline constexpr const char* kTypeSchema = "SCHEMA";
inline constexpr const char* kTypeDelete = "DELETE";
inline constexpr const char* kBaselineDescription = "<< Flyway Baseline >>";
inline constexpr const char* kSchemaCreationDescription = "<< Flyway Schema Creation >>";

struct AppliedMigration {
  int installed_rank = 0;
  std::optional<std::string> version;  // NULL for repeatables and the schema row
  std::string description;
  std::string type = kTypeSql;
  std::string script;
  std::optional<int32_t> checksum;
  std::string installed_by;
  std::string installed_on;  // as the server prints it
  int execution_time = 0;    // milliseconds
  bool success = true;
};

class HistoryTable {
 public:
  HistoryTable(std::string schema, std::string table)
      : schema_(std::move(schema)), table_(std::move(table)) {}

  const std::string& schema() const { return schema_; }
  const std::string& table() const { return table_; }
  // "schema"."table", quoted.
  std::string Qualified() const;
  // The key of Flyway's advisory lock for this table: 0x466C79776179 + hash of Qualified().
  int64_t LockKey() const;

  Result<bool> Exists(pg::Connection& conn) const;
  // Creates the table (and the schema, recording a SCHEMA row as Flyway does) if missing.
  Status CreateIfMissing(pg::Connection& conn) const;
  // Every row by installed_rank; empty when the table does not exist.
  Result<std::vector<AppliedMigration>> Load(pg::Connection& conn) const;
  // Appends a row with the next installed_rank. installed_by empty: current_user.
  Status Append(pg::Connection& conn, const AppliedMigration& row) const;
  Status DeleteRank(pg::Connection& conn, int installed_rank) const;
  // Every row of a script (a rollback makes the file pending again).
  Status DeleteScript(pg::Connection& conn, const std::string& script) const;
  // The failed row a first attempt of a script left (a resumed run replaces it).
  Status DeleteFailed(pg::Connection& conn, const std::string& script) const;
  Result<bool> HasFailed(pg::Connection& conn, const std::string& script) const;
  // The highest installed_rank; 0 when empty. With SucceededSince, tells whether a transaction
  // lost at COMMIT wrote its success row.
  Result<int64_t> MaxRank(pg::Connection& conn) const;
  Result<bool> SucceededSince(pg::Connection& conn, const std::string& script,
                              int64_t rank) const;
  Status UpdateChecksum(pg::Connection& conn, int installed_rank, int32_t checksum,
                        const std::string& description) const;

 private:
  std::string schema_;
  std::string table_;
};

}  // namespace tide::store
