#pragma once
// tide's own table beside Flyway's history: one row per migration tide has started, holding the
// plan it runs, the next step, names it learned on the way and a backfill's checkpoint. Every
// step's progress is written in the same transaction as the step itself, so after a crash the
// row says exactly where to resume. A file whose whole plan is one transaction gets no row: it
// commits with its history row or leaves nothing behind, so there is nothing to resume.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "pg/connection.h"

namespace tide::store {

inline constexpr const char* kStateTable = "tide_migration_state";

// Where a file's run stands, as the state table's status column spells it.
enum class RunStatus { kRunning, kFailed, kDone };
const char* RunStatusName(RunStatus status);  // "running", "failed", "done"
// The status column's value; a value tide never writes reads as failed, so that it is looked at.
RunStatus ParseRunStatus(std::string_view text);

struct MigrationState {
  std::string script;
  std::optional<std::string> version;
  std::string description;
  int32_t checksum = 0;
  std::string phase = "neutral";
  RunStatus status = RunStatus::kRunning;
  int next_step = 0;
  int steps = 0;
  nlohmann::json plan;
  nlohmann::json outputs = nlohmann::json::object();
  nlohmann::json checkpoint;  // null, or {"step": i, ...} for the backfill of step i
  std::string error;
  std::string started_at;
  std::string updated_at;
};

// What a resumed run does next: "resuming at step 3 of 7", or, when the run stopped after its
// last step and before its history row, "all 7 steps applied; recording it".
std::string ResumingAt(int next_step, int steps);

class StateTable {
 public:
  explicit StateTable(std::string schema) : schema_(std::move(schema)) {}
  std::string Qualified() const;

  Status CreateIfMissing(pg::Connection& conn) const;
  Result<bool> Exists(pg::Connection& conn) const;
  Result<std::optional<MigrationState>> Load(pg::Connection& conn, const std::string& script) const;
  // Every row, newest first (for info).
  Result<std::vector<MigrationState>> LoadAll(pg::Connection& conn) const;
  // The rows of files that have not finished (running or failed).
  Result<std::vector<MigrationState>> LoadUnfinished(pg::Connection& conn) const;
  // Inserts or replaces the row for state.script, status "running".
  Status Start(pg::Connection& conn, const MigrationState& state) const;
  // Also clears the checkpoint: it belongs to the backfill of the step that just ended.
  Status Advance(pg::Connection& conn, const std::string& script, int next_step,
                 const nlohmann::json& outputs) const;
  // Forgets the checkpoint of step's backfill (when the checkpoint is that step's).
  Status ClearCheckpoint(pg::Connection& conn, const std::string& script, int step) const;
  Status Finish(pg::Connection& conn, const std::string& script) const;
  Status Fail(pg::Connection& conn, const std::string& script, const std::string& error) const;
  Status Delete(pg::Connection& conn, const std::string& script) const;
  // One batch of a backfill and its checkpoint in one statement, so they commit together:
  // `batch` (an UPDATE or DELETE ... RETURNING) runs as the CTE tide_batch, the row of the script
  // in parameter $script_param gets `checkpoint` (an SQL expression, which may count
  // tide_batch), and the statement returns the batch's row count and then `extra` (a column).
  std::string CheckpointedBatch(const std::string& batch, const std::string& checkpoint,
                                int script_param, const std::string& extra) const;

 private:
  Result<std::vector<MigrationState>> LoadWhere(pg::Connection& conn, const char* condition) const;
  std::string schema_;
  // Whether the table exists, once known: each file of a run asks, and only CreateIfMissing
  // changes the answer while tide holds the run lock (one round trip less per file).
  mutable std::optional<bool> exists_;
};

}  // namespace tide::store
