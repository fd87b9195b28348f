#include "migrate/migrator.h"

#include <fmt/format.h>

#include <chrono>

#include "exec/executor.h"
#include "migrate/callbacks.h"
#include "migrate/placeholders.h"
#include "migrate/run_lock.h"

namespace tide::migrate {

Result<std::vector<MigrationStatus>> LoadStatus(Session& session, const Discovery& discovery,
                                                const StatusOptions& options,
                                                std::vector<AppliedMigration>* history_out) {
  TIDE_ASSIGN(auto history, session.history().Load(session.conn()));
  auto statuses = ComputeStatus(discovery.migrations, history, options);
  if (history_out) *history_out = std::move(history);
  return statuses;
}

namespace {

std::string NewestVersion(const std::vector<AppliedMigration>& history) {
  std::optional<Version> newest;
  for (const auto& row : history) {
    if (!row.version || !row.success || row.type == kTypeDelete) continue;
    auto v = Version::Parse(*row.version);
    if (v.ok() && (!newest || *newest < *v)) newest = *v;
  }
  return newest ? newest->text() : "";
}

// Applies files in order with Flyway's callbacks around them: afterVersioned and
// beforeRepeatables where the repeatables begin (afterVersioned at the end when none do).
Status ApplyAll(Session& session, const config::Settings& settings, const MigrateOptions& options,
                const std::vector<MigrationFile>& to_run, CallbackRunner& callbacks,
                exec::Reporter& reporter, MigrateResult& result) {
  exec::FileHooks hooks = callbacks.Hooks();
  exec::ExecutorOptions exec_options;
  exec_options.plain = options.mode == ExecutionMode::kPlain;
  exec_options.hooks = callbacks.empty() ? nullptr : &hooks;
  exec::Executor executor(session, settings, exec_options, reporter);
  bool previous_versioned = true;
  for (const auto& file : to_run) {
    if (previous_versioned && file.kind == MigrationKind::kRepeatable) {
      TIDE_TRY(callbacks.Fire(CallbackEvent::kAfterVersioned));
      TIDE_TRY(callbacks.Fire(CallbackEvent::kBeforeRepeatables));
      previous_versioned = false;
    }
    reporter.Info(fmt::format("Migrating {} ({})", file.Label(), file.script));
    auto started = std::chrono::steady_clock::now();
    TIDE_TRY(executor.Apply(file));
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count();
    reporter.Info(fmt::format("  done in {} ms", ms));
    result.applied.push_back({file.Label(), file.script, file.VersionText(), ms});
  }
  if (previous_versioned) TIDE_TRY(callbacks.Fire(CallbackEvent::kAfterVersioned));
  return Ok();
}

}  // namespace

Result<MigrateResult> Migrate(Session& session, const config::Settings& settings,
                              const Discovery& discovery, const MigrateOptions& options,
                              exec::Reporter& reporter) {
  MigrateResult result;
  pg::Connection& conn = session.conn();
  const HistoryTable& history = session.history();

  std::optional<RunLock> lock;
  if (!options.dry_run) {
    TIDE_ASSIGN(RunLock got, RunLock::Acquire(conn, history.LockKey(),
                                              settings.migration_lock_wait, reporter));
    lock.emplace(std::move(got));
    TIDE_TRY(history.CreateIfMissing(conn));
  }
  // Read the history only once the lock is ours: a run that waited must see what the other did.
  std::vector<AppliedMigration> rows;
  TIDE_ASSIGN(auto rows_loaded, history.Load(conn));
  rows = std::move(rows_loaded);
  TIDE_ASSIGN(auto target, ResolveTarget(options.target, discovery.migrations, rows));
  StatusOptions status_options{target, options.out_of_order};
  auto statuses = ComputeStatus(discovery.migrations, rows, status_options);

  // Validate first, as Flyway's validateOnMigrate does: a changed or failed migration stops the
  // run before anything is applied. (A failed one that tide can resume is the executor's.)
  auto issues = Validate(statuses, options.out_of_order);
  std::vector<ValidationIssue> blocking;
  for (auto& issue : issues) {
    bool resumable = false;
    for (const auto& s : statuses) {
      if (s.script == issue.script && s.state == State::kFailed && s.file) {
        TIDE_ASSIGN(resumable, exec::CanResume(conn, history, *s.file));
      }
    }
    if (!resumable) blocking.push_back(std::move(issue));
  }
  if (!blocking.empty()) {
    std::string text = "validation failed, nothing was applied:";
    for (const auto& i : blocking) text += "\n  - " + i.message;
    return Error::Failed(text).WithHint(blocking.front().hint);
  }

  std::vector<const MigrationFile*> pending;
  for (const auto& s : statuses) {
    if (!s.file) continue;
    bool resume = s.state == State::kFailed;
    if (s.WillRun() || resume) pending.push_back(s.file);
  }
  // Everything that could refuse to run (an undefined placeholder in a migration or a
  // callback) is checked before anything runs.
  TIDE_ASSIGN(Placeholders placeholders, RunPlaceholders(settings, conn, session.schema()));
  TIDE_ASSIGN(std::vector<MigrationFile> to_run, ResolveAll(pending, placeholders));
  TIDE_ASSIGN(CallbackRunner callbacks, CallbackRunner::Load(settings, placeholders, conn,
                                                             reporter));
  if (options.dry_run) {
    for (const auto& f : to_run) result.would_apply.push_back(f.Label());
    result.schema_version = NewestVersion(rows);
    return result;
  }
  TIDE_TRY(callbacks.Fire(CallbackEvent::kBeforeMigrate));
  Status applied = ApplyAll(session, settings, options, to_run, callbacks, reporter, result);
  if (!applied.ok()) {
    Status after_error = callbacks.Fire(CallbackEvent::kAfterMigrateError);
    if (!after_error.ok()) reporter.Warn(after_error.error().ToString());
    return applied.error();
  }
  if (to_run.empty()) {
    std::string current = NewestVersion(rows);
    reporter.Info(current.empty() ? "Nothing to migrate: no migration is pending."
                                  : fmt::format("Schema is up to date at version {}; nothing to "
                                                "migrate.",
                                                current));
  } else {
    TIDE_TRY(callbacks.Fire(CallbackEvent::kAfterMigrateApplied));
  }
  TIDE_TRY(callbacks.Fire(CallbackEvent::kAfterMigrate));
  TIDE_ASSIGN(auto after, history.Load(conn));
  result.schema_version = NewestVersion(after);
  return result;
}

}  // namespace tide::migrate
