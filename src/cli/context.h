#pragma once
// What every command shares: the global flags, the settings loaded from them, where output goes,
// and the action the parsed command line chose.

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"

namespace tide::cli {

class Context {
 public:
  config::Flags flags;
  bool json = false;
  bool quiet = false;
  std::optional<std::string> direct_url;  // --direct-url (cli/context.cc: it replaces the URL)
  std::string targets_file;  // --targets: run the command on each database listed (cli/fleet.cc)
  std::string targets_query;  // --targets-query: ... on each URL this SQL returns
  std::string catalog_url;    // --catalog-url: where --targets-query runs
  std::string schemas;        // --schemas: ... on each schema matching this glob (cli/fleet.h)
  int parallel = 0;           // --parallel: at most this many targets at once (0: the cores)
  int canary = 0;             // --canary: run this many targets first, stop if one fails
  bool fail_fast = false;     // --fail-fast: start no other target once one failed
  bool Fleet() const {
    return !targets_file.empty() || !targets_query.empty() || !schemas.empty();
  }

  // Settings from flags, environment and tide.toml; loaded on first use.
  Result<const config::Settings*> Settings();
  Reporter& reporter();

  // Text for people, on stdout (nothing when --json).
  void Print(const std::string& text);
  // The one JSON document of a --json run.
  void PrintJson(const nlohmann::json& doc);

  // Set by the chosen subcommand's callback; run after parsing.
  std::function<Status()> action;
  // What tide exits with when the action succeeds: a check that ran fine but found problems
  // (lint's findings) sets it without an Error, so nothing but its own report is printed.
  int exit_code = 0;

 private:
  std::optional<config::Settings> settings_;
  std::unique_ptr<Reporter> reporter_;
};

// Each command adds itself to the app. Files: one per command, in src/cli/.
void AddInitCommand(CLI::App& app, Context& ctx);
void AddInfoCommand(CLI::App& app, Context& ctx);
void AddValidateCommand(CLI::App& app, Context& ctx);
void AddMigrateCommand(CLI::App& app, Context& ctx);
void AddBaselineCommand(CLI::App& app, Context& ctx);
void AddRepairCommand(CLI::App& app, Context& ctx);
void AddSandboxCommand(CLI::App& app, Context& ctx);
void AddDemoCommand(CLI::App& app, Context& ctx);
void AddRehearseCommand(CLI::App& app, Context& ctx);
void AddPlanCommand(CLI::App& app, Context& ctx);
void AddExpandCommand(CLI::App& app, Context& ctx);
void AddContractCommand(CLI::App& app, Context& ctx);
void AddVerifyCommand(CLI::App& app, Context& ctx);
void AddCiCommand(CLI::App& app, Context& ctx);
void AddRollbackCommand(CLI::App& app, Context& ctx);
void AddSearchPathCommand(CLI::App& app, Context& ctx);
void AddGenerateCommand(CLI::App& app, Context& ctx);  // hidden: man page, completion
void AddLintCommand(CLI::App& app, Context& ctx);

// The chosen command on every database of ctx.targets_file (or --targets-query), or on each
// schema of --schemas; args is the command line without the fleet's own options and --json
// (argv[0] first).
Status RunFleet(Context& ctx, const std::vector<std::string>& args, const std::string& command);

// Whether the URL is --direct-url (or TIDE_DIRECT_URL): tide's own URL bypasses a pooler.
bool ViaDirectUrl(const config::Settings& settings);

// A table for the terminal: columns padded to their widest cell.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace tide::cli
