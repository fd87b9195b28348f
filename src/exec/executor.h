#pragma once
// Applies one migration file and records it in the history table. The file is classified and
// planned against the real catalog; the plan is stored in tide's state table; then its steps
// run group by group (a group is one short transaction), each with the lock discipline of
// lock_retry.h, batches through backfill.h, concurrent builds through index_builder.h. After
// each group the next step is committed with it, so a failure or a kill leaves a state that the
// next `tide migrate` resumes from; nothing is applied twice and nothing is skipped. A connection
// lost mid-run is reopened (exec/reconnect.h) and the run goes on from that same state, in
// process; the tests that hold it to this are tests/fault_test.cc and server_fault_test.cc.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "exec/backfill.h"
#include "exec/lock_retry.h"
#include "ops/declarative.h"
#include "plan/planner.h"
#include "source/discovery.h"
#include "store/session.h"
#include "store/state.h"

namespace tide::exec {

// Flyway's per-migration SQL callbacks (migrate/callbacks.h), run on the migration's
// connection: before_each in the migration's first transaction, after_each in its last (so
// they share the file's transaction when it has one, as in Flyway); after_each_error once the
// file failed, after the rollback (PostgreSQL refuses every statement in an aborted transaction).
struct FileHooks {
  std::function<Status()> before_each;
  std::function<Status()> after_each;
  std::function<void()> after_each_error;
};

struct ExecutorOptions {
  bool plain = false;                // run each file as written in one transaction, as Flyway does
  const FileHooks* hooks = nullptr;  // none: no callbacks
};

struct StepReport {
  int index = 0;
  std::string kind;
  std::string sql;
  std::string lock;
  int64_t milliseconds = 0;
  int attempts = 0;
  int lock_timeouts = 0;
  int64_t waited_ms = 0;
  int64_t rows = -1;
  double rows_per_second = 0;
  std::chrono::steady_clock::time_point started{};  // when its group began
  bool ok = true;
  std::string error;
  // A backfill's pauses for standby lag and the application's waits behind its batches.
  Yielded yielded;
};

class Executor {
 public:
  Executor(store::Session& session, const config::Settings& settings, ExecutorOptions options,
           Reporter& reporter);

  // What an earlier migration did that later plans depend on (its whole-table UPDATEs).
  Status RememberEarlier(const source::MigrationFile& file);
  // All that RememberEarlier recorded, for another executor of the same run to start from
  // (the files already applied are then read once per command, not once per executor).
  const std::vector<plan::PriorUpdate>& remembered() const { return prior_updates_; }
  void Remember(const std::vector<plan::PriorUpdate>& updates) {
    prior_updates_.insert(prior_updates_.end(), updates.begin(), updates.end());
  }
  // Plans file against the catalog as it is now, after the files passed to Expect().
  Result<plan::Plan> Plan(const source::MigrationFile& file);
  // A file that will run before the next ones planned: the tables it creates are new for them.
  Status Expect(const source::MigrationFile& file);
  // Plan(file), then Expect(file), classifying the file once.
  Result<plan::Plan> PlanThenExpect(const source::MigrationFile& file);

  // Runs the file's SqlText() (placeholders replaced), or resumes its half-applied run, and
  // appends its history row. On failure the database holds either nothing of the file or a
  // resumable state, and the error says which. Once applied, the file is remembered as
  // RememberEarlier() does (its caller need not).
  Status Apply(const source::MigrationFile& file);

  // A declarative (.yaml) file runs in halves (ops/declarative.h). Apply() runs its expand, as
  // planned now, stores the contract and rollback lists with it, and records its history row.
  // ApplyContract() runs the stored contract list (the state row "<script>#contract" tracks
  // it); ApplyRollback() the stored rollback list, then deletes the file's history row and
  // state, so the file is pending again. Both resume a half-applied run.
  Status ApplyContract(const source::MigrationFile& file);
  Status ApplyRollback(const source::MigrationFile& file);
  // The declarative plan of file against the catalog as it is now; each up and down expression
  // is type-checked against the real table first (an input error at its line).
  Result<ops::DeclarativePlan> PlanDeclarative(const source::MigrationFile& file);

  const std::vector<StepReport>& last_steps() const { return last_steps_; }

