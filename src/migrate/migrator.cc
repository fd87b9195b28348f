#include "migrate/migrator.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>

#include "exec/executor.h"
#include "migrate/callbacks.h"
#include "migrate/placeholders.h"
#include "migrate/audit.h"
#include "migrate/halves.h"
#include "ops/declarative.h"
#include "migrate/run_lock.h"
#include "exec/state.h"
#include "plan/catalog.h"
#include "plan/planner.h"
#include "sql/classify.h"
#include "base/strings.h"

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

// What the files already applied did that later plans depend on, read once per command: the
// planning pass fills it, the applying pass starts from it.
using AppliedMemory = std::optional<std::vector<plan::PriorUpdate>>;

// Every file whose history row says it applied: later plans learn from them.
Status RememberApplied(exec::Executor& executor, const std::vector<MigrationStatus>& statuses,
                       AppliedMemory& memory) {
  if (memory) {
    executor.Remember(*memory);
    return Ok();
  }
  for (const auto& s : statuses) {
    if (s.file && (s.state == State::kSuccess || s.state == State::kOutOfOrder)) {
      TIDE_TRY(executor.RememberEarlier(*s.file));
    }
  }
  memory = executor.remembered();
  return Ok();
}

// Whether a migration planned before yaml in this run may create or change what yaml needs:
// a declarative one (it may create or rename tables), or SQL acting on a table yaml names.
bool EarlierMayProvide(const std::vector<PlannedMigration>& earlier, const MigrationFile& yaml) {
  std::string text = ToLower(yaml.SqlText());
  auto names = [&](const std::string& table) {
    std::string t = ToLower(table);
    for (size_t at = text.find(t); at != std::string::npos; at = text.find(t, at + 1)) {
      auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
      bool starts = at == 0 || !word(text[at - 1]);
      bool ends = at + t.size() >= text.size() || !word(text[at + t.size()]);
      if (starts && ends) return true;
    }
    return false;
  };
  for (const auto& p : earlier) {
    if (p.file->format == ScriptFormat::kYaml) return true;
    auto script = p.file->Classified();
    if (!script.ok()) return true;
    for (const auto& c : (*script)->classified) {
      if (!c.table.empty() && names(c.table.name)) return true;
    }
  }
  return false;
}

Result<std::vector<PlannedMigration>> PlanFiles(Session& session,
                                                const config::Settings& settings,
                                                const std::vector<MigrationStatus>& statuses,
                                                const std::vector<const MigrationFile*>& to_run,
                                                exec::Reporter& reporter,
                                                AppliedMemory& applied) {
  exec::Executor planner(session, settings, {}, reporter);
  TIDE_TRY(RememberApplied(planner, statuses, applied));
  exec::StateTable state(session.schema());
  std::vector<PlannedMigration> out;
  for (const auto* file : to_run) {
    PlannedMigration p;
    p.file = file;
    TIDE_ASSIGN(auto existing, state.Load(session.conn(), file->script));
    if (existing && existing->status != "done" && existing->checksum == file->checksum) {
      TIDE_ASSIGN(p.plan, plan::Plan::FromJson(existing->plan));
      p.resuming = true;
      p.next_step = existing->next_step;
    } else if (file->format == ScriptFormat::kYaml && !out.empty()) {
      // Checked against the catalog as it is now; when that fails and a migration before it in
      // this run may make the difference (it acts on a table this file names), checked on its
      // own now and against the catalog when it runs.
      TIDE_TRY(ops::LoadMigration(file->SqlText(), file->path.string()));
      auto now = planner.Plan(*file);
      if (now.ok()) {
        p.plan = std::move(now).value();
      } else if (now.error().kind() == ErrorKind::kInput && EarlierMayProvide(out, *file)) {
        p.plan.notes.push_back(
            {-1, 0, "declarative", "planned when it runs, after the migrations before it in this run"});
      } else {
        return std::move(now).error();
      }
    } else {
      TIDE_ASSIGN(p.plan, planner.PlanThenExpect(*file));
      out.push_back(std::move(p));
      continue;
    }
    TIDE_TRY(planner.Expect(*file));
    out.push_back(std::move(p));
  }
  return out;
}

