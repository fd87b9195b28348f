#pragma once
// The drift check on the command line: tide check --drift (check.cc) and the flags that
// tide migrate --check-drift shares with it.

#include <memory>
#include <string>
#include <vector>

#include "cli/context.h"
#include "drift/report.h"

namespace tide::cli {

void AddCheckCommand(CLI::App& app, Context& ctx);

struct DriftFlags {
  std::string scratch_url;
  std::vector<std::string> ignore;
  bool privileges = false;
};
void AddDriftFlags(CLI::App* cmd, const std::shared_ptr<DriftFlags>& flags);
// Runs the drift check with flags over the settings ([drift] ignore added to --ignore).
Result<drift::DriftReport> CheckDrift(Context& ctx, const DriftFlags& flags);

}  // namespace tide::cli