 private:
  enum class Half { kWhole, kContract, kRollback };  // what Apply* runs now
  Status ApplyDeclarativeExpand(const source::MigrationFile& file);
  Status ApplyHalf(const source::MigrationFile& file, Half half);
  // RecordSuccess of a contract or rollback half, in the open transaction.
  Status RecordHalf(const source::MigrationFile& unit);
  // "tide migrate", "tide contract" or "tide rollback": what resumes the current run.
  const char* AgainCommand() const;
  Status ApplyPlain(const source::MigrationFile& file);
  Status RunPlan(const source::MigrationFile& file, plan::Plan& plan, int start,
                 nlohmann::json outputs, nlohmann::json checkpoint, bool resumed);
  // Runs the file's session settings (SET ...) of the steps before `before` again.
  Status ReplaySessionSteps(const plan::Plan& plan, int before);
  // After the connection was lost at step `at`: reconnects (exec/reconnect.h) and reads back
  // the state that committed, or says why the run stops there, resumable.
  Result<store::MigrationState> Reconnect(const source::MigrationFile& file, const plan::Plan& plan,
                                   int at, const Error& cause);
  // The history row and the end of the state, when the last step ran outside a transaction.
  Status RecordInOwnTransaction(const source::MigrationFile& file, int n);
  Result<BackfillResult> RunBackfill(const source::MigrationFile& file, const plan::Plan& plan,
                                     int index, const nlohmann::json& checkpoint);
  // A resumed run (after a kill, or a lost connection) starting at `start` runs again the
  // contract's catch-up steps before it whose NOT NULL check is not validated yet: the old
  // release may have inserted rows without the column while tide was not running.
  Status RedoCatchUps(const source::MigrationFile& file, const plan::Plan& plan, int start,
                      const nlohmann::json& checkpoint);
  // Apply's parts: a half-applied run resumed from its stored plan, the error for a plan with
  // refusals, and the state a new run starts with (none for a file in one transaction).
  Status Resume(const source::MigrationFile& file, const store::MigrationState& existing);
  Error Refusal(const source::MigrationFile& file, const plan::Plan& planned) const;
  Status StartState(const source::MigrationFile& file, const sql::ClassifiedScript& script,
                    const plan::Plan& planned);
  Status RunGroup(const source::MigrationFile& file, plan::Plan& plan, int first, int end,
                  nlohmann::json& outputs, const nlohmann::json& checkpoint);
  // RunGroup's parts: a group in one transaction (its steps, batched where they may be), a
  // step that runs outside one (backfill, concurrent index, detach, VACUUM), and the report.
  Status RunTransactionGroup(const source::MigrationFile& file, plan::Plan& plan, int first,
                             int end, nlohmann::json& outputs, LockRetry& retry);
  Status RunGroupSteps(const source::MigrationFile& file, plan::Plan& plan, int first, int end,
                       nlohmann::json& outputs);
  Status RunOutsideTransaction(const source::MigrationFile& file, plan::Plan& plan, int first,
                               nlohmann::json& outputs, const nlohmann::json& checkpoint,
                               LockRetry& retry, std::optional<BackfillResult>& fill);
  void ReportGroup(const plan::Plan& plan, int first, int end,
                   std::chrono::steady_clock::time_point started, const LockStats& locks,
                   const std::optional<BackfillResult>& fill, const Status& st);
  std::string BackfillSummary(const BackfillResult& fill) const;
  Status RunStepInTransaction(plan::Plan& plan, int index, nlohmann::json& outputs);
  // History row, state done, failed rows of earlier attempts removed: in the open transaction.
  Status RecordSuccess(const source::MigrationFile& file, int64_t elapsed_ms);
  // The file's history row as this run writes it (success and time still to set).
  store::AppliedMigration HistoryRow(const source::MigrationFile& file) const;
  Status BeforeEach();
  Status AfterEach();
  // step: the step that failed; resume_at: the first step of its group, where a rerun starts.
  Error Failure(const source::MigrationFile& file, const plan::Plan& plan, int step, int resume_at,
                Error error, bool anything_committed);
  Result<std::string> ConstraintName(const plan::Plan& plan, int index,
                                     const nlohmann::json& outputs);
  // The file's classified script (MigrationFile::Classified; keep=false: ClassifiedOnce).
  Result<std::shared_ptr<sql::ClassifiedScript>> ClassifyFile(const source::MigrationFile& file,
                                                              bool keep = true);
  // Plan() of a file classified already.
  Result<plan::Plan> PlanClassified(const sql::ClassifiedScript& script);
  // Keeps created_ up to date after a file: the tables it created (or renamed from new ones)
  // are new for the files after it; the ones it dropped are no longer.
  void NoteCreated(const sql::ClassifiedScript& script);
  // RememberEarlier() of a file classified already.
  void RememberUpdates(const sql::ClassifiedScript& script, const source::MigrationFile& file);
  // Where the file being applied has tables of its own: a table it created (or renamed from
  // one it created) is new for the statements after that one, until it is dropped or renamed
  // away. Names quoted as in Step::lock_tables; a name quoted otherwise is simply not found.
  void NoteFileTables(const sql::ClassifiedScript& script);
  bool NewInFile(const std::string& quoted, int statement) const;
  // The state row of a file that has not finished, taken from unfinished_.
  Result<std::optional<store::MigrationState>> TakeUnfinished(const std::string& script);

  store::Session& session_;
  const config::Settings& settings_;
  ExecutorOptions options_;
  Reporter& reporter_;
  store::StateTable state_;
  // What later plans need of the files before them (never the whole classified files: one may
  // be a file of seed data).
  std::vector<plan::PriorUpdate> prior_updates_;
  std::vector<sql::TableName> created_;
  // For NewInFile(): quoted table -> spans [from, to) of statement positions (exclusive from:
  // the creating statement itself).
  std::map<std::string, std::vector<std::pair<size_t, size_t>>> file_new_;
  // The file's state when its whole plan is one transaction: no row is written for it (nothing
  // to resume there; its history row, in the same transaction, says it is done).
  std::optional<store::MigrationState> done_in_group_;
  // The highest installed_rank of the history before this run's first file in one transaction:
  // after a lost connection, a success row of the file above it is the one its transaction
  // committed.
  std::optional<int64_t> history_baseline_;
  bool had_state_ = false;  // the file had a state row: a failed history row may be its
  // Unfinished state rows by script, read once at the first Apply(): the run lock keeps other
  // runs out, so each file need not ask again (one round trip less per file).
  std::optional<std::map<std::string, store::MigrationState>> unfinished_;
  std::vector<StepReport> last_steps_;
  std::chrono::steady_clock::time_point started_;
  int failed_step_ = 0;
  std::map<int, int64_t> step_rows_;  // rows an as-written INSERT/UPDATE/DELETE step touched
  Half half_ = Half::kWhole;
};

// Whether a failed history row of file belongs to a half-applied run that tide can resume.
Result<bool> CanResume(pg::Connection& conn, const store::HistoryTable& history,
                       const source::MigrationFile& file);

}  // namespace tide::exec
