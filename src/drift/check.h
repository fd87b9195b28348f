#pragma once
// `tide check --drift`: does the database still match its migration history? The applied
// files (exactly those flyway_schema_history records as successful, declarative ones left
// between their halves as the database has them) are replayed through tide's own migrate path
// onto a scratch database, both schemas are read from the catalogs and compared
// (drift/diff.h). The target is only read: catalogs, in one read-only transaction.

#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "drift/report.h"

namespace tide::drift {

struct CheckOptions {
  // A server where tide may create (and then drops) a scratch database; empty: a throwaway
  // local cluster, started and removed by the check.
  std::string scratch_url;
  bool privileges = false;          // compare owners and grants too
  std::vector<std::string> ignore;  // globs on qualified names, beside [drift] ignore
};

// The report, findings or none. An Error when the history cannot be replayed (a file missing
// or changed since it was applied, a baseline, a replay that fails) or a database is
// unreachable: tide cannot say whether the schema drifted.
Result<DriftReport> CheckDrift(const config::Settings& settings, const CheckOptions& options,
                               Reporter& reporter);

}  // namespace tide::drift