// Plans every pending file before the first one runs, so that a statement tide refuses in the
// third file stops the run before the first file changes anything.
Status PlanAhead(Session& session, const config::Settings& settings,
                 const std::vector<MigrationStatus>& statuses,
                 const std::vector<const MigrationFile*>& to_run, exec::Reporter& reporter, AppliedMemory& applied) {
  TIDE_ASSIGN(auto planned, PlanFiles(session, settings, statuses, to_run, reporter, applied));
  std::string refused;
  int count = 0;
  SourceLocation first;
  for (const auto& p : planned) {
    for (const auto& r : p.plan.refusals) {
      if (count++ == 0) first = {p.file->path.string(), r.line, 0};
      refused += fmt::format("\n  {}:{}: [{}] {}\n    safe way: {}\n    or take the risk: "
                             "-- tide:allow {} <reason>",
                             p.file->path.string(), r.line, r.rule, r.message, r.recipe, r.rule);
    }
  }
  if (count == 0) return Ok();
  return Error::Input(fmt::format("tide will not run {} statement{} as written; nothing was "
                                  "run:{}",
                                  count, count == 1 ? "" : "s", refused))
      .At(first)
      .WithHint("each one would stall the application; change the file as the safe way says, or "
                "put the tide:allow comment on the line before the statement");
}

// What migrate would run, in order: pending and outdated files, and half-applied ones.
std::vector<const MigrationFile*> FilesToRun(const std::vector<MigrationStatus>& statuses) {
  std::vector<const MigrationFile*> out;
  for (const auto& s : statuses) {
    if (s.file && (s.WillRun() || s.state == State::kFailed)) out.push_back(s.file);
  }
  return out;
}

// Applies files in order with Flyway's callbacks around them: afterVersioned and
// beforeRepeatables where the repeatables begin (afterVersioned at the end when none do).
Status ApplyAll(Session& session, const config::Settings& settings, const MigrateOptions& options,
                const std::vector<MigrationStatus>& statuses, const std::vector<Scheduled>& to_run,
                CallbackRunner& callbacks, exec::Reporter& reporter, MigrateResult& result,
                AppliedMemory& applied) {
  exec::FileHooks hooks = callbacks.Hooks();
  exec::ExecutorOptions exec_options;
  exec_options.plain = options.mode == ExecutionMode::kPlain;
  exec_options.hooks = callbacks.empty() ? nullptr : &hooks;
  exec::Executor executor(session, settings, exec_options, reporter);
  if (!to_run.empty()) TIDE_TRY(RememberApplied(executor, statuses, applied));
  bool previous_versioned = true;
  for (const auto& item : to_run) {
    const MigrationFile& file = *item.file;
    if (previous_versioned && file.kind == MigrationKind::kRepeatable) {
      TIDE_TRY(callbacks.Fire(CallbackEvent::kAfterVersioned));
      TIDE_TRY(callbacks.Fire(CallbackEvent::kBeforeRepeatables));
      previous_versioned = false;
    }
    reporter.Info(fmt::format("Migrating {} ({})", item.Label(), file.script));
    auto started = std::chrono::steady_clock::now();
    TIDE_TRY(item.half == Half::kContract ? executor.ApplyContract(file) : executor.Apply(file));
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count();
    reporter.Info(fmt::format("  done in {}", FormatDuration(std::chrono::milliseconds(ms))));
    result.applied.push_back({item.Label(), file.script, file.VersionText(), file.description, ms,
                              executor.last_steps()});
    // (Apply has remembered the file for the plans after it; a contract half teaches nothing.)
    file.ForgetClassified();  // ran: its parse trees are not read again
  }
  if (previous_versioned) TIDE_TRY(callbacks.Fire(CallbackEvent::kAfterVersioned));
  return Ok();
}

}  // namespace

