#include "store/history.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tide::store {

std::string HistoryTable::Qualified() const { return QuoteQualified(schema_, table_); }

int64_t HistoryTable::LockKey() const {
  return 0x466C79776179LL + static_cast<int64_t>(JavaStringHash(Qualified()));
}

Result<bool> HistoryTable::Exists(pg::Connection& conn) const {
  return pg::RelationExists(conn, schema_, table_);
}

Status HistoryTable::CreateIfMissing(pg::Connection& conn) const {
  TIDE_ASSIGN(bool exists, Exists(conn));
  if (exists) return Ok();
  TIDE_ASSIGN(auto schema_found,
              conn.QueryValue("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
                              {schema_}));
  std::string q = Qualified();
  std::string sql;
  if (!schema_found) sql += fmt::format("CREATE SCHEMA {};\n", QuoteIdent(schema_));
  // Flyway's own DDL for PostgreSQL (createMetaDataTable.sql).
  sql += fmt::format(
      "CREATE TABLE {0} (\n"
      "    \"installed_rank\" INT NOT NULL,\n"
      "    \"version\" VARCHAR(50),\n"
      "    \"description\" VARCHAR(200) NOT NULL,\n"
      "    \"type\" VARCHAR(20) NOT NULL,\n"
      "    \"script\" VARCHAR(1000) NOT NULL,\n"
      "    \"checksum\" INTEGER,\n"
      "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
      "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
      "    \"execution_time\" INTEGER NOT NULL,\n"
      "    \"success\" BOOLEAN NOT NULL\n"
      ");\n"
      "ALTER TABLE {0} ADD CONSTRAINT {1} PRIMARY KEY (\"installed_rank\");\n"
      "CREATE INDEX {2} ON {0} (\"success\");\n",
      q, QuoteIdent(table_ + "_pk"), QuoteIdent(table_ + "_s_idx"));
  TIDE_TRY(conn.Exec("BEGIN;\n" + sql));
  if (!schema_found) {
    AppliedMigration marker;
    marker.description = kSchemaCreationDescription;
    marker.type = kTypeSchema;
    marker.script = QuoteIdent(schema_);
    Status st = Append(conn, marker);
    if (!st.ok()) {
      (void)conn.Exec("ROLLBACK");
      return st;
    }
  }
  auto committed = conn.Exec("COMMIT");
  if (!committed.ok()) {
    // Another process may have created it meanwhile; that is fine.
    (void)conn.Exec("ROLLBACK");
    TIDE_ASSIGN(bool now_exists, Exists(conn));
    if (now_exists) return Ok();
    return std::move(committed).error().Context("creating " + q);
  }
  return Ok();
}

Result<std::vector<AppliedMigration>> HistoryTable::Load(pg::Connection& conn) const {
  std::vector<AppliedMigration> rows;
  TIDE_ASSIGN(bool exists, Exists(conn));
  if (!exists) return rows;
  TIDE_ASSIGN(auto r, conn.Exec(fmt::format(
                          "SELECT installed_rank, version, description, type, script, checksum, "
                          "installed_by, installed_on::text, execution_time, success "
                          "FROM {} ORDER BY installed_rank",
                          Qualified())));
  for (int i = 0; i < r.rows(); ++i) {
    AppliedMigration row;
    row.installed_rank = static_cast<int>(r.GetInt(i, 0));
    row.version = r.GetOptional(i, 1);
    row.description = r.Get(i, 2);
    row.type = r.Get(i, 3);
    row.script = r.Get(i, 4);
    if (!r.IsNull(i, 5)) row.checksum = static_cast<int32_t>(r.GetInt(i, 5));
    row.installed_by = r.Get(i, 6);
    row.installed_on = r.Get(i, 7);
    row.execution_time = static_cast<int>(r.GetInt(i, 8));
    row.success = r.GetBool(i, 9);
    rows.push_back(std::move(row));
  }
  return rows;
}

Status HistoryTable::Append(pg::Connection& conn, const AppliedMigration& row) const {
  std::string sql = fmt::format(
      "INSERT INTO {0} (installed_rank, version, description, type, script, checksum, "
      "installed_by, execution_time, success) "
      "SELECT coalesce(max(installed_rank), 0) + 1, $1, $2, $3, $4, $5::integer, "
      "coalesce($6, current_user), $7::integer, $8::boolean FROM {0}",
      Qualified());
  return conn.Run(sql, {row.version, row.description, row.type, row.script,
                        row.checksum ? pg::Param(std::to_string(*row.checksum)) : std::nullopt,
                        row.installed_by.empty() ? std::nullopt : pg::Param(row.installed_by),
                        std::to_string(row.execution_time), row.success ? "true" : "false"});
}

Status HistoryTable::DeleteRank(pg::Connection& conn, int installed_rank) const {
  return conn.Run(fmt::format("DELETE FROM {} WHERE installed_rank = $1", Qualified()),
                  {std::to_string(installed_rank)});
}

Status HistoryTable::DeleteScript(pg::Connection& conn, const std::string& script) const {
  return conn.Run(fmt::format("DELETE FROM {} WHERE script = $1", Qualified()), {script});
}

Status HistoryTable::DeleteFailed(pg::Connection& conn, const std::string& script) const {
  return conn.Run(fmt::format("DELETE FROM {} WHERE script = $1 AND NOT success", Qualified()),
                  {script});
}

Result<bool> HistoryTable::HasFailed(pg::Connection& conn, const std::string& script) const {
  TIDE_ASSIGN(auto row, conn.QueryValue(fmt::format("SELECT 1 FROM {} WHERE script = $1 AND "
                                                    "NOT success",
                                                    Qualified()),
                                        {script}));
  return row.has_value();
}

Result<int64_t> HistoryTable::MaxRank(pg::Connection& conn) const {
  TIDE_ASSIGN(auto rank, conn.QueryValue(fmt::format(
                             "SELECT coalesce(max(installed_rank), 0) FROM {}", Qualified())));
  return rank ? std::stoll(*rank) : 0;
}

Result<bool> HistoryTable::SucceededSince(pg::Connection& conn, const std::string& script,
                                          int64_t rank) const {
  TIDE_ASSIGN(auto row, conn.QueryValue(fmt::format("SELECT 1 FROM {} WHERE script = $1 AND "
                                                    "success AND installed_rank > $2::integer",
                                                    Qualified()),
                                        {script, std::to_string(rank)}));
  return row.has_value();
}

Status HistoryTable::UpdateChecksum(pg::Connection& conn, int installed_rank, int32_t checksum,
                                    const std::string& description) const {
  return conn.Run(fmt::format("UPDATE {} SET checksum = $2, description = $3 "
                              "WHERE installed_rank = $1",
                              Qualified()),
                  {std::to_string(installed_rank), std::to_string(checksum), description});
}

}  // namespace tide::store
