#pragma once
// Everything a command needs to know about where and how to run, merged from flags, the
// environment and tide.toml, and from a Flyway project's own configuration (flyway_conf.h),
// with where each value came from. Precedence, highest first:
//   flags > -Dflyway.x=y > TIDE_* > FLYWAY_* > tide.toml > flyway.toml > flyway.conf > defaults

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/flyway_conf.h"

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
  std::vector<std::string> defines;        // -Dflyway.x=y, without the -D
  std::optional<std::string> environment;  // --environment: a flyway.toml environment
};

struct BackfillSettings {
  // Aim for batches this long: an application write to a row of the running batch waits at most
  // about this long (issue 17: a 25 ms budget for the worst wait).
  std::chrono::milliseconds target_batch{20};
  int64_t min_batch = 100;
  int64_t max_batch = 100'000;
  std::chrono::milliseconds pause{0};         // sleep between batches
  // Throttle while a standby is further behind than either limit (exec/replica_watch.h).
  std::optional<int64_t> max_replica_lag_bytes;
  std::optional<std::chrono::milliseconds> max_replica_lag_time;  // pg_stat_replication.replay_lag
  // A throttle pause longer than this fails the run, resumable after its last batch.
  std::chrono::milliseconds max_throttle_wait{std::chrono::minutes(30)};
  int64_t small_table_rows = 10'000;          // below this, statements run as written
};

struct GateSettings {
  std::string app;
  std::string version;
  std::vector<std::string> standby_urls;
  std::vector<std::string> pooler_admin_urls;  // PgBouncer admin consoles (SHOW CLIENTS)
  std::string check_command;
  std::chrono::milliseconds min_expand_age{0};
};

// Flyway's ${name} placeholders (migrate/placeholders.h replaces them).
struct PlaceholderSettings {
  bool enabled = true;  // flyway.placeholderReplacement
  std::string prefix = "${";
  std::string suffix = "}";
  std::map<std::string, std::string> values;  // flyway.placeholders.NAME, [placeholders]
};

struct Settings {
  std::string url;  // empty: none configured
  std::vector<std::filesystem::path> locations;
  std::string schema;  // empty: the connection's current_schema()
  std::string history_table = "flyway_schema_history";
  std::chrono::milliseconds lock_timeout{500};
  std::chrono::milliseconds lock_wait{std::chrono::minutes(5)};  // total budget per step
  std::chrono::milliseconds migration_lock_wait{std::chrono::minutes(10)};
  // A connection lost mid-migration is reopened, with backoff, for this long (exec/reconnect.h).
  std::chrono::milliseconds reconnect_wait{std::chrono::minutes(1)};
  std::string installed_by;  // empty: current_user
  BackfillSettings backfill;
  GateSettings gate;
  // Flyway settings with no flag of their own in tide; commands use them as defaults.
  std::string target = "latest";   // flyway.target: migrate and info, unless --target
  bool out_of_order = false;       // flyway.outOfOrder, or --out-of-order
  std::string baseline_version = "1";
  std::string baseline_description;  // empty: Flyway's << Flyway Baseline >>
  PlaceholderSettings placeholders;
  bool sql_callbacks = true;  // beforeMigrate.sql & co.; false with flyway.skipDefaultCallbacks
  std::filesystem::path config_file;  // the tide.toml read, if any
  std::vector<std::filesystem::path> flyway_files;  // flyway.conf / flyway.toml read
  // setting name -> "flag --url", "env TIDE_URL", "tide.toml:3", "flyway.conf:2" or "default"
  std::map<std::string, std::string> sources;
  // Settings read but not honoured (an unsupported Flyway option, a JDBC property): the CLI
  // prints each as a warning.
  std::vector<std::string> warnings;

  // The URL, or a usage error that says how to give one.
  Result<std::string> RequireUrl() const;
};

std::optional<std::string> ProcessEnv(const char* name);

// Flyway's files are looked for in the current folder, like tide.toml.
Result<Settings> Load(const Flags& flags, Getenv getenv = &ProcessEnv,
                      EnvNames env_names = &ProcessEnvNames);

// tide.toml's text, as read from file (named in errors), over s. Exposed for the fuzzer.
Status ParseConfigText(std::string_view text, const std::filesystem::path& file, Settings& s);

// A --max-replica-lag / max_replica_lag value: a duration of replay lag ("500ms", "2s", "1min")
// or an amount of WAL ("64MB", "512kB", a bare number of bytes), set in b. "2m" is refused:
// minutes or megabytes?
Status SetReplicaLagLimit(std::string_view text, BackfillSettings& b);

// The commented tide.toml that `tide init` writes.
std::string DefaultConfigText();

}  // namespace tide::config