namespace {

// The gate, when it is configured; a refusal is recorded in the audit log and returned.
Status RunGate(Session& session, const MigrateOptions& options, MigrateResult& result,
               exec::Reporter& reporter) {
  if (!options.skip_gate_reason.empty()) {
    reporter.Warn(fmt::format("the replica gate is skipped: {}", options.skip_gate_reason));
    result.gate = "skipped: " + options.skip_gate_reason;
    return Ok();
  }
  if (!options.gate.configured()) {
    if (options.phase == PhaseFilter::kContract) {
      return Error::Usage("tide contract needs a gate: which release must every instance run?")
          .WithHint("pass --app NAME --version V (sessions name themselves NAME/VERSION in "
                    "application_name), or --check-command CMD, or set [gate] in tide.toml; in "
                    "an emergency, --skip-gate \"reason\" (recorded)");
    }
    reporter.Warn("contract migrations will run and no gate is configured: tide cannot tell "
                  "whether an old release is still connected (use tide expand, then tide "
                  "contract --app NAME --version V, in separate deployments)");
    return Ok();
  }
  TIDE_ASSIGN(auto gate, gate::Check(session.conn(), options.gate));
  result.gate = gate.summary;
  reporter.Info("Gate: " + gate.summary);
  if (gate.pooler_waived) {
    reporter.Warn(fmt::format("the gate cannot see clients idle in the pooler (no "
                              "--pooler-admin-url): {}",
                              options.gate.skip_pooler_clients_reason));
  }
  if (gate.standbys_waived) {
    reporter.Warn(fmt::format("the gate did not read {} replica{} streaming from the database: {}",
                              gate.unchecked_count, gate.unchecked_count == 1 ? "" : "s",
                              options.gate.skip_standbys_reason));
  }
  if (gate.passed) return Ok();
  AuditLog audit(session.schema());
  auto id = audit.Begin(session.conn(), options.command, PhaseFilterName(options.phase),
                        gate.summary, "");
  std::string text = fmt::format("the gate refused: {}{}", gate.Headline(), gate.Describe());
  if (id.ok()) (void)audit.End(session.conn(), *id, "refused", {}, text);
  return Error::Refused(text).WithHint(gate.Hint() +
                                       ", then run tide contract again; nothing "
                                       "was changed");
}

std::string SessionList(const std::vector<std::string>& others) {
  std::string list;
  for (size_t i = 0; i < others.size() && i < 10; ++i) list += "\n  " + others[i];
  return list;
}

// A contract right after its expand, in one run, breaks an old release that is still running;
// with no other session connected (a fresh database, CI) there is none to break.
Status CheckSameRun(Session& session, const MigrateOptions& options, const Schedule& schedule) {
  const Scheduled* contract = schedule.ContractAfterExpand();
  if (!contract || !options.skip_gate_reason.empty()) return Ok();
  TIDE_ASSIGN(auto others, OtherSessions(session.conn()));
  if (others.empty()) return Ok();
  std::string list = SessionList(others);
  return Error::Refused(fmt::format("{} is a contract migration and the expand before it would "
                                    "be applied in this same run, while {} other session{} "
                                    "{} connected:{}",
                                    contract->file->Label(), others.size(),
                                    others.size() == 1 ? "" : "s",
                                    others.size() == 1 ? "is" : "are", list))
      .WithHint("deploy in two steps: tide expand now, roll out the new release, then tide "
                "contract; nothing was changed");
}

// A file that both expands and contracts runs as written only where it can break no running
// release: no other session is connected (the same test as CheckSameRun) and every table it
// contracts is small. Judged on the database, so the same file runs on an empty CI database and
// is refused (exit 3, nothing changed) on a production one with its application connected.
Status CheckMixedFiles(Session& session, const config::Settings& settings, const Schedule& schedule,
                       exec::Reporter& reporter, MigrateResult& result) {
  std::vector<const Scheduled*> mixed;
  for (const auto& s : schedule.run) {
    if (s.mixed) mixed.push_back(&s);
  }
  if (mixed.empty()) return Ok();
  auto refuse = [](const Scheduled& s, const std::string& why) {
    return Error::Refused(fmt::format("{} mixes expand and contract statements, and {}: run "
                                      "together, a running release may break:{}",
                                      s.file->Label(), why, s.mixed_statements))
        .At({s.file->path.string(), 0, 0})
        .WithHint(
            "split it: the expand statements in this version, the contract statements in "
            "a later one, applied with tide contract once every instance runs the new "
            "release; nothing was changed");
  };
  TIDE_ASSIGN(auto others, OtherSessions(session.conn()));
  if (!others.empty()) {
    return refuse(*mixed.front(),
                  fmt::format("{} other session{} {} connected:{}", others.size(),
                              others.size() == 1 ? "" : "s", others.size() == 1 ? "is" : "are",
                              SessionList(others)));
  }
  int64_t small = settings.backfill.small_table_rows;
  plan::PgCatalog catalog(session.conn(), small);
  int64_t largest = 0;
  for (const auto* s : mixed) {
    for (const auto& t : s->contracted_tables) {
      TIDE_ASSIGN(auto facts, catalog.Table(t));
      if (!facts.exists) continue;  // created earlier in this run: empty
      if (!facts.small) {
        return refuse(*s, fmt::format("it contracts {}, which holds more than "
                                      "small_table_rows ({}) rows (an estimated {})",
                                      t.Display(), small, facts.rows));
      }
      largest = std::max(largest, std::max<int64_t>(facts.rows, 0));
    }
    result.mixed_files.push_back(s->file->Label());
  }
  result.mixed_why = fmt::format(
      "no other session is connected and every table they contract "
      "is small (at most {} rows, small_table_rows {}), so no running "
      "release can break",
      largest, small);
  reporter.Info(
      fmt::format("Running {} file{} that mix{} expand and contract statements as "
                  "written ({}): {}.",
                  mixed.size(), mixed.size() == 1 ? "" : "s", mixed.size() == 1 ? "es" : "",
                  Join(result.mixed_files, ", "), result.mixed_why));
  return Ok();
}

std::vector<std::string> Labels(const MigrateResult& result) {
  std::vector<std::string> out;
  for (const auto& a : result.applied) out.push_back(a.label);
  return out;
}

}  // namespace

