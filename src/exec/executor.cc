#include "exec/executor.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/fault.h"
#include "base/strings.h"
#include "base/text.h"
#include "exec/backfill.h"
#include "exec/index_builder.h"
#include "exec/locate.h"
#include "exec/lock_retry.h"
#include "exec/partition_exec.h"
#include "exec/reconnect.h"
#include "plan/catalog.h"

namespace tide::exec {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using plan::StepKind;

namespace {

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string Short(const std::string& sql) { return Abbreviate(OneLine(sql), 100); }

// Steps that run inside a transaction of tide's (grouped or alone), with their bookkeeping.
bool RunsInTransaction(const plan::Step& s) {
  return s.transactional &&
         (s.kind == StepKind::kSql || s.kind == StepKind::kSession ||
          s.kind == StepKind::kAddConstraintNotValid || s.kind == StepKind::kValidateConstraint);
}

// A statement as written that needs nothing of tide but its transaction and lock timeout: a run
// of these goes to the server in one round trip (a file of seed data is mostly these). Only
// statements that take no lock stronger than ROW EXCLUSIVE (so no step tide watches for lock
// waits is hidden inside a batch), and never COPY (its data would be read from tide).
bool Batchable(const plan::Step& s) {
  if (s.kind != StepKind::kSql || !s.why.empty() || s.statement < 0 || !s.transactional ||
      s.own_transaction || static_cast<int>(s.lock) > static_cast<int>(sql::Lock::kRowExclusive)) {
    return false;
  }
  std::string_view head = Trim(std::string_view(s.sql).substr(0, 8));
  return ToLower(head.substr(0, 4)) != "copy";
}

// The end of the batch that starts at step `first` (at most `end`): up to about 1 MB of SQL.
int BatchEnd(const plan::Plan& plan, int first, int end) {
  constexpr size_t kBatchBytes = 1 << 20;
  size_t bytes = 0;
  int k = first;
  while (k < end && Batchable(plan.steps[k]) && bytes < kBatchBytes) {
    bytes += plan.steps[k].sql.size();
    ++k;
  }
  return k;
}

LockPolicy PolicyOf(const config::Settings& settings) {
  LockPolicy p;
  p.lock_timeout = settings.lock_timeout;
  p.budget = settings.lock_wait;
  return p;
}

// Points an error at the file: the step's statement, and the server's cursor inside it when the
// step runs the statement as written.
Error Locate(Error error, const plan::Step& step, const migrate::MigrationFile& file) {
  if (error.location() || step.statement < 0) return error;
  int line = step.line;
  int column = step.column;
  if (error.position() > 0 && step.why.empty()) {
    LineColumn inside = PositionOf(step.sql, ByteOfCharacter(step.sql, error.position()));
    line += inside.line - 1;
    column = inside.line == 1 ? column + inside.column - 1 : inside.column;
  }
  return std::move(error).At({file.path.string(), line, column});
}

}  // namespace

Executor::Executor(migrate::Session& session, const config::Settings& settings,
                   ExecutorOptions options, Reporter& reporter)
    : session_(session),
      settings_(settings),
      options_(options),
      reporter_(reporter),
      state_(session.schema()) {}

Result<std::shared_ptr<sql::ClassifiedScript>> Executor::ClassifyFile(
    const migrate::MigrationFile& file, bool keep) {
  if (file.format != migrate::ScriptFormat::kSql) {
    return Error::Internal(
        fmt::format("{} is declarative: it has no SQL to classify", file.script));
  }
  return keep ? file.Classified() : file.ClassifiedOnce();
}

Status Executor::RememberEarlier(const migrate::MigrationFile& file) {
  if (file.format != migrate::ScriptFormat::kSql) return Ok();
  // Read once: a file already applied is not planned or run again.
  auto script = ClassifyFile(file, false);
  if (!script.ok()) return Ok();  // an old file tide cannot parse has nothing to teach
  RememberUpdates(**script, file);
  return Ok();
}

void Executor::RememberUpdates(const sql::ClassifiedScript& script,
                               const migrate::MigrationFile& file) {
  auto updates = plan::PriorUpdatesOf(script, file.script);
  prior_updates_.insert(prior_updates_.end(), updates.begin(), updates.end());
}

void Executor::NoteCreated(const sql::ClassifiedScript& script) {
  auto find = [&](const sql::TableName& table) {
    return std::find_if(created_.begin(), created_.end(), [&](const sql::TableName& t) {
      return t.name == table.name &&
             (t.schema.empty() || table.schema.empty() || t.schema == table.schema);
    });
  };
  for (const auto& c : script.classified) {
    if (c.action == sql::Action::kCreateTable || c.action == sql::Action::kCreateTableAs) {
      created_.push_back(c.table);
    } else if (c.action == sql::Action::kRenameTable && !c.commands.empty() &&
               !c.commands[0].new_name.empty()) {
      // ALTER TABLE packages RENAME TO crates: crates is the same new table (same schema).
      auto it = find(c.table);
      if (it == created_.end()) continue;
      sql::TableName renamed{it->schema.empty() ? c.table.schema : it->schema,
                             c.commands[0].new_name};
      created_.erase(it);
      created_.push_back(std::move(renamed));
    } else if (c.action == sql::Action::kDropTable) {
      // Gone: an old table renamed to its name later is not new.
      for (const auto& cmd : c.commands) {
        for (auto it = find(cmd.table); it != created_.end(); it = find(cmd.table)) {
          created_.erase(it);
        }
      }
    }
  }
}

void Executor::NoteFileTables(const sql::ClassifiedScript& script) {
  file_new_.clear();
  // Ends the span of quoted that is open at `at` (the statements before `at` keep it).
  auto close = [&](const std::string& quoted, size_t at) {
    auto it = file_new_.find(quoted);
    if (it != file_new_.end() && it->second.back().second == SIZE_MAX) it->second.back().second = at;
  };
  for (const auto& c : script.classified) {
    if (c.action == sql::Action::kCreateTable || c.action == sql::Action::kCreateTableAs) {
      std::string quoted = c.table.Quoted();
      close(quoted, c.index);
      file_new_[quoted].push_back({c.index, SIZE_MAX});
    } else if (c.action == sql::Action::kRenameTable && !c.commands.empty() &&
               !c.commands[0].new_name.empty()) {
      std::string from = c.table.Quoted();
      std::string to = sql::TableName{c.table.schema, c.commands[0].new_name}.Quoted();
      bool was_new = NewInFile(from, static_cast<int>(c.index));
      close(from, c.index + 1);
      close(to, c.index);
      if (was_new) file_new_[to].push_back({c.index, SIZE_MAX});
    } else if (c.action == sql::Action::kDropTable) {
      for (const auto& cmd : c.commands) close(cmd.table.Quoted(), c.index + 1);
    }
  }
}

bool Executor::NewInFile(const std::string& quoted, int statement) const {
  if (statement < 0) return false;
  auto it = file_new_.find(quoted);
  if (it == file_new_.end()) return false;
  auto at = static_cast<size_t>(statement);
  for (const auto& [from, to] : it->second) {
    if (from < at && at < to) return true;
  }
  return false;
}

Status Executor::Expect(const migrate::MigrationFile& file) {
  if (file.format == migrate::ScriptFormat::kYaml) return Ok();  // plans read the live catalog
  TIDE_ASSIGN(auto script, ClassifyFile(file));
  NoteCreated(*script);
  RememberUpdates(*script, file);
  return Ok();
}

Result<plan::Plan> Executor::PlanThenExpect(const migrate::MigrationFile& file) {
  if (file.format != migrate::ScriptFormat::kSql) {
    TIDE_ASSIGN(plan::Plan planned, Plan(file));
    TIDE_TRY(Expect(file));
    return planned;
  }
  TIDE_ASSIGN(auto script, ClassifyFile(file));
  TIDE_ASSIGN(plan::Plan planned, PlanClassified(*script));
  NoteCreated(*script);
  RememberUpdates(*script, file);
  return planned;
}

Result<plan::Plan> Executor::Plan(const migrate::MigrationFile& file) {
  if (file.format == migrate::ScriptFormat::kYaml) {
    TIDE_ASSIGN(auto declarative, PlanDeclarative(file));
    return declarative.expand;
  }
  TIDE_ASSIGN(auto script, ClassifyFile(file));
  return PlanClassified(*script);
}

Result<plan::Plan> Executor::PlanClassified(const sql::ClassifiedScript& script) {
  plan::PgCatalog catalog(session_.conn(), settings_.backfill.small_table_rows);
  plan::Planner planner(catalog, {settings_.backfill.small_table_rows});
  planner.RememberPriorUpdates(prior_updates_);
  for (const auto& t : created_) planner.AddCreatedTable(t);
  return planner.PlanScript(script);
}

Status Executor::Apply(const migrate::MigrationFile& file) {
  half_ = Half::kWhole;
  if (options_.plain && file.format == migrate::ScriptFormat::kSql) return ApplyPlain(file);
  pg::Connection& conn = session_.conn();
  TIDE_TRY(state_.CreateIfMissing(conn));
  TIDE_ASSIGN(auto existing, TakeUnfinished(file.script));
  started_ = Clock::now();
  last_steps_.clear();
  done_in_group_.reset();
  file_new_.clear();  // a resumed run has no classified file: every table's holders are asked
  had_state_ = existing.has_value();
  if (existing && existing->status != "done") {
    if (existing->checksum != file.checksum) {
      return Error::Input(
                 fmt::format("{} was half-applied (step {} of {}) from a different version of "
                             "the file: tide cannot resume it",
                             file.Label(), existing->next_step, existing->steps))
          .At({file.path.string(), 0, 0})
          .WithHint(
              "restore the file as it was when the run started, run tide migrate to "
              "finish it, and put the change in a new migration");
    }
    TIDE_ASSIGN(plan::Plan stored, plan::Plan::FromJson(existing->plan));
    reporter_.Info(fmt::format(
        "  {}{}", ResumingAt(existing->next_step, static_cast<int>(stored.steps.size())),
        existing->error.empty() ? "" : " (it stopped: " + Abbreviate(existing->error, 200) + ")"));
    TIDE_TRY(
        RunPlan(file, stored, existing->next_step, existing->outputs, existing->checkpoint, true));
    TIDE_TRY(RememberEarlier(file));
    FaultPoint("executor.applied");
    return Ok();
  }
  if (file.format == migrate::ScriptFormat::kYaml) return ApplyDeclarativeExpand(file);
  TIDE_ASSIGN(auto script, ClassifyFile(file));
  NoteFileTables(*script);
  TIDE_ASSIGN(plan::Plan planned, PlanClassified(*script));
  if (!planned.refusals.empty()) {
    const auto& r = planned.refusals.front();
    std::string text = fmt::format("tide will not run {} as written: {}", file.Label(), r.message);
    if (planned.refusals.size() > 1) {
      text += fmt::format(" (and {} more refusal{})", planned.refusals.size() - 1,
                          planned.refusals.size() == 2 ? "" : "s");
    }
    return Error::Input(text)
        .At({file.path.string(), r.line, 0})
        .WithHint(fmt::format("{}; or, to take the risk, put '-- tide:allow {} <reason>' on the "
                              "line before it. Nothing was run.",
                              r.recipe, r.rule));
  }
  MigrationState state;
  state.script = file.script;
  state.version = file.version ? std::optional<std::string>(file.version->text()) : std::nullopt;
  state.description = file.description;
  state.checksum = file.checksum;
  state.phase = sql::PhaseName(script->phase);
  state.steps = static_cast<int>(planned.steps.size());
  bool one_transaction = !planned.steps.empty() && planned.GroupCount() == 1 &&
                         RunsInTransaction(planned.steps.front()) &&
                         RunsInTransaction(planned.steps.back());
  if (one_transaction) {
    // No state row: the history row, committed in the same transaction, says it is done, and a
    // rolled-back transaction leaves nothing to resume. Reconnect() tells the two apart by the
    // history rows added since the run began.
    if (!history_baseline_) {
      TIDE_ASSIGN(auto rank, conn.QueryValue(fmt::format(
                                 "SELECT coalesce(max(installed_rank), 0) FROM {}",
                                 session_.history().Qualified())));
      history_baseline_ = rank ? std::stoll(*rank) : 0;
    }
    done_in_group_ = state;
  } else {
    // Only a stored plan is read back (a resume runs it); a file of seed data in one
    // transaction would otherwise build a JSON copy of every statement for nothing.
    state.plan = planned.ToJson();
    TIDE_TRY(state_.Start(conn, state));
  }
  FaultPoint("state.started");
  Status ran = RunPlan(file, planned, 0, json::object(), json(), false);
  done_in_group_.reset();
  TIDE_TRY(ran);
  // Later files of this run find these tables new: no release uses them yet, and planning
  // needs no catalog query for them (a replay onto an empty database creates every table).
  NoteCreated(*script);
  RememberUpdates(*script, file);
  FaultPoint("executor.applied");
  return Ok();
}

Result<std::optional<MigrationState>> Executor::TakeUnfinished(const std::string& script) {
  if (!unfinished_) {
    TIDE_ASSIGN(auto rows, state_.LoadUnfinished(session_.conn()));
    unfinished_.emplace();
    for (auto& row : rows) (*unfinished_)[row.script] = std::move(row);
  }
  auto found = unfinished_->find(script);
  if (found == unfinished_->end()) return std::optional<MigrationState>();
  std::optional<MigrationState> out = std::move(found->second);
  unfinished_->erase(found);
  return out;
}

Status Executor::ReplaySessionSteps(const plan::Plan& plan, int before) {
  // Session settings from the file hold for the steps after them, also in a resumed run.
  for (int i = 0; i < before && i < static_cast<int>(plan.steps.size()); ++i) {
    if (plan.steps[i].kind == StepKind::kSession) TIDE_TRY(session_.conn().Run(plan.steps[i].sql));
  }
  return Ok();
}

Result<MigrationState> Executor::Reconnect(const migrate::MigrationFile& file,
                                           const plan::Plan& plan, int at, const Error& cause) {
  const int n = static_cast<int>(plan.steps.size());
  // libpq's text for a lost connection runs over several lines; the first says it.
  std::string why = Split(cause.message(), '\n').front();
  reporter_.Warn(
      fmt::format("the connection to the server was lost at step {} of {} of {} ({}); "
                  "{}",
                  std::min(at + 1, n), n, file.Label(), why,
                  settings_.reconnect_wait.count() > 0
                      ? "reconnecting for up to " + FormatDuration(settings_.reconnect_wait)
                      : "not reconnecting (reconnect_wait = 0)"));
  Status back =
      ReconnectSession(session_, session_.history().LockKey(), settings_.reconnect_wait, reporter_);
  if (!back.ok()) {
    return Error::Failed(fmt::format("{} stopped at step {} of {}: the connection was lost ({}) "
                                     "and {}; what was done is recorded, so nothing is lost",
                                     file.Label(), std::min(at + 1, n), n, why,
                                     back.error().message()))
        .WithHint(
            "run tide migrate again once the server is back: it resumes where this run "
            "stopped");
  }
  // Only what committed counts: the state row says which groups and batches did.
  std::optional<MigrationState> state;
  if (done_in_group_) {
    // A file in one transaction has no state row (a row of the script from an earlier run may
    // be there, and says nothing of this one): its one transaction committed with its history
    // row in it, or rolled back and starts again. The run lock keeps other runs out, so a
    // success row of the script added since the run began is this run's.
    TIDE_ASSIGN(auto committed,
                session_.conn().QueryValue(
                    fmt::format("SELECT 1 FROM {} WHERE script = $1 AND success "
                                "AND installed_rank > $2::integer",
                                session_.history().Qualified()),
                    {file.script, std::to_string(history_baseline_.value_or(0))}));
    state = *done_in_group_;
    state->status = committed ? "done" : "running";
    state->next_step = committed ? state->steps : 0;
  } else {
    TIDE_ASSIGN(state, state_.Load(session_.conn(), file.script));
  }
  if (!state) return Error::Internal(fmt::format("the state of {} is gone", file.script));
  if (state->status != "done") TIDE_TRY(ReplaySessionSteps(plan, state->next_step));
  reporter_.Info(fmt::format("  reconnected: {} continues at step {} of {}", file.Label(),
                             std::min(state->next_step + 1, n), n));
  return *state;
}

Status Executor::RecordInOwnTransaction(const migrate::MigrationFile& file, int n) {
  pg::Connection& conn = session_.conn();
  TIDE_TRY(conn.Run("BEGIN"));
  Status st = n == 0 ? BeforeEach() : Ok();
  if (st.ok()) st = AfterEach();
  if (st.ok()) st = RecordSuccess(file, MsSince(started_));
  if (st.ok()) FaultPoint("group.before_commit");
  if (st.ok()) st = conn.Run("COMMIT");
  if (!st.ok() && !conn.IsBroken()) (void)conn.Exec("ROLLBACK");
  return st;
}

Status Executor::RunPlan(const migrate::MigrationFile& file, plan::Plan& plan, int start,
                         json outputs, json checkpoint, bool resumed) {
  const int n = static_cast<int>(plan.steps.size());
  if (start == 0) {
    reporter_.Info(fmt::format("  {} step{} in {} transaction{}", n, n == 1 ? "" : "s",
                               plan.GroupCount(), plan.GroupCount() == 1 ? "" : "s"));
  }
  pg::Connection& conn = session_.conn();
  step_rows_.clear();
  TIDE_TRY(ReplaySessionSteps(plan, start));
  if (resumed) {
    Status redo = RedoCatchUps(file, plan, start, checkpoint);
    if (!redo.ok()) return Failure(file, plan, start, start, redo.error(), true);
  }
  bool committed = resumed;
  int i = start;
  while (i < n) {
    int end = i + 1;
    while (end < n && plan.steps[end].group == plan.steps[i].group) ++end;
    failed_step_ = i;
    Status st = RunGroup(file, plan, i, end, outputs, checkpoint);
    if (st.ok()) {
      committed = true;
      i = end;
      continue;
    }
    // A concurrent detach commits its first transaction before it waits: a failure may leave
    // the partition "detach pending", which only this plan's rerun finishes (FINALIZE).
    if (plan.steps[i].kind == StepKind::kDetachPartitionConcurrently) committed = true;
    if (!conn.IsBroken()) return Failure(file, plan, failed_step_, i, st.error(), committed);
    // A lost connection is not a failed step: reconnect and go on from what committed.
    TIDE_ASSIGN(MigrationState state, Reconnect(file, plan, i, st.error()));
    if (state.status == "done") return Ok();
    committed = committed || state.next_step > 0 || !state.checkpoint.is_null();
    i = state.next_step;
    outputs = state.outputs;
    checkpoint = state.checkpoint;
    // The server was gone for a while: the old release may have inserted rows meanwhile.
    Status redo = RedoCatchUps(file, plan, i, checkpoint);
    if (!redo.ok()) return Failure(file, plan, i, i, redo.error(), committed);
  }
  if (n == 0 || !RunsInTransaction(plan.steps[n - 1])) {
    // The last step ran on its own: record success in a transaction of its own.
    Status st = RecordInOwnTransaction(file, n);
    if (!st.ok() && conn.IsBroken()) {
      TIDE_ASSIGN(MigrationState state, Reconnect(file, plan, n, st.error()));
      st = state.status == "done" ? Ok() : RecordInOwnTransaction(file, n);
    }
    if (!st.ok()) return Failure(file, plan, n - 1, n, st.error(), committed);
  }
  return Ok();
}

Status Executor::RecordSuccess(const migrate::MigrationFile& file, int64_t elapsed_ms) {
  if (half_ != Half::kWhole) return RecordHalf(file);
  pg::Connection& conn = session_.conn();
  // A resumed run replaces the failed row its first attempt left (only a file with a state row
  // can have one here: migrate refuses other failed rows before anything runs).
  if (had_state_) {
    TIDE_TRY(conn.Run(fmt::format("DELETE FROM {} WHERE script = $1 AND NOT success",
                                  session_.history().Qualified()),
                      {file.script}));
  }
  migrate::AppliedMigration row = HistoryRow(file);
  row.execution_time = static_cast<int>(elapsed_ms);
  FaultPoint("history.before_append");
  TIDE_TRY(session_.history().Append(conn, row));
  FaultPoint("history.after_append");
  if (!done_in_group_) TIDE_TRY(state_.Finish(conn, file.script));
  FaultPoint("state.finished");
  return Ok();
}

migrate::AppliedMigration Executor::HistoryRow(const migrate::MigrationFile& file) const {
  migrate::AppliedMigration row;
  row.version = file.version ? std::optional<std::string>(file.version->text()) : std::nullopt;
  row.description = file.description;
  row.script = file.script;
  row.checksum = file.checksum;
  row.installed_by = settings_.installed_by;
  return row;
}

Status Executor::BeforeEach() {
  if (options_.hooks && options_.hooks->before_each) return options_.hooks->before_each();
  return Ok();
}

Status Executor::AfterEach() {
  if (options_.hooks && options_.hooks->after_each) return options_.hooks->after_each();
  return Ok();
}

Result<std::string> Executor::ConstraintName(const plan::Plan& plan, int index,
                                             const json& outputs) {
  const plan::Step& s = plan.steps[index];
  if (!s.object_name.empty()) return QuoteIdent(s.object_name);
  std::string key = fmt::format("constraint:{}", s.constraint_from_step);
  if (!outputs.contains(key)) {
    return Error::Internal(
        fmt::format("step {} needs the name of the constraint added by step "
                    "{}, which was not recorded",
                    index + 1, s.constraint_from_step + 1));
  }
  return QuoteIdent(outputs[key].get<std::string>());
}

Status Executor::RunStepInTransaction(plan::Plan& plan, int index, json& outputs) {
  pg::Connection& conn = session_.conn();
  plan::Step& s = plan.steps[index];
  if (s.kind == StepKind::kValidateConstraint) {
    TIDE_ASSIGN(std::string name, ConstraintName(plan, index, outputs));
    FaultPoint("validate.before");
    Status validated =
        conn.Run(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", s.lock_tables.at(0), name));
    if (!validated.ok() && validated.error().sqlstate() == "23514" &&
        s.object_name.rfind("tide_nn_", 0) == 0) {
      return std::move(validated).error().WithHint(fmt::format(
          "rows of {0} are still NULL in the column that {1} checks (the catch-up fills only "
          "the rows its UPDATE would fill): fill them, then run {2} again, which resumes "
          "here; or give this run up with tide repair, which drops tide's check {1} and the "
          "run's record",
          s.table, s.object_name, AgainCommand()));
    }
    if (!validated.ok() && validated.error().sqlstate() == "23514" &&
        s.object_name.rfind("tide_pb_", 0) == 0) {
      return std::move(validated).error().WithHint(fmt::format(
          "rows of {0} lie outside the partition bound, so the ATTACH PARTITION would fail too "
          "(tide checks them first, with {1}, to spare the attach its scan): move them, then run "
          "{2} again, which resumes here; or give this run up with tide repair, which drops {1}",
          s.table, s.object_name, AgainCommand()));
    }
    if (!validated.ok()) return validated;
    FaultPoint("validate.after");
    return Ok();
  }
  if (s.kind == StepKind::kAddConstraintNotValid && s.object_name.empty()) {
    // PostgreSQL names an unnamed constraint itself; learn the name by looking before and after.
    std::string list =
        "SELECT coalesce(array_agg(conname ORDER BY conname), '{}')::text[]::text "
        "FROM pg_constraint WHERE conrelid = to_regclass($1)";
    TIDE_ASSIGN(auto before, conn.QueryValue(list, {s.lock_tables.at(0)}));
    TIDE_TRY(conn.Run(s.sql));
    TIDE_ASSIGN(auto added,
                conn.QueryValue("SELECT conname FROM pg_constraint WHERE conrelid = "
                                "to_regclass($1) AND NOT (conname = ANY($2::text[])) LIMIT 1",
                                {s.lock_tables.at(0), before.value_or("{}")}));
    if (!added) return Error::Internal("could not find the constraint tide just added");
    outputs[fmt::format("constraint:{}", index)] = *added;
    return Ok();
  }
  // A statement that carries a fill's spec without being batched (a small table's catch-up, an
  // allowed UPDATE on a table without a key) reports the rows it changed.
  if (!s.backfill) return conn.Run(s.sql);
  TIDE_ASSIGN(auto r, conn.Exec(s.sql));
  step_rows_[index] = r.AffectedRows();
  return Ok();
}

Result<BackfillResult> Executor::RunBackfill(const migrate::MigrationFile& file,
                                             const plan::Plan& plan, int index,
                                             const json& checkpoint) {
  const plan::Step& step = plan.steps[index];
  BackfillOptions bo;
  bo.settings = settings_.backfill;
  bo.lock_timeout = settings_.lock_timeout;
  bo.retry_budget = settings_.lock_wait;
  Backfill backfill(session_.conn(), *step.backfill, bo, reporter_,
                    CheckpointSink{state_.Qualified(), file.script, index});
  return backfill.Run(checkpoint, step.estimated_rows);
}

Status Executor::RedoCatchUps(const migrate::MigrationFile& file, const plan::Plan& plan, int start,
                              const json& checkpoint) {
  const int n = static_cast<int>(plan.steps.size());
  for (int k = 0; k < start && k < n; ++k) {
    const plan::Step& s = plan.steps[k];
    if (!plan::IsCatchUp(s)) continue;
    // Only while its check (the next VALIDATE on that table) still waits: once validated, no
    // row can be NULL any more, and a rerun must not change rows again.
    int validate = k + 1;
    while (validate < n && !(plan.steps[validate].kind == StepKind::kValidateConstraint &&
                             plan.steps[validate].lock_tables == s.lock_tables)) {
      ++validate;
    }
    if (validate >= n || validate < start) continue;
    reporter_.Info(
        fmt::format("  [{}/{}] catch-up again: rows inserted while the run was "
                    "stopped are filled before the check is validated",
                    k + 1, n));
    if (s.kind == StepKind::kBackfill) {
      TIDE_ASSIGN(auto done, RunBackfill(file, plan, k, checkpoint));
      reporter_.Info(
          fmt::format("  [{}/{}] catch-up again: {} rows", k + 1, n, FormatCount(done.changed)));
      // Its checkpoint is spent: the next redo, if any, walks the table from the start.
      TIDE_TRY(state_.ClearCheckpoint(session_.conn(), file.script, k));
      continue;
    }
    LockRetry retry(session_.conn(), PolicyOf(settings_), reporter_);
    int64_t rows = 0;
    TIDE_TRY(retry.Run(Short(s.sql), s.lock_tables, s.lock, /*transactional=*/true,
                       [&](pg::Connection& c) -> Status {
                         TIDE_ASSIGN(auto r, c.Exec(s.sql));
                         rows = r.AffectedRows();
                         return Ok();
                       }));
    reporter_.Info(fmt::format("  [{}/{}] catch-up again: {} rows", k + 1, n, FormatCount(rows)));
  }
  return Ok();
}

Status Executor::RunGroup(const migrate::MigrationFile& file, plan::Plan& plan, int first, int end,
                          json& outputs, const json& checkpoint) {
  pg::Connection& conn = session_.conn();
  const int n = static_cast<int>(plan.steps.size());
  const plan::Step& head = plan.steps[first];
  bool last_group = end == n;
  auto started = Clock::now();
  LockRetry retry(conn, PolicyOf(settings_), reporter_);
  std::vector<std::string> created;
  for (const auto& t : created_) created.push_back(t.Quoted());
  retry.SkipHolderCheck(std::move(created));
  int64_t rows = -1;
  int64_t walked = -1;
  double rate = 0;
  Status st = Ok();
  if (RunsInTransaction(head)) {
    std::vector<std::string> tables;
    sql::Lock lock = sql::Lock::kNone;
    for (int k = first; k < end; ++k) {
      for (const auto& t : plan.steps[k].lock_tables) {
        // A table this file created before the step: no other session can hold a lock on it.
        if (NewInFile(t, plan.steps[k].statement)) continue;
        if (std::find(tables.begin(), tables.end(), t) == tables.end()) tables.push_back(t);
      }
      if (static_cast<int>(plan.steps[k].lock) > static_cast<int>(lock)) lock = plan.steps[k].lock;
    }
    st = retry.Run(Short(head.sql), tables, lock, /*transactional=*/true,
                   [&](pg::Connection&) -> Status {
                     json local = outputs;
                     FaultPoint("group.begin");
                     if (first == 0) TIDE_TRY(BeforeEach());
                     for (int k = first; k < end;) {
                       // A batch of two or more: one round trip; its steps count as one here.
                       int batch_end = BatchEnd(plan, k, end);
                       if (batch_end - k >= 2) {
                         std::vector<std::string_view> batch;
                         for (int b = k; b < batch_end; ++b) batch.push_back(plan.steps[b].sql);
                         size_t failed = 0;
                         Status ran = conn.RunBatch(batch, &failed);
                         if (!ran.ok()) {
                           failed_step_ = k + static_cast<int>(failed);
                           return Locate(ran.error(), plan.steps[failed_step_], file);
                         }
                         FaultPoint("group.after_step");
                         k = batch_end;
                         continue;
                       }
                       Status ran = RunStepInTransaction(plan, k, local);
                       if (!ran.ok()) {
                         failed_step_ = k;
                         return Locate(ran.error(), plan.steps[k], file);
                       }
                       FaultPoint("group.after_step");
                       ++k;
                     }
                     if (!done_in_group_) TIDE_TRY(state_.Advance(conn, file.script, end, local));
                     if (last_group) {
                       TIDE_TRY(AfterEach());
                       TIDE_TRY(RecordSuccess(file, MsSince(started_)));
                     }
                     FaultPoint("group.before_commit");
                     outputs = std::move(local);
                     return Ok();
                   });
    if (st.ok()) FaultPoint("group.after_commit");
  } else {
    if (first == 0) st = BeforeEach();
    switch (st.ok() ? head.kind : StepKind::kSession) {
      case StepKind::kSession:
        break;  // only reached when the callback failed
      case StepKind::kBackfill: {
        auto done = RunBackfill(file, plan, first, checkpoint);
        if (!done.ok()) {
          st = done.error();
        } else {
          rows = done->changed;
          walked = done->visited;
          rate = done->rows_per_second;
        }
        break;
      }
      case StepKind::kCreateIndexConcurrently: {
        IndexBuilder builder(conn, retry, reporter_);
        st = builder.Create(head, outputs, first,
                            [&] { return state_.Advance(conn, file.script, first, outputs); });
        break;
      }
      case StepKind::kDropIndexConcurrently:
        st = IndexBuilder(conn, retry, reporter_).Drop(head);
        break;
      case StepKind::kReindexConcurrently:
        st = IndexBuilder(conn, retry, reporter_).Reindex(head);
        break;
      case StepKind::kDetachPartitionConcurrently:
        st = DetachPartitionConcurrently(
            retry, reporter_, conn, head, outputs, first,
            [&] { return state_.Advance(conn, file.script, first, outputs); });
        break;
      default:
        // A statement that cannot run in a transaction (VACUUM, ...), as written.
        st = retry.Run(Short(head.sql), head.lock_tables, head.lock, false,
                       [&](pg::Connection& c) { return c.Run(head.sql); });
        break;
    }
    if (st.ok()) st = state_.Advance(conn, file.script, end, outputs);
    if (st.ok()) FaultPoint("step.advanced");
  }
  int64_t ms = MsSince(started);
  for (int k = first; k < end; ++k) {
    const plan::Step& s = plan.steps[k];
    StepReport report{k + 1,
                      plan::StepKindName(s.kind),
                      Short(s.sql),
                      sql::LockName(s.lock),
                      k == first ? ms : 0,
                      retry.stats().attempts,
                      retry.stats().lock_timeouts,
                      retry.stats().waited.count(),
                      k == first && rows >= 0 ? rows
                      : step_rows_.count(k)   ? step_rows_[k]
                                              : -1,
                      rate,
                      started,
                      st.ok(),
                      st.ok() ? "" : st.error().message()};
    if (!st.ok() && k == first) last_steps_.push_back(report);
    if (st.ok()) {
      std::string extra;
      if (rows < 0 && step_rows_.count(k)) {
        extra = fmt::format(", {} rows", FormatCount(step_rows_[k]));
      } else if (rows >= 0 && k == first) {
        extra = walked != rows ? fmt::format(", {} rows walked, {} changed", FormatCount(walked),
                                             FormatCount(rows))
                               : fmt::format(", {} rows", FormatCount(rows));
        extra += fmt::format(", {} rows/s", FormatCount(static_cast<int64_t>(rate)));
      }
      if (retry.stats().lock_timeouts > 0) {
        extra += fmt::format(", {} lock timeout{} retried", retry.stats().lock_timeouts,
                             retry.stats().lock_timeouts == 1 ? "" : "s");
      }
      reporter_.Info(fmt::format("  [{}/{}] {}  ({}{}{})", k + 1, n, Short(s.sql),
                                 s.lock == sql::Lock::kNone ? "no lock" : sql::LockName(s.lock),
                                 k == first && end - first == 1
                                     ? ", " + FormatDuration(std::chrono::milliseconds(ms))
                                     : "",
                                 extra));
      last_steps_.push_back(std::move(report));
    }
  }
  if (!st.ok()) return Locate(st.error(), head, file);
  return st;
}

Error Executor::Failure(const migrate::MigrationFile& file, const plan::Plan& plan, int step,
                        int resume_at, Error error, bool anything_committed) {
  pg::Connection& conn = session_.conn();
  if (options_.hooks && options_.hooks->after_each_error && !conn.IsBroken()) {
    options_.hooks->after_each_error();
  }
  const int n = static_cast<int>(plan.steps.size());
  if (conn.IsBroken()) {
    return std::move(error).Context(fmt::format(
        "{} stopped {} when the connection was lost; run {} again to finish it", file.Label(),
        resume_at >= n ? fmt::format("with all {} steps applied, before its record", n)
                       : fmt::format("at step {} of {}", resume_at + 1, n),
        AgainCommand()));
  }
  if (!anything_committed) {
    (void)state_.Delete(conn, file.script);
    return std::move(error).Context(
        fmt::format("{} failed at step {} of {} and was rolled back; nothing of it was applied",
                    file.Label(), step + 1, n));
  }
  (void)state_.Fail(conn, file.script, error.ToString());
  // Flyway's view of a half-applied migration: a failed row (Flyway then refuses to run on).
  auto failed_row =
      conn.QueryValue(fmt::format("SELECT 1 FROM {} WHERE script = $1 AND NOT success",
                                  session_.history().Qualified()),
                      {file.script});
  // (A contract or rollback half keeps the file's history row as it is.)
  if (half_ == Half::kWhole && failed_row.ok() && !failed_row->has_value()) {
    migrate::AppliedMigration row = HistoryRow(file);
    row.success = false;
    row.execution_time = static_cast<int>(MsSince(started_));
    (void)session_.history().Append(conn, row);
  }
  if (resume_at >= n) {
    return std::move(error).Context(fmt::format(
        "{} applied all {} steps, but its record failed; fix the cause and run {} again to "
        "record it",
        file.Label(), n, AgainCommand()));
  }
  return std::move(error).Context(fmt::format(
      "{} stopped at step {} of {}: the steps before step {} are applied and recorded; fix the "
      "cause and run {} again to resume there",
      file.Label(), step + 1, n, resume_at + 1, AgainCommand()));
}

Result<bool> CanResume(pg::Connection& conn, const migrate::HistoryTable& history,
                       const migrate::MigrationFile& file) {
  StateTable state(history.schema());
  TIDE_ASSIGN(auto existing, state.Load(conn, file.script));
  return existing.has_value() && existing->status != "done" && existing->checksum == file.checksum;
}

}  // namespace tide::exec
