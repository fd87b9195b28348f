#pragma once
// A rehearsal of one expand/contract cycle on a scratch server, under simulated traffic of the
// releases involved, measuring what users would feel. The schedule, on a copy of seeded data:
//   baseline     v1 only
//   expand       tide expand while v1 runs
//   deploy v2    v2's share rises, v1's falls; then v1 is gone   (and the same v2 -> v3, if any)
//   verify       the gate: no instance older than the last release
//   contract     tide contract (with the gate) while the last release runs
// With compare_plain the same cycle runs again on identical data with each file in one
// transaction, as Flyway or dbmate run it.
//
// The contract runs under the last release given: a contract drops what the old shape had, so
// it must wait until every instance runs a release that no longer uses it (in the seed's own
// scenario v2 still writes contact_info; v3 is the first release that does not).

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "rehearse/report.h"

namespace tide::rehearse {

struct ReleaseWorkload {
  std::string name;  // "v1"
  std::filesystem::path file;
};

struct RehearsalOptions {
  config::Settings settings;              // locations, lock timeout, backfill...
  std::vector<ReleaseWorkload> releases;  // oldest first: v1, v2 [, v3]
  int64_t rows = 100'000;                 // synthetic rows per table (ignored with seed_sql)
  std::filesystem::path seed_sql;         // run instead of synthetic rows
  int clients = 4;                        // per release
  std::string url;                        // a server tide may create databases on; empty: sandbox
  bool compare_plain = false;
  bool durable = false;                   // sandbox with fsync on
  std::string app = "app";                // application_name app/1.0, app/2.0, ...
  std::optional<std::string> from;        // baseline: migrations up to this version
  // The release whose traffic runs during the contract; empty: the last one. An earlier release
  // stops the rollout there and skips the gate (recorded): a rehearsal of what goes wrong when a
  // contract runs too early.
  std::string contract_under;
  std::chrono::milliseconds baseline{3000};
  std::chrono::milliseconds rollout{4000};  // per release change
  std::chrono::milliseconds settle{2000};   // after each migration phase
};

struct RehearsalRun {
  std::string mode;  // "tide" or "plain"
  Report report;
};

struct Rehearsal {
  std::vector<RehearsalRun> runs;
  std::string cycle;     // "V1.1 add email column -> V1.2 remove contact info column"
  std::string baseline;  // "V1", the migrations applied before the data was loaded
  std::vector<std::string> warnings;
};

Result<Rehearsal> Rehearse(const RehearsalOptions& options, Reporter& reporter);

}  // namespace tide::rehearse
