#include "exec/executor.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/fault.h"
#include "base/strings.h"
#include "base/text.h"
#include "exec/backfill.h"
#include "exec/executor_detail.h"
#include "exec/index_builder.h"
#include "exec/locate.h"
#include "exec/lock_retry.h"
#include "exec/partition_exec.h"
#include "exec/pg_catalog.h"
#include "exec/reconnect.h"

namespace tide::exec {

using store::MigrationState;
using store::ResumingAt;
using store::StateTable;

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using detail::MsSince;
using detail::RunsInTransaction;
using plan::StepKind;

Executor::Executor(store::Session& session, const config::Settings& settings,
                   ExecutorOptions options, Reporter& reporter)
    : session_(session),
      settings_(settings),
      options_(options),
      reporter_(reporter),
      state_(session.schema()) {}

Result<std::shared_ptr<sql::ClassifiedScript>> Executor::ClassifyFile(
    const source::MigrationFile& file, bool keep) {
  if (file.format != source::ScriptFormat::kSql) {
    return Error::Internal(
        fmt::format("{} is declarative: it has no SQL to classify", file.script));
  }
  return keep ? file.Classified() : file.ClassifiedOnce();
}

Status Executor::RememberEarlier(const source::MigrationFile& file) {
  if (file.format != source::ScriptFormat::kSql) return Ok();
  // Read once: a file already applied is not planned or run again.
  auto script = ClassifyFile(file, false);
  if (!script.ok()) return Ok();  // an old file tide cannot parse has nothing to teach
  RememberUpdates(**script, file);
  return Ok();
}

void Executor::RememberUpdates(const sql::ClassifiedScript& script,
                               const source::MigrationFile& file) {
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

Status Executor::Expect(const source::MigrationFile& file) {
  if (file.format == source::ScriptFormat::kYaml) return Ok();  // plans read the live catalog
  TIDE_ASSIGN(auto script, ClassifyFile(file));
  NoteCreated(*script);
  RememberUpdates(*script, file);
  return Ok();
}

Result<plan::Plan> Executor::PlanThenExpect(const source::MigrationFile& file) {
  if (file.format != source::ScriptFormat::kSql) {
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

Result<plan::Plan> Executor::Plan(const source::MigrationFile& file) {
  if (file.format == source::ScriptFormat::kYaml) {
    TIDE_ASSIGN(auto declarative, PlanDeclarative(file));
    return declarative.expand;
  }
  TIDE_ASSIGN(auto script, ClassifyFile(file));
  return PlanClassified(*script);
}

Result<plan::Plan> Executor::PlanClassified(const sql::ClassifiedScript& script) {
  PgCatalog catalog(session_.conn(), settings_.backfill.small_table_rows);
  plan::Planner planner(catalog, {settings_.backfill.small_table_rows});
  planner.RememberPriorUpdates(prior_updates_);
  for (const auto& t : created_) planner.AddCreatedTable(t);
  return planner.PlanScript(script);
}

Status Executor::Apply(const source::MigrationFile& file) {
  half_ = Half::kWhole;
  if (options_.plain && file.format == source::ScriptFormat::kSql) return ApplyPlain(file);
  TIDE_TRY(state_.CreateIfMissing(session_.conn()));
  TIDE_ASSIGN(auto existing, TakeUnfinished(file.script));
  started_ = Clock::now();
  last_steps_.clear();
  done_in_group_.reset();
  file_new_.clear();  // a resumed run has no classified file: every table's holders are asked
  had_state_ = existing.has_value();
  if (existing && existing->status != store::RunStatus::kDone) return Resume(file, *existing);
  if (file.format == source::ScriptFormat::kYaml) return ApplyDeclarativeExpand(file);
  TIDE_ASSIGN(auto script, ClassifyFile(file));
  NoteFileTables(*script);
  TIDE_ASSIGN(plan::Plan planned, PlanClassified(*script));
  if (!planned.refusals.empty()) return Refusal(file, planned);
  TIDE_TRY(StartState(file, *script, planned));
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

Status Executor::Resume(const source::MigrationFile& file, const MigrationState& existing) {
  if (existing.checksum != file.checksum) {
    return Error::Input(fmt::format("{} was half-applied (step {} of {}) from a different version "
                                    "of the file: tide cannot resume it",
                                    file.Label(), existing.next_step, existing.steps))
        .At({file.path.string(), 0, 0})
        .WithHint(
            "restore the file as it was when the run started, run tide migrate to "
            "finish it, and put the change in a new migration");
  }
  TIDE_ASSIGN(plan::Plan stored, plan::Plan::FromJson(existing.plan));
  reporter_.Info(fmt::format(
      "  {}{}", ResumingAt(existing.next_step, static_cast<int>(stored.steps.size())),
      existing.error.empty() ? "" : " (it stopped: " + Abbreviate(existing.error, 200) + ")"));
  TIDE_TRY(RunPlan(file, stored, existing.next_step, existing.outputs, existing.checkpoint, true));
  TIDE_TRY(RememberEarlier(file));
  FaultPoint("executor.applied");
  return Ok();
}

Error Executor::Refusal(const source::MigrationFile& file, const plan::Plan& planned) const {
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

Status Executor::StartState(const source::MigrationFile& file,
                            const sql::ClassifiedScript& script, const plan::Plan& planned) {
  MigrationState state;
  state.script = file.script;
  state.version = file.version ? std::optional<std::string>(file.version->text()) : std::nullopt;
  state.description = file.description;
  state.checksum = file.checksum;
  state.phase = sql::PhaseName(script.phase);
  state.steps = static_cast<int>(planned.steps.size());
  bool one_transaction = !planned.steps.empty() && planned.GroupCount() == 1 &&
                         RunsInTransaction(planned.steps.front()) &&
                         RunsInTransaction(planned.steps.back());
  if (one_transaction) {
    // No state row: the history row, committed in the same transaction, says it is done, and a
    // rolled-back transaction leaves nothing to resume. Reconnect() tells the two apart by the
    // history rows added since the run began.
    if (!history_baseline_) {
      TIDE_ASSIGN(history_baseline_, session_.history().MaxRank(session_.conn()));
    }
    done_in_group_ = state;
    return Ok();
  }
  // Only a stored plan is read back (a resume runs it); a file of seed data in one
  // transaction would otherwise build a JSON copy of every statement for nothing.
  state.plan = planned.ToJson();
  return state_.Start(session_.conn(), state);
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

Result<MigrationState> Executor::Reconnect(const source::MigrationFile& file,
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
    TIDE_ASSIGN(bool committed, session_.history().SucceededSince(
                                    session_.conn(), file.script, history_baseline_.value_or(0)));
    state = *done_in_group_;
    state->status = committed ? store::RunStatus::kDone : store::RunStatus::kRunning;
    state->next_step = committed ? state->steps : 0;
  } else {
    TIDE_ASSIGN(state, state_.Load(session_.conn(), file.script));
  }
  if (!state) return Error::Internal(fmt::format("the state of {} is gone", file.script));
  if (state->status != store::RunStatus::kDone) TIDE_TRY(ReplaySessionSteps(plan, state->next_step));
  reporter_.Info(fmt::format("  reconnected: {} continues at step {} of {}", file.Label(),
                             std::min(state->next_step + 1, n), n));
  return *state;
}

Status Executor::RecordInOwnTransaction(const source::MigrationFile& file, int n) {
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

Status Executor::RunPlan(const source::MigrationFile& file, plan::Plan& plan, int start,
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
    // A backfill commits batch by batch, each with its checkpoint: once one has, the failure
    // (a throttle pause too long, a row lock never granted) is resumable, not rolled back.
    if (!committed && plan.steps[i].kind == StepKind::kBackfill && !conn.IsBroken()) {
      auto state = state_.Load(conn, file.script);
      committed = state.ok() && *state && !(*state)->checkpoint.is_null();
    }
    if (!conn.IsBroken()) return Failure(file, plan, failed_step_, i, st.error(), committed);
    // A lost connection is not a failed step: reconnect and go on from what committed.
    TIDE_ASSIGN(MigrationState state, Reconnect(file, plan, i, st.error()));
    if (state.status == store::RunStatus::kDone) return Ok();
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
      st = state.status == store::RunStatus::kDone ? Ok() : RecordInOwnTransaction(file, n);
    }
    if (!st.ok()) return Failure(file, plan, n - 1, n, st.error(), committed);
  }
  return Ok();
}

Status Executor::RecordSuccess(const source::MigrationFile& file, int64_t elapsed_ms) {
  if (half_ != Half::kWhole) return RecordHalf(file);
  pg::Connection& conn = session_.conn();
  // A resumed run replaces the failed row its first attempt left (only a file with a state row
  // can have one here: migrate refuses other failed rows before anything runs).
  if (had_state_) {
    TIDE_TRY(session_.history().DeleteFailed(conn, file.script));
  }
  store::AppliedMigration row = HistoryRow(file);
  row.execution_time = static_cast<int>(elapsed_ms);
  FaultPoint("history.before_append");
  TIDE_TRY(session_.history().Append(conn, row));
  FaultPoint("history.after_append");
  if (!done_in_group_) TIDE_TRY(state_.Finish(conn, file.script));
  FaultPoint("state.finished");
  return Ok();
}

store::AppliedMigration Executor::HistoryRow(const source::MigrationFile& file) const {
  store::AppliedMigration row;
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

Result<bool> CanResume(pg::Connection& conn, const store::HistoryTable& history,
                       const source::MigrationFile& file) {
  StateTable state(history.schema());
  TIDE_ASSIGN(auto existing, state.Load(conn, file.script));
  return existing.has_value() && existing->status != store::RunStatus::kDone && existing->checksum == file.checksum;
}

}  // namespace tide::exec