#pragma once
// Who ran which phase, when, from where, with which tide, and how it ended: tide_run_log beside
// the history table. Refused runs are recorded too, and every --skip-gate with its reason.

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "pg/connection.h"

namespace tide::store {

inline constexpr const char* kAuditTable = "tide_run_log";

// How a run ended, as the outcome column spells it.
enum class RunOutcome { kRunning, kOk, kFailed, kRefused, kInterrupted };
const char* RunOutcomeName(RunOutcome outcome);  // "running", "ok", "failed", ...
// A value tide never writes reads as failed.
RunOutcome ParseRunOutcome(std::string_view text);

struct AuditEntry {
  int64_t id = 0;
  std::string command;  // migrate, expand, contract, rollback
  std::string phase;    // all, expand, contract
  std::string db_user;
  std::string os_user;
  std::string host;
  std::string tide_version;
  std::string started_at;
  std::string finished_at;
  RunOutcome outcome = RunOutcome::kRunning;
  std::vector<std::string> applied;
  std::string gate;             // the gate's summary, or "" when it did not run
  std::string skip_gate_reason;
  std::string error;
};

class AuditLog {
 public:
  explicit AuditLog(std::string schema) : schema_(std::move(schema)) {}
  std::string Qualified() const;
  Result<bool> Exists(pg::Connection& conn) const;
  // Starts an entry; returns its id.
  Result<int64_t> Begin(pg::Connection& conn, const std::string& command, const std::string& phase,
                        const std::string& gate, const std::string& skip_gate_reason) const;
  Status End(pg::Connection& conn, int64_t id, RunOutcome outcome,
             const std::vector<std::string>& applied, const std::string& error) const;
  // Marks every entry still 'running' as 'interrupted': its run was killed or lost its
  // connection before it could say how it ended. Only for a caller that holds the migration
  // lock (then no other run can be running).
  Status MarkInterrupted(pg::Connection& conn) const;
  // The newest entries first.
  Result<std::vector<AuditEntry>> Recent(pg::Connection& conn, int limit) const;

 private:
  Status CreateIfMissing(pg::Connection& conn) const;
  std::string schema_;
};

}  // namespace tide::store
