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
#include <string>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "pg/connection.h"
#include "plan/step.h"

namespace tide::exec {

// Where a batch records its progress: the state table row of the running migration.
struct CheckpointSink {
  std::string state_table;  // quoted
  std::string script;
  int step = 0;
};

struct BackfillOptions {
  config::BackfillSettings settings;
  std::chrono::milliseconds lock_timeout{500};
  std::chrono::milliseconds retry_budget{std::chrono::minutes(5)};
};

struct BackfillResult {
  int64_t visited = 0;  // rows walked
  int64_t changed = 0;  // rows the statement changed
  int batches = 0;
  int retries = 0;
  std::chrono::milliseconds elapsed{0};
  std::chrono::milliseconds throttled{0};  // paused for replica lag
  double rows_per_second = 0;
};

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
  // Runs one batch statement with its retries; returns rows changed.
  Result<int64_t> RunBatch(const std::string& sql, std::vector<pg::Param> params,
                           BackfillResult& result);
  Status Throttle(BackfillResult& result);
  bool IntegerKey() const;
  // The key that ends the next batch of about size keys after cursor.last; nullopt when done.
  Result<std::optional<std::vector<std::string>>> NextBound(const Cursor& cursor, int64_t size);
  std::string KeyList() const;
  std::string Qualified(const std::string& column) const;

  pg::Connection& conn_;
  const plan::BackfillSpec& spec_;
  BackfillOptions options_;
  Reporter& reporter_;
  std::optional<CheckpointSink> sink_;
};

}  // namespace tide::exec
