#include "migrate/maintenance.h"

#include <fmt/format.h>

#include "migrate/audit.h"
#include "migrate/run_lock.h"
#include "migrate/status.h"

namespace tide::migrate {

Status Baseline(Session& session, const config::Settings& settings, const std::string& version,
                const std::string& description, exec::Reporter& reporter) {
  TIDE_ASSIGN(Version v, Version::Parse(version));
  pg::Connection& conn = session.conn();
  TIDE_ASSIGN(RunLock lock, RunLock::Acquire(conn, session.history().LockKey(),
                                             settings.migration_lock_wait, reporter));
  TIDE_TRY(session.history().CreateIfMissing(conn));
  TIDE_ASSIGN(auto rows, session.history().Load(conn));
  for (const auto& row : rows) {
    if (row.type == kTypeSchema) continue;
    if (row.type == kTypeBaseline && row.version && Version::Parse(*row.version).ok() &&
        *Version::Parse(*row.version) == v) {
      reporter.Info(fmt::format("Already baselined at version {}.", *row.version));
      return Ok();
    }
    return Error::Input(fmt::format("cannot baseline {}: it already holds {} {} (rank {})",
                                    session.history().Qualified(),
                                    row.type == kTypeBaseline ? "a baseline at" : "migration",
                                    row.version.value_or(row.description), row.installed_rank))
        .WithHint("baseline is for a database that has a schema but no history yet");
  }
  AppliedMigration row;
  row.version = v.text();
  row.description = description.empty() ? kBaselineDescription : description;
  row.type = kTypeBaseline;
  row.script = kBaselineDescription;
  row.installed_by = settings.installed_by;
  TIDE_TRY(session.history().Append(conn, row));
  reporter.Info(fmt::format("Baselined {} at version {}: migrations up to it will not run.",
                            session.history().Qualified(), v.text()));
  return Ok();
}

Result<RepairResult> Repair(Session& session, const config::Settings& settings,
                            const Discovery& discovery, exec::Reporter& reporter) {
  pg::Connection& conn = session.conn();
  const HistoryTable& history = session.history();
  TIDE_ASSIGN(RunLock lock,
              RunLock::Acquire(conn, history.LockKey(), settings.migration_lock_wait, reporter));
  TIDE_TRY(AuditLog(session.schema()).MarkInterrupted(conn));
  TIDE_ASSIGN(auto rows, history.Load(conn));
  auto statuses = ComputeStatus(discovery.migrations, rows, {});
  RepairResult result;
  TIDE_TRY(conn.Exec("BEGIN"));
  auto fail = [&conn](Error e) -> Error {
    (void)conn.Exec("ROLLBACK");
    return e;
  };
  for (const auto& row : rows) {
    if (row.success) continue;
    Status st = history.DeleteRank(conn, row.installed_rank);
    if (!st.ok()) return fail(st.error());
    reporter.Info(fmt::format("removed failed row of {} (rank {})",
                              row.version ? "V" + *row.version : row.description,
                              row.installed_rank));
    ++result.removed_failed;
  }
  for (const auto& s : statuses) {
    if (!s.applied || !s.applied->success || s.applied->type != kTypeSql) continue;
    if (s.file && (s.applied->checksum != s.file->checksum ||
                   s.applied->description != s.file->description)) {
      Status st = history.UpdateChecksum(conn, s.applied->installed_rank, s.file->checksum,
                                         s.file->description);
      if (!st.ok()) return fail(st.error());
      reporter.Info(fmt::format("realigned {} to its file", s.script));
      ++result.realigned;
    } else if (!s.file && s.state == State::kMissing) {
      AppliedMigration marker = *s.applied;
      marker.type = kTypeDelete;
      marker.execution_time = 0;
      marker.installed_by = settings.installed_by;
      Status st = history.Append(conn, marker);
      if (!st.ok()) return fail(st.error());
      reporter.Info(fmt::format("marked {} deleted: its file is gone", s.script));
      ++result.marked_deleted;
    }
  }
  TIDE_TRY(conn.Exec("COMMIT"));
  return result;
}

}  // namespace tide::migrate
