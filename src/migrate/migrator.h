#pragma once
// `tide migrate`: validate, take the run lock, then apply every pending migration in order and
// record each in the history table. How one file is applied is the executor's business
// (exec/executor.h); this file decides which files run, in what order, under what checks.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "exec/executor.h"
#include "gate/gate.h"
#include "migrate/schedule.h"
#include "migrate/status.h"
#include "plan/step.h"
#include "source/discovery.h"
#include "store/session.h"

namespace tide::migrate {

enum class ExecutionMode {
  kSafe,   // tide's plan: lock timeouts, batches, concurrent builds (the default)
  kPlain,  // as Flyway runs it: each file in one transaction, statements as written
};

struct MigrateOptions {
  std::string target = "latest";
  bool out_of_order = false;
  bool dry_run = false;
  ExecutionMode mode = ExecutionMode::kSafe;
  PhaseFilter phase = PhaseFilter::kAll;
  std::string command = "migrate";  // for the audit log: migrate, expand, contract
  gate::GateOptions gate;           // not configured: no replica check
  std::string skip_gate_reason;     // set: the gate and the same-run rule are skipped, recorded
  std::chrono::milliseconds min_expand_age{0};
};

struct MigrationOutcome {
  std::string label;  // "V1.1 add email column"
  std::string script;
  std::string version;
  std::string description;
  int64_t milliseconds = 0;
  std::vector<exec::StepReport> steps;  // empty for --plain
};

struct MigrateResult {
  std::vector<MigrationOutcome> applied;
  std::vector<std::string> would_apply;  // dry run: labels, in order
  std::string schema_version;            // newest applied version after the run
  std::string stopped_before;            // the first migration of the other phase, if one waits
  std::string gate;                      // what the gate found, when it ran
  // Files that mix expand and contract statements, run as written, and why that was safe here.
  std::vector<std::string> mixed_files;
  std::string mixed_why;
};

Result<MigrateResult> Migrate(store::Session& session, const config::Settings& settings,
                              const source::Discovery& discovery, const MigrateOptions& options,
                              Reporter& reporter);

struct PlannedMigration {
  const source::MigrationFile* file = nullptr;
  plan::Plan plan;
  bool resuming = false;  // a half-applied run: its stored plan, from next_step
  int next_step = 0;
  std::shared_ptr<const std::vector<source::MigrationFile>> keep_alive;  // owns *file when resolved
};

// The plans `migrate` would run now, against the database as it is (no locks, no writes).
Result<std::vector<PlannedMigration>> PlanPending(store::Session& session,
                                                  const config::Settings& settings,
                                                  const source::Discovery& discovery,
                                                  const MigrateOptions& options,
                                                  Reporter& reporter);
// Plans of every file, with no database: existing tables are assumed big.
Result<std::vector<PlannedMigration>> PlanOffline(const config::Settings& settings,
                                                  const source::Discovery& discovery);

// Loads history and computes every migration's state (no locks, no writes).
Result<std::vector<MigrationStatus>> LoadStatus(store::Session& session, const source::Discovery& discovery,
                                                const StatusOptions& options,
                                                std::vector<store::AppliedMigration>* history_out);

}  // namespace tide::migrate
