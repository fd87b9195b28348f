#pragma once
// `tide rollback`: undoes the expand of the newest declarative migrations whose contract has
// not run, newest first: the new release's views and the sync triggers go, the added columns,
// tables, indexes and constraints go, and the old release's tables are exactly as they were
// (with whatever either release wrote to them meanwhile). Each one's history row and state are
// deleted, so the file is pending again. Only migrations at the top of the history are rolled
// back: a later migration may depend on them.

#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "source/discovery.h"
#include "store/session.h"

namespace tide::migrate {

struct RollbackOptions {
  bool dry_run = false;
};

struct RollbackResult {
  std::vector<std::string> rolled_back;  // labels, in the order undone (newest first)
  std::string schema_version;            // newest applied version after the run
};

Result<RollbackResult> Rollback(store::Session& session, const config::Settings& settings,
                                const source::Discovery& discovery, const RollbackOptions& options,
                                Reporter& reporter);

}  // namespace tide::migrate
