#pragma once
// What `info`, `validate` and `migrate` agree on: the state of every migration, from the local
// files and the history rows alone (no database access here, so it is unit-tested directly).
// States and their names follow Flyway's.

#include <optional>
#include <string>
#include <vector>

#include "source/discovery.h"
#include "store/history.h"

namespace tide::migrate {

enum class State {
  kPending,        // local, not applied, will run
  kSuccess,        // applied and matching its file
  kFailed,         // applied with success = false
  kMissing,        // applied, no local file
  kFuture,         // applied, newer than every local file
  kOutOfOrder,     // applied after a newer version had been applied
  kIgnored,        // local, not applied, older than the newest applied (needs --out-of-order)
  kBaseline,       // the baseline row
  kBelowBaseline,  // local, at or below the baseline version, never runs
  kAboveTarget,    // local, not applied, newer than --target
  kOutdated,       // repeatable whose file changed since it was applied: will run again
  kSuperseded,     // older history row of a repeatable
  kDeleted,        // a row that repair marked deleted
  kSchemaCreation, // Flyway's marker that it created the schema
};
const char* StateName(State state);

struct MigrationStatus {
  source::MigrationKind kind = source::MigrationKind::kVersioned;
  std::optional<source::Version> version;
  std::string description;
  std::string type = store::kTypeSql;
  std::string script;
  State state = State::kPending;
  const source::MigrationFile* file = nullptr;      // the local file, when there is one
  std::optional<store::AppliedMigration> applied;  // the history row shown, when there is one

  std::string VersionText() const { return version ? version->text() : ""; }
  bool WillRun() const {
    return state == State::kPending || state == State::kOutdated;
  }
};

struct StatusOptions {
  std::optional<source::Version> target;  // nullopt: latest
  bool out_of_order = false;      // run pending migrations older than the newest applied one
};

std::vector<MigrationStatus> ComputeStatus(const std::vector<source::MigrationFile>& files,
                                           const std::vector<store::AppliedMigration>& history,
                                           const StatusOptions& options);

// "latest" -> nullopt, "current" -> newest applied, "next" -> first pending, else a version.
Result<std::optional<source::Version>> ResolveTarget(const std::string& target,
                                             const std::vector<source::MigrationFile>& files,
                                             const std::vector<store::AppliedMigration>& history);

struct ValidationIssue {
  std::string script;  // the file or history row concerned
  std::string message;
  std::string hint;
};
// Changed checksums or descriptions, applied migrations missing locally, failed migrations,
// and pending migrations older than the newest applied one (unless out_of_order).
std::vector<ValidationIssue> Validate(const std::vector<MigrationStatus>& statuses,
                                      bool out_of_order);

}  // namespace tide::migrate
