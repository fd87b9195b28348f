#pragma once
// Everything a command needs to know about where and how to run, merged from flags, the
// environment and tide.toml (in that order of precedence), with where each value came from.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tide::config {

// Values given on the command line; unset fields fall through to the environment and the file.
struct Flags {
  std::optional<std::string> url;
  std::optional<std::string> config_file;
  std::vector<std::string> locations;
  std::optional<std::string> schema;
  std::optional<std::string> lock_timeout;
  std::optional<std::string> lock_wait;
  std::optional<std::string> history_table;
};

struct BackfillSettings {
  std::chrono::milliseconds target_batch{50};  // aim for batches this long
  int64_t min_batch = 100;
  int64_t max_batch = 100'000;
  std::chrono::milliseconds pause{0};         // sleep between batches
  std::optional<int64_t> max_replica_lag_bytes;  // throttle while a standby is further behind
  int64_t small_table_rows = 10'000;          // below this, statements run as written
};

struct GateSettings {
  std::string app;
  std::string version;
  std::vector<std::string> standby_urls;
  std::string check_command;
  std::chrono::milliseconds min_expand_age{0};
};

struct Settings {
  std::string url;  // empty: none configured
  std::vector<std::filesystem::path> locations;
  std::string schema;  // empty: the connection's current_schema()
  std::string history_table = "flyway_schema_history";
  std::chrono::milliseconds lock_timeout{500};
  std::chrono::milliseconds lock_wait{std::chrono::minutes(5)};  // total budget per step
  std::chrono::milliseconds migration_lock_wait{std::chrono::minutes(10)};
  std::string installed_by;  // empty: current_user
  BackfillSettings backfill;
  GateSettings gate;
  std::filesystem::path config_file;  // the tide.toml read, if any
  // setting name -> "flag", "env TIDE_URL", "tide.toml:3" or "default"
  std::map<std::string, std::string> sources;

  // The URL, or a usage error that says how to give one.
  Result<std::string> RequireUrl() const;
};

// Reads the environment through this, so tests can pass their own.
using Getenv = std::optional<std::string> (*)(const char* name);
std::optional<std::string> ProcessEnv(const char* name);

Result<Settings> Load(const Flags& flags, Getenv getenv = &ProcessEnv);

// The commented tide.toml that `tide init` writes.
std::string DefaultConfigText();

}  // namespace tide::config