Result<MigrateResult> Migrate(Session& session, const config::Settings& settings,
                              const Discovery& discovery, const MigrateOptions& options,
                              exec::Reporter& reporter) {
  MigrateResult result;
  pg::Connection& conn = session.conn();
  const HistoryTable& history = session.history();
  // A contract run asks the gate before anything else.
  if (options.phase == PhaseFilter::kContract) TIDE_TRY(RunGate(session, options, result, reporter));

  std::optional<RunLock> lock;
  if (!options.dry_run) {
    TIDE_ASSIGN(RunLock got, RunLock::Acquire(conn, history.LockKey(),
                                              settings.migration_lock_wait, reporter));
    lock.emplace(std::move(got));
    TIDE_TRY(AuditLog(session.schema()).MarkInterrupted(conn));
    TIDE_TRY(history.CreateIfMissing(conn));
  }
  // Read the history only once the lock is ours: a run that waited must see what the other did.
  TIDE_ASSIGN(auto rows, history.Load(conn));
  TIDE_ASSIGN(auto target, ResolveTarget(options.target, discovery.migrations, rows));
  auto statuses = ComputeStatus(discovery.migrations, rows, {target, options.out_of_order});

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

  // Everything that could refuse to run (an undefined placeholder, a mixed file, a contract too
  // early, a statement tide will not run as written) is checked before anything runs.
  TIDE_ASSIGN(Placeholders placeholders, RunPlaceholders(settings, conn, session.schema()));
  TIDE_ASSIGN(std::vector<MigrationFile> pending, ResolveAll(FilesToRun(statuses), placeholders));
  std::vector<const MigrationFile*> pending_ptrs;
  for (const auto& f : pending) pending_ptrs.push_back(&f);
  TIDE_ASSIGN(auto open, OpenDeclarative(conn, session.schema(), statuses));
  TIDE_ASSIGN(Schedule schedule,
              MakeSchedule(pending_ptrs, options.phase, ContractPending(open), LiveFacts(conn)));
  result.stopped_before = schedule.stopped_before;
  TIDE_TRY(CheckMixedFiles(session, settings, schedule, reporter, result));
  if (schedule.has_contract()) {
    if (options.phase == PhaseFilter::kAll) TIDE_TRY(RunGate(session, options, result, reporter));
    TIDE_TRY(CheckSameRun(session, options, schedule));
    TIDE_TRY(CheckExpandAge(schedule, discovery.migrations, rows, options.min_expand_age, conn));
  }
  const std::vector<Scheduled>& to_run = schedule.run;
  TIDE_ASSIGN(CallbackRunner callbacks, CallbackRunner::Load(settings, placeholders, conn,
                                                             reporter));
  if (options.dry_run) {
    for (const auto& s : to_run) result.would_apply.push_back(s.Label());
    result.schema_version = NewestVersion(rows);
    return result;
  }
  // Every file that runs is planned first (a contract half runs the plan stored with its
  // expand: nothing to plan).
  AppliedMemory applied_memory;
  std::vector<const MigrationFile*> to_plan;
  for (const auto& s : to_run) {
    if (s.half != Half::kContract) to_plan.push_back(s.file);
  }
  if (options.mode != ExecutionMode::kPlain && !to_plan.empty()) {
    TIDE_TRY(PlanAhead(session, settings, statuses, to_plan, reporter, applied_memory));
  }
  AuditLog audit(session.schema());
  TIDE_ASSIGN(int64_t run_id, audit.Begin(conn, options.command, PhaseFilterName(options.phase),
                                          result.gate, options.skip_gate_reason));
  TIDE_TRY(callbacks.Fire(CallbackEvent::kBeforeMigrate));
  Status applied =
      ApplyAll(session, settings, options, statuses, to_run, callbacks, reporter, result,
               applied_memory);
  if (!applied.ok()) {
    Status after_error = callbacks.Fire(CallbackEvent::kAfterMigrateError);
    if (!after_error.ok()) reporter.Warn(after_error.error().ToString());
    if (!conn.IsBroken()) {
      (void)audit.End(conn, run_id, "failed", Labels(result), applied.error().ToString());
    }
    return applied.error();
  }
  if (to_run.empty()) {
    std::string current = NewestVersion(rows);
    reporter.Info(current.empty() ? "Nothing to migrate: no migration is pending."
                                  : fmt::format("Schema is up to date at version {}; nothing to "
                                                "{}.",
                                                current,
                                                options.phase == PhaseFilter::kAll
                                                    ? "migrate"
                                                    : PhaseFilterName(options.phase)));
  } else {
    TIDE_TRY(callbacks.Fire(CallbackEvent::kAfterMigrateApplied));
  }
  if (!schedule.stopped_before.empty()) {
    reporter.Info(fmt::format("Stopped before {}: it runs with tide {}.", schedule.stopped_before,
                              options.phase == PhaseFilter::kExpand ? "contract" : "expand"));
  }
  TIDE_TRY(callbacks.Fire(CallbackEvent::kAfterMigrate));
  TIDE_TRY(audit.End(conn, run_id, "ok", Labels(result), ""));
  TIDE_ASSIGN(auto after, history.Load(conn));
  result.schema_version = NewestVersion(after);
  return result;
}

}  // namespace tide::migrate

