#include "migrate/rollback.h"

#include <fmt/format.h>

#include <algorithm>

#include "exec/executor.h"
#include "migrate/halves.h"
#include "migrate/run_lock.h"
#include "migrate/status.h"
#include "store/audit.h"

namespace tide::migrate {

using source::Discovery;
using source::MigrationFile;
using source::MigrationKind;
using source::ScriptFormat;
using store::AuditLog;
using store::Session;

namespace {

// The declarative migrations to undo, newest first: those at the top of the history whose
// contract has not started. None, with `nothing` saying why, when the newest applied migration
// is not declarative or was contracted: nothing is open, which is what a rollback wants (a rerun
// after a rollback that finished lands here). Refuses when the newest one's contract started.
Result<std::vector<const MigrationFile*>> Candidates(const std::vector<MigrationStatus>& statuses,
                                                     const std::vector<HalfState>& open,
                                                     std::string& nothing) {
  std::vector<const MigrationFile*> out;
  for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
    const MigrationStatus& s = *it;
    auto h = std::find_if(open.begin(), open.end(),
                          [&](const HalfState& x) { return x.file == s.file && s.file; });
    if (s.kind != MigrationKind::kVersioned || !s.version || s.state == State::kDeleted ||
        s.state == State::kBelowBaseline || (!s.applied && h == open.end())) {
      continue;
    }
    std::string why;
    bool started = false;
    if (h == open.end()) {
      why = s.file && s.file->format == ScriptFormat::kYaml
                ? fmt::format("V{} was contracted already", s.VersionText())
                : fmt::format("V{} ({}) is not a declarative migration", s.VersionText(), s.script);
    } else if (h->contract_status) {
      started = true;
      why = fmt::format("the contract of V{} has started (step {} of {})", s.VersionText(),
                        h->contract_next_step + 1, h->contract_steps);
    }
    if (why.empty()) {
      out.push_back(s.file);
      continue;
    }
    if (!out.empty()) break;  // undo the ones above it
    if (!started) {
      nothing = why;
      break;
    }
    return Error::Failed(fmt::format("cannot roll back: {}", why))
        .WithHint(
            "tide rollback undoes the expand of declarative (.yaml) migrations that have "
            "not been contracted, newest first; a started contract is finished with tide "
            "contract");
  }
  return out;
}

}  // namespace

Result<RollbackResult> Rollback(Session& session, const config::Settings& settings,
                                const Discovery& discovery, const RollbackOptions& options,
                                Reporter& reporter) {
  RollbackResult result;
  pg::Connection& conn = session.conn();
  std::optional<RunLock> lock;
  if (!options.dry_run) {
    TIDE_ASSIGN(RunLock got, RunLock::Acquire(conn, session.history().LockKey(),
                                              settings.migration_lock_wait, reporter));
    lock.emplace(std::move(got));
    TIDE_TRY(AuditLog(session.schema()).MarkInterrupted(conn));
  }
  TIDE_ASSIGN(auto rows, session.history().Load(conn));
  auto statuses = ComputeStatus(discovery.migrations, rows, {});
  TIDE_ASSIGN(auto open, OpenDeclarative(conn, session.schema(), statuses));
  std::string nothing = "no migration is applied";
  TIDE_ASSIGN(auto undo, Candidates(statuses, open, nothing));
  if (undo.empty()) {
    reporter.Info(fmt::format("Nothing to roll back: {}.", nothing));
    return result;
  }
  if (options.dry_run) {
    for (const auto* f : undo) result.rolled_back.push_back(f->Label());
    return result;
  }
  AuditLog audit(session.schema());
  TIDE_ASSIGN(int64_t run_id, audit.Begin(conn, "rollback", "expand", "", ""));
  exec::Executor executor(session, settings, {}, reporter);
  for (const auto* file : undo) {
    reporter.Info(fmt::format("Rolling back {} ({})", file->Label(), file->script));
    Status st = executor.ApplyRollback(*file);
    if (!st.ok()) {
      if (!conn.IsBroken()) {
        (void)audit.End(conn, run_id, store::RunOutcome::kFailed, result.rolled_back, st.error().ToString());
      }
      return st.error();
    }
    result.rolled_back.push_back(file->Label());
  }
  TIDE_TRY(audit.End(conn, run_id, store::RunOutcome::kOk, result.rolled_back, ""));
  TIDE_ASSIGN(auto after, session.history().Load(conn));
  for (const auto& s : ComputeStatus(discovery.migrations, after, {})) {
    if (s.applied && s.applied->success && s.version) result.schema_version = s.VersionText();
  }
  return result;
}

}  // namespace tide::migrate
