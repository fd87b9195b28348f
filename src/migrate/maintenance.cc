#include "migrate/maintenance.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "migrate/run_lock.h"
#include "migrate/status.h"
#include "plan/step.h"
#include "store/audit.h"
#include "store/state.h"

namespace tide::migrate {

using source::Discovery;
using source::Version;
using store::AppliedMigration;
using store::AuditLog;
using store::HistoryTable;
using store::Session;
using store::kBaselineDescription;
using store::kTypeBaseline;
using store::kTypeDelete;
using store::kTypeSchema;
using store::kTypeSql;

namespace {

// A failed history row written by tide belongs to a half-applied run of its own (a state row
// not done). Repair gives that run up, as Flyway's repair gives up a failed migration: the
// state row goes, so the next migrate plans the file afresh, and so does tide's own temporary
// NOT NULL check, which no plain run of the file leaves behind. What the file's own statements
// did before the failure stays: the user undoes it, as with Flyway.
Status ForgetHalfApplied(pg::Connection& conn, const std::string& schema,
                         const config::Settings& settings, const std::string& script,
                         Reporter& reporter) {
  store::StateTable state(schema);
  TIDE_ASSIGN(auto run, state.Load(conn, script));
  if (!run || run->status == store::RunStatus::kDone) return Ok();
  TIDE_ASSIGN(plan::Plan plan, plan::Plan::FromJson(run->plan));
  TIDE_TRY(
      conn.Run(fmt::format("SET LOCAL lock_timeout = {}",
                           QuoteLiteral(std::to_string(settings.lock_timeout.count()) + "ms"))));
  for (int i = 0; i < run->next_step && i < static_cast<int>(plan.steps.size()); ++i) {
    const plan::Step& s = plan.steps[i];
    // tide_nn_: SET NOT NULL's check; tide_pb_: an ATTACH PARTITION's bound check.
    bool temporary = s.object_name.rfind("tide_nn_", 0) == 0 ||
                     s.object_name.rfind("tide_pb_", 0) == 0;
    if (s.kind != plan::StepKind::kAddConstraintNotValid || !temporary || s.lock_tables.empty()) {
      continue;
    }
    TIDE_ASSIGN(auto found, conn.QueryValue("SELECT 1 FROM pg_constraint WHERE conrelid = "
                                            "to_regclass($1) AND conname = $2",
                                            {s.lock_tables[0], s.object_name}));
    if (!found) continue;
    TIDE_TRY(conn.Run(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", s.lock_tables[0],
                                  QuoteIdent(s.object_name))));
    reporter.Info(
        fmt::format("dropped tide's temporary check {} on {} (added by the failed run "
                    "of {})",
                    s.object_name, s.table, script));
  }
  TIDE_TRY(state.Delete(conn, script));
  reporter.Info(
      fmt::format("forgot tide's half-applied run of {} ({} of {} steps applied): the "
                  "next migrate plans it again",
                  script, std::min(run->next_step, run->steps), run->steps));
  return Ok();
}

}  // namespace

Status Baseline(Session& session, const config::Settings& settings, const std::string& version,
                const std::string& description, Reporter& reporter) {
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
                            const Discovery& discovery, Reporter& reporter) {
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
    if (st.ok()) st = ForgetHalfApplied(conn, session.schema(), settings, row.script, reporter);
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