namespace tide::migrate {

Result<std::vector<PlannedMigration>> PlanPending(Session& session,
                                                  const config::Settings& settings,
                                                  const Discovery& discovery,
                                                  const MigrateOptions& options,
                                                  exec::Reporter& reporter) {
  TIDE_ASSIGN(auto rows, session.history().Load(session.conn()));
  TIDE_ASSIGN(auto target, ResolveTarget(options.target, discovery.migrations, rows));
  auto statuses = ComputeStatus(discovery.migrations, rows, {target, options.out_of_order});
  TIDE_ASSIGN(Placeholders placeholders,
              RunPlaceholders(settings, session.conn(), session.schema()));
  TIDE_ASSIGN(std::vector<MigrationFile> resolved,
              ResolveAll(FilesToRun(statuses), placeholders));
  // The plans point at their files: keep the resolved copies alive with them.
  auto kept = std::make_shared<std::vector<MigrationFile>>(std::move(resolved));
  std::vector<const MigrationFile*> pointers;
  for (const auto& f : *kept) pointers.push_back(&f);
  AppliedMemory applied;
  TIDE_ASSIGN(auto planned, PlanFiles(session, settings, statuses, pointers, reporter, applied));
  for (auto& p : planned) p.keep_alive = kept;
  return planned;
}

Result<std::vector<PlannedMigration>> PlanOffline(const config::Settings& settings,
                                                  const Discovery& discovery) {
  plan::OfflineCatalog catalog;
  plan::Planner planner(catalog, {settings.backfill.small_table_rows});
  Placeholders placeholders = ConfiguredPlaceholders(settings);
  auto kept = std::make_shared<std::vector<MigrationFile>>();
  for (const auto& file : discovery.migrations) {
    kept->push_back(file);
    TIDE_TRY(ResolveSql(kept->back(), placeholders));
  }
  std::vector<PlannedMigration> out;
  for (const auto& file : *kept) {
    if (file.format == ScriptFormat::kYaml) {
      // Checked on its own (fields, expressions); its steps depend on the catalog.
      TIDE_TRY(ops::LoadMigration(file.SqlText(), file.path.string()));
      PlannedMigration p;
      p.file = &file;
      p.keep_alive = kept;
      p.plan.notes.push_back({-1, 0, "declarative",
                              "a declarative migration is planned against the database"});
      out.push_back(std::move(p));
      continue;
    }
    TIDE_ASSIGN(auto script, file.ClassifiedOnce());
    PlannedMigration p;
    p.file = &file;
    p.keep_alive = kept;
    TIDE_ASSIGN(p.plan, planner.PlanScript(*script));
    // Tables created by earlier files are not new here: in production they hold data. Only a
    // table created earlier in the same file is new (the planner sees that itself).
    planner.RememberPriorUpdates(*script, file.script);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace tide::migrate
