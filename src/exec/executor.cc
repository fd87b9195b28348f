#include "exec/executor.h"

#include <fmt/format.h>

#include <chrono>

#include "sql/parser.h"

namespace tide::exec {

namespace {

// Statements PostgreSQL refuses inside a transaction block.
bool CannotRunInTransaction(const sql::Statement& st) {
  const auto& t = st.tree;
  if (st.node_type == "IndexStmt" || st.node_type == "DropStmt" ||
      st.node_type == "ReindexStmt") {
    if (t.value("concurrent", false)) return true;
    for (const auto& p : t.value("params", nlohmann::json::array())) {
      if (p.contains("DefElem") && p["DefElem"].value("defname", "") == "concurrently") {
        return true;
      }
    }
    return false;
  }
  return st.node_type == "VacuumStmt" || st.node_type == "CreatedbStmt" ||
         st.node_type == "DropdbStmt" || st.node_type == "AlterSystemStmt" ||
         st.node_type == "CreateTableSpaceStmt" || st.node_type == "DropTableSpaceStmt" ||
         st.node_type == "TransactionStmt";
}

// A server error located in the file: the statement's position plus the server's cursor.
Error Locate(Error error, const migrate::MigrationFile& file, const sql::Statement& st) {
  int line = st.line;
  int column = st.column;
  if (error.position() > 0) {
    // The server counts characters; walk UTF-8 to find the byte.
    size_t byte = 0;
    for (int chars = 1; chars < error.position() && byte < st.text.size(); ++chars) {
      unsigned char c = static_cast<unsigned char>(st.text[byte]);
      byte += c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
    }
    size_t abs = st.offset + std::min(byte, st.text.size());
    line = 1, column = 1;
    const std::string& text = file.SqlText();
    for (size_t i = 0; i < abs && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  }
  return std::move(error).At({file.path.string(), line, column});
}

}  // namespace

Status Executor::Apply(const migrate::MigrationFile& file) { return ApplyPlain(file); }

Status Executor::ApplyPlain(const migrate::MigrationFile& file) {
  if (file.format != migrate::ScriptFormat::kSql) {
    return Error::Input(fmt::format("{}: declarative migrations are not supported yet",
                                    file.script));
  }
  TIDE_ASSIGN(auto statements, sql::ParseScript(file.SqlText(), file.path.string()));
  bool transactional = true;
  for (const auto& st : statements) {
    if (CannotRunInTransaction(st)) transactional = false;
  }
  if (file.execute_in_transaction) transactional = *file.execute_in_transaction;
  const FileHooks* hooks = options_.hooks;
  pg::Connection& conn = session_.conn();
  auto started = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count());
  };
  migrate::AppliedMigration row;
  row.version = file.version ? std::optional<std::string>(file.version->text()) : std::nullopt;
  row.description = file.description;
  row.type = migrate::kTypeSql;
  row.script = file.script;
  row.checksum = file.checksum;
  row.installed_by = settings_.installed_by;

  if (transactional) TIDE_TRY(conn.Exec("BEGIN"));
  if (hooks && hooks->before_each) {
    Status before = hooks->before_each();
    if (!before.ok()) {
      if (transactional) (void)conn.Exec("ROLLBACK");
      return before;
    }
  }
  for (const auto& st : statements) {
    auto ran = conn.Exec(st.text);
    if (!ran.ok()) {
      Error error = Locate(std::move(ran).error(), file, st);
      if (transactional) {
        (void)conn.Exec("ROLLBACK");
        if (hooks && hooks->after_each_error) hooks->after_each_error();
        return std::move(error).Context(
            fmt::format("{} failed and was rolled back; nothing of it was applied",
                        file.Label()));
      }
      if (hooks && hooks->after_each_error) hooks->after_each_error();
      row.success = false;
      row.execution_time = elapsed_ms();
      (void)session_.history().Append(conn, row);
      return std::move(error).Context(fmt::format(
          "{} failed part-way (it cannot run in one transaction); the statements before line "
          "{} were applied and a failed row was recorded",
          file.Label(), st.line));
    }
  }
  if (hooks && hooks->after_each) {
    Status after = hooks->after_each();
    if (!after.ok()) {
      if (transactional) (void)conn.Exec("ROLLBACK");
      return after;
    }
  }
  row.success = true;
  row.execution_time = elapsed_ms();
  Status recorded = session_.history().Append(conn, row);
  if (!recorded.ok()) {
    if (transactional) (void)conn.Exec("ROLLBACK");
    return recorded;
  }
  if (transactional) TIDE_TRY(conn.Exec("COMMIT"));
  return Ok();
}

Result<bool> CanResume(pg::Connection& conn, const migrate::HistoryTable& history,
                       const migrate::MigrationFile& file) {
  (void)conn;
  (void)history;
  (void)file;
  return false;
}

}  // namespace tide::exec
