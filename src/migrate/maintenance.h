#pragma once
// `baseline` and `repair`: the two commands that write history rows without running migrations.

#include <string>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "source/discovery.h"
#include "store/session.h"

namespace tide::migrate {

// Marks an existing database as being at `version`: later migrations apply, older ones never.
// Refused when migrations were already applied.
Status Baseline(store::Session& session, const config::Settings& settings, const std::string& version,
                const std::string& description, Reporter& reporter);

struct RepairResult {
  int removed_failed = 0;  // failed rows deleted
  int realigned = 0;       // checksums / descriptions set to the local files'
  int marked_deleted = 0;  // applied migrations with no file, marked with a DELETE row
};
Result<RepairResult> Repair(store::Session& session, const config::Settings& settings,
                            const source::Discovery& discovery, Reporter& reporter);

}  // namespace tide::migrate
