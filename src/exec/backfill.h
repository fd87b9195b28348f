#pragma once
// The batched backfill: an UPDATE or DELETE over a whole table, run as many short transactions
// keyed on the table's primary key (or a unique NOT NULL key), each batch sized toward a target
// duration. Physical row ranges (ctid) are walked only for the declarative sync backfill, whose
// trigger fills every row the application writes: the planner refuses a file's UPDATE or DELETE
// on a table without a key (plan/planner.cc says why). Every batch computes its values from the row
// as it is when the batch runs, so a row the application changed meanwhile is never overwritten
// with a stale value; a converging backfill (WHERE col IS NULL) walks on to rows inserted
// meanwhile. Each batch commits its checkpoint with its rows, so a killed run resumes after the
// last batch.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <string>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "exec/replica_watch.h"
#include "pg/connection.h"
#include "store/state.h"
#include "plan/step.h"

namespace tide::exec {

// Where a batch records its progress: the state table row of the running migration.
struct CheckpointSink {
  store::StateTable table;
  std::string script;
  int step = 0;
};

struct BackfillOptions {
  config::BackfillSettings settings;
  std::chrono::milliseconds lock_timeout{500};
  std::chrono::milliseconds retry_budget{std::chrono::minutes(5)};
};

// How a backfill yielded: to the standbys (--max-replica-lag) and to the application's waits.
// The step's report carries it as it is.
struct Yielded {
  std::chrono::milliseconds throttled{0};  // paused for replica lag
  int pauses = 0;
  int64_t worst_lag_ms = 0;  // the furthest behind a standby was, in time and in WAL
  int64_t worst_lag_bytes = 0;
  // Batches the application queued behind (exec/batch_sizer.h): each halved the next batch.
  int batches_shrunk = 0;
  int64_t waiters = 0;          // sessions that queued, over all batches
  int64_t longest_wait_ms = 0;  // the longest any of them waited on a batch
};

struct BackfillResult {
  int64_t visited = 0;  // rows walked
  int64_t changed = 0;  // rows the statement changed
  int batches = 0;
  int retries = 0;
  std::chrono::milliseconds elapsed{0};
  Yielded yielded;
  double rows_per_second = 0;
};

class BatchSizer;

class Backfill {
 public:
  Backfill(pg::Connection& conn, const plan::BackfillSpec& spec, BackfillOptions options,
           Reporter& reporter, std::optional<CheckpointSink> sink)
      : conn_(conn), spec_(spec), options_(options), reporter_(reporter), sink_(std::move(sink)) {}

  // checkpoint: what an earlier run of this step committed last ({"step": i, ...}), or null.
  Result<BackfillResult> Run(const nlohmann::json& checkpoint, int64_t estimated_rows);

 private:
  struct Cursor;
  Result<BackfillResult> RunKeyed(Cursor& cursor, int64_t estimated_rows);
  Result<BackfillResult> RunPages(Cursor& cursor, int64_t estimated_rows);
  struct BatchOutcome {
    int64_t changed = 0;
    int64_t waiters = 0;  // sessions queued behind the batch as it ended
    int64_t wait_ms = 0;  // the longest of their waits
  };
  // Runs one batch statement with its retries.
  Result<BatchOutcome> RunBatch(const std::string& sql, std::vector<pg::Param> params,
                                BackfillResult& result);
  // Sizes the next batch and pauses when the application queued behind this one.
  void AfterBatch(BatchSizer& sizer, std::chrono::steady_clock::time_point batch_started,
                  const BatchOutcome& done, BackfillResult& result);
  void ReportProgress(const BackfillResult& result, int64_t start_visited,
                      std::chrono::steady_clock::time_point started, int64_t total,
                      const BatchSizer& sizer);
  BackfillResult Finished(BackfillResult result, int64_t start_visited,
                          std::chrono::steady_clock::time_point started, const BatchSizer& sizer);
  // --max-replica-lag: reads the standbys' lag when due and waits while one is too far behind.
  Status StartThrottle();
  Status Throttle(BackfillResult& result);
  Status PauseForLag(LagVerdict verdict, BackfillResult& result);
  void NoteLag(const LagVerdict& verdict, BackfillResult& result);
  // Rows per second over the time spent on batches, pauses for lag excluded (the ETA's rate).
  double ActiveRate(const BackfillResult& result, int64_t start_visited,
                    std::chrono::steady_clock::time_point started) const;
  bool IntegerKey() const;
  // The key that ends the next batch of about size keys after cursor.last; nullopt when done.
  Result<std::optional<std::vector<std::string>>> NextBound(const Cursor& cursor, int64_t size);
  std::string KeyList() const;
  // RunKeyed's parts: where the walk ends (false: the table is empty), the integer key's
  // [min, max] for progress, and one batch's statement with its key parameters from $q on.
  Result<bool> FixEnd(Cursor& cursor);
  Result<std::optional<std::pair<int64_t, int64_t>>> KeySpan();
  std::string KeyedDml(const Cursor& cursor, const std::vector<std::string>& upper,
                       std::vector<pg::Param>& params, int& q) const;
  std::string Qualified(const std::string& column) const;

  pg::Connection& conn_;
  const plan::BackfillSpec& spec_;
  BackfillOptions options_;
  Reporter& reporter_;
  std::optional<CheckpointSink> sink_;
  std::optional<ReplicaWatch> watch_;
  std::chrono::steady_clock::time_point last_lag_read_{};
  bool lag_near_ = false;
  bool heartbeat_warned_ = false;
};

}  // namespace tide::exec
