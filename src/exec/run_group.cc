// The executor's running half (exec/executor.h): a step in its transaction, a group of steps
// under the lock policy, backfills and their catch-ups, and how a failure is reported.
#include <fmt/format.h>

#include <algorithm>

#include "base/fault.h"
#include "base/strings.h"
#include "base/text.h"
#include "exec/backfill.h"
#include "exec/executor.h"
#include "exec/executor_detail.h"
#include "exec/index_builder.h"
#include "exec/locate.h"
#include "exec/lock_retry.h"
#include "exec/partition_exec.h"
#include "exec/reconnect.h"
#include "plan/catalog.h"

namespace tide::exec {

using Clock = std::chrono::steady_clock;
using detail::MsSince;
using detail::RunsInTransaction;
using nlohmann::json;
using plan::StepKind;

namespace {

std::string Short(const std::string& sql) { return Abbreviate(OneLine(sql), 100); }

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
  p.retry.budget = settings.lock_wait;
  return p;
}

// Points an error at the file: the step's statement, and the server's cursor inside it when the
// step runs the statement as written.
Error Locate(Error error, const plan::Step& step, const source::MigrationFile& file) {
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

Result<BackfillResult> Executor::RunBackfill(const source::MigrationFile& file,
                                             const plan::Plan& plan, int index,
                                             const json& checkpoint) {
  const plan::Step& step = plan.steps[index];
  BackfillOptions bo;
  bo.settings = settings_.backfill;
  bo.lock_timeout = settings_.lock_timeout;
  bo.retry_budget = settings_.lock_wait;
  Backfill backfill(session_.conn(), *step.backfill, bo, reporter_,
                    CheckpointSink{state_, file.script, index});
  return backfill.Run(checkpoint, step.estimated_rows);
}

Status Executor::RedoCatchUps(const source::MigrationFile& file, const plan::Plan& plan, int start,
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

Status Executor::RunGroup(const source::MigrationFile& file, plan::Plan& plan, int first, int end,
                          json& outputs, const json& checkpoint) {
  auto started = Clock::now();
  LockRetry retry(session_.conn(), PolicyOf(settings_), reporter_);
  std::vector<std::string> created;
  for (const auto& t : created_) created.push_back(t.Quoted());
  retry.SkipHolderCheck(std::move(created));
  std::optional<BackfillResult> fill;
  bool in_transaction = RunsInTransaction(plan.steps[first]);
  Status st = in_transaction
                  ? RunTransactionGroup(file, plan, first, end, outputs, retry)
                  : RunOutsideTransaction(file, plan, first, outputs, checkpoint, retry, fill);
  if (!in_transaction) {
    if (st.ok()) st = state_.Advance(session_.conn(), file.script, end, outputs);
    if (st.ok()) FaultPoint("step.advanced");
  }
  ReportGroup(plan, first, end, started, retry.stats(), fill, st);
  if (!st.ok()) return Locate(st.error(), plan.steps[first], file);
  return st;
}

Status Executor::RunTransactionGroup(const source::MigrationFile& file, plan::Plan& plan,
                                     int first, int end, json& outputs, LockRetry& retry) {
  pg::Connection& conn = session_.conn();
  bool last_group = end == static_cast<int>(plan.steps.size());
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
  Status st = retry.Run(Short(plan.steps[first].sql), tables, lock, /*transactional=*/true,
                        [&](pg::Connection&) -> Status {
                          json local = outputs;
                          FaultPoint("group.begin");
                          if (first == 0) TIDE_TRY(BeforeEach());
                          TIDE_TRY(RunGroupSteps(file, plan, first, end, local));
                          if (!done_in_group_) {
                            TIDE_TRY(state_.Advance(conn, file.script, end, local));
                          }
                          if (last_group) {
                            TIDE_TRY(AfterEach());
                            TIDE_TRY(RecordSuccess(file, MsSince(started_)));
                          }
                          FaultPoint("group.before_commit");
                          outputs = std::move(local);
                          return Ok();
                        });
  if (st.ok()) FaultPoint("group.after_commit");
  return st;
}

Status Executor::RunGroupSteps(const source::MigrationFile& file, plan::Plan& plan, int first,
                               int end, json& outputs) {
  for (int k = first; k < end;) {
    // A batch of two or more: one round trip; its steps count as one here.
    int batch_end = BatchEnd(plan, k, end);
    if (batch_end - k >= 2) {
      std::vector<std::string_view> batch;
      for (int b = k; b < batch_end; ++b) batch.push_back(plan.steps[b].sql);
      size_t failed = 0;
      Status ran = session_.conn().RunBatch(batch, &failed);
      if (!ran.ok()) {
        failed_step_ = k + static_cast<int>(failed);
        return Locate(ran.error(), plan.steps[failed_step_], file);
      }
      FaultPoint("group.after_step");
      k = batch_end;
      continue;
    }
    Status ran = RunStepInTransaction(plan, k, outputs);
    if (!ran.ok()) {
      failed_step_ = k;
      return Locate(ran.error(), plan.steps[k], file);
    }
    FaultPoint("group.after_step");
    ++k;
  }
  return Ok();
}

Status Executor::RunOutsideTransaction(const source::MigrationFile& file, plan::Plan& plan,
                                       int first, json& outputs, const json& checkpoint,
                                       LockRetry& retry, std::optional<BackfillResult>& fill) {
  pg::Connection& conn = session_.conn();
  const plan::Step& head = plan.steps[first];
  if (first == 0) TIDE_TRY(BeforeEach());
  auto save = [&] { return state_.Advance(conn, file.script, first, outputs); };
  switch (head.kind) {
    case StepKind::kBackfill: {
      TIDE_ASSIGN(fill, RunBackfill(file, plan, first, checkpoint));
      return Ok();
    }
    case StepKind::kCreateIndexConcurrently:
      return IndexBuilder(conn, retry, reporter_).Create(head, outputs, first, save);
    case StepKind::kDropIndexConcurrently:
      return IndexBuilder(conn, retry, reporter_).Drop(head);
    case StepKind::kReindexConcurrently:
      return IndexBuilder(conn, retry, reporter_).Reindex(head);
    case StepKind::kDetachPartitionConcurrently:
      return DetachPartitionConcurrently(retry, reporter_, conn, head, outputs, first, save);
    default:
      // A statement that cannot run in a transaction (VACUUM, ...), as written.
      return retry.Run(Short(head.sql), head.lock_tables, head.lock, false,
                       [&](pg::Connection& c) { return c.Run(head.sql); });
  }
}

std::string Executor::BackfillSummary(const BackfillResult& fill) const {
  const Yielded& y = fill.yielded;
  std::string out = fill.visited != fill.changed
                        ? fmt::format(", {} rows walked, {} changed", FormatCount(fill.visited),
                                      FormatCount(fill.changed))
                        : fmt::format(", {} rows", FormatCount(fill.changed));
  out += fmt::format(", {} rows/s", FormatCount(static_cast<int64_t>(fill.rows_per_second)));
  if (y.batches_shrunk > 0) {
    out += fmt::format(", {} session{} queued behind {} batch{} (longest wait {}), each then "
                       "halved",
                       y.waiters, y.waiters == 1 ? "" : "s", y.batches_shrunk,
                       y.batches_shrunk == 1 ? "" : "es",
                       FormatDuration(std::chrono::milliseconds(y.longest_wait_ms)));
  }
  LagLimits limits{settings_.backfill.max_replica_lag_bytes,
                   settings_.backfill.max_replica_lag_time};
  if (limits.any()) {
    out += fmt::format(", worst standby lag {}, paused {} time{} ({})",
                       FormatLag(y.worst_lag_ms, y.worst_lag_bytes, limits), y.pauses,
                       y.pauses == 1 ? "" : "s", FormatDuration(y.throttled));
  }
  return out;
}

void Executor::ReportGroup(const plan::Plan& plan, int first, int end,
                           Clock::time_point started, const LockStats& locks,
                           const std::optional<BackfillResult>& fill, const Status& st) {
  const int n = static_cast<int>(plan.steps.size());
  int64_t ms = MsSince(started);
  for (int k = first; k < end; ++k) {
    const plan::Step& s = plan.steps[k];
    bool filled = k == first && fill;
    StepReport report{k + 1,
                      plan::StepKindName(s.kind),
                      Short(s.sql),
                      sql::LockName(s.lock),
                      k == first ? ms : 0,
                      locks.attempts,
                      locks.lock_timeouts,
                      locks.waited.count(),
                      filled                ? fill->changed
                      : step_rows_.count(k) ? step_rows_[k]
                                            : -1,
                      filled ? fill->rows_per_second : 0,
                      started,
                      st.ok(),
                      st.ok() ? "" : st.error().message(),
                      filled ? fill->yielded : Yielded{}};
    if (!st.ok()) {
      if (k == first) last_steps_.push_back(report);
      continue;
    }
    std::string extra = filled               ? BackfillSummary(*fill)
                        : step_rows_.count(k) ? fmt::format(", {} rows", FormatCount(step_rows_[k]))
                                              : "";
    if (locks.lock_timeouts > 0) {
      extra += fmt::format(", {} lock timeout{} retried", locks.lock_timeouts,
                           locks.lock_timeouts == 1 ? "" : "s");
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

Error Executor::Failure(const source::MigrationFile& file, const plan::Plan& plan, int step,
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
  auto failed_row = session_.history().HasFailed(conn, file.script);
  // (A contract or rollback half keeps the file's history row as it is.)
  if (half_ == Half::kWhole && failed_row.ok() && !*failed_row) {
    store::AppliedMigration row = HistoryRow(file);
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


}  // namespace tide::exec
