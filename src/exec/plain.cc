// `migrate --plain`: a file as Flyway runs it, in one transaction, statements as written. Used to
// compare tide with a plain run on identical data (rehearse --compare-plain, the benchmarks).
#include <fmt/format.h>

#include <chrono>

#include "exec/executor.h"
#include "exec/locate.h"
#include "sql/classify.h"

namespace tide::exec {

Status Executor::ApplyPlain(const source::MigrationFile& file) {
  TIDE_ASSIGN(auto kept, ClassifyFile(file));
  const sql::ClassifiedScript& script = *kept;
  bool transactional = true;
  for (const auto& c : script.classified) transactional = transactional && c.transactional;
  if (file.execute_in_transaction) transactional = *file.execute_in_transaction;
  const FileHooks* hooks = options_.hooks;
  pg::Connection& conn = session_.conn();
  auto started = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count());
  };
  store::AppliedMigration row = HistoryRow(file);

  if (transactional) TIDE_TRY(conn.Exec("BEGIN"));
  if (hooks && hooks->before_each) {
    Status before = hooks->before_each();
    if (!before.ok()) {
      if (transactional) (void)conn.Exec("ROLLBACK");
      return before;
    }
  }
  for (const auto& st : script.statements) {
    auto ran = conn.Exec(st.text);
    if (!ran.ok()) {
      Error error = LocateInFile(std::move(ran).error(), file, st);
      if (transactional) {
        (void)conn.Exec("ROLLBACK");
        if (hooks && hooks->after_each_error) hooks->after_each_error();
        return std::move(error).Context(
            fmt::format("{} failed and was rolled back; nothing of it was applied", file.Label()));
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
  row.execution_time = elapsed_ms();
  Status recorded = session_.history().Append(conn, row);
  if (!recorded.ok()) {
    if (transactional) (void)conn.Exec("ROLLBACK");
    return recorded;
  }
  if (transactional) TIDE_TRY(conn.Exec("COMMIT"));
  RememberUpdates(script, file);
  return Ok();
}

}  // namespace tide::exec
