#include "config/settings.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "config/drift_settings.h"
#include "config/flyway_settings.h"
#include "pg/connection.h"

namespace tide::config {

namespace fs = std::filesystem;

namespace {
const char* kMavenMigrations = "src/main/resources/db/migration";
}  // namespace

std::optional<std::string> ProcessEnv(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

Result<std::string> Settings::RequireUrl() const {
  if (!url.empty()) return url;
  return Error::Usage("no database to connect to")
      .WithHint("pass --url postgresql://user@host/db, set TIDE_URL, put url in tide.toml, or "
                "keep Flyway's flyway.url (flyway.conf, flyway.toml, FLYWAY_URL); "
                "for a throwaway local database: tide sandbox start, then "
                "export TIDE_URL=\"$(tide sandbox url)\"");
}

namespace {

std::string Where(const toml::node& node, const fs::path& file) {
  return fmt::format("{}:{}", file.string(), node.source().begin.line);
}

Error BadValue(const toml::node& node, const fs::path& file, const std::string& key,
               const std::string& expected) {
  return Error::Input(fmt::format("'{}' must be {}", key, expected))
      .At({file.string(), static_cast<int>(node.source().begin.line),
           static_cast<int>(node.source().begin.column)});
}

Result<std::string> GetString(const toml::node& node, const fs::path& file,
                              const std::string& key) {
  // value_exact: toml++'s value<T>() converts (true becomes 1), which would hide a typo.
  if (auto s = node.value_exact<std::string>()) return *s;
  return BadValue(node, file, key, "a string");
}

// Durations in tide.toml: "500ms" or a number of milliseconds.
Result<std::chrono::milliseconds> GetDuration(const toml::node& node, const fs::path& file,
                                              const std::string& key) {
  if (auto n = node.value_exact<int64_t>()) return std::chrono::milliseconds(*n);
  if (auto s = node.value_exact<std::string>()) {
    auto d = ParseDuration(*s);
    if (d.ok()) return d;
  }
  return BadValue(node, file, key, "a duration like \"500ms\" or \"2s\"");
}

Result<int64_t> GetInt(const toml::node& node, const fs::path& file, const std::string& key) {
  if (auto n = node.value_exact<int64_t>()) return *n;
  return BadValue(node, file, key, "an integer");
}

Result<std::vector<std::string>> GetStrings(const toml::node& node, const fs::path& file,
                                            const std::string& key) {
  std::vector<std::string> out;
  if (auto s = node.value_exact<std::string>()) {
    out.push_back(*s);
    return out;
  }
  if (const auto* arr = node.as_array()) {
    for (const auto& item : *arr) {
      TIDE_ASSIGN(auto s, GetString(item, file, key));
      out.push_back(std::move(s));
    }
    return out;
  }
  return BadValue(node, file, key, "a string or a list of strings");
}

Error UnknownKey(const toml::node& node, const fs::path& file, const std::string& key,
                 const std::string& known) {
  return Error::Input(fmt::format("unknown setting '{}'", key))
      .At({file.string(), static_cast<int>(node.source().begin.line),
           static_cast<int>(node.source().begin.column)})
      .WithHint("known settings here: " + known);
}

// Flyway's "filesystem:" and "classpath:" prefixes are accepted so the seed's Maven locations
// work as written; a bare path is a folder.
fs::path LocationPath(const std::string& text, const fs::path& base) {
  return ResolveLocation(text, base, /*bare_is_classpath=*/false);
}

// max_replica_lag: "2s", "64MB", a number of bytes, or a list of a duration and a size.
Status ReadReplicaLag(const toml::node& node, const fs::path& file, const std::string& key,
                      BackfillSettings& b) {
  auto one = [&](const toml::node& n) -> Status {
    if (auto bytes = n.value_exact<int64_t>()) {
      if (*bytes <= 0) return BadValue(n, file, key, "above 0");
      b.max_replica_lag_bytes = *bytes;
      return Ok();
    }
    auto text = n.value_exact<std::string>();
    if (!text) return BadValue(n, file, key, "a duration like \"2s\" or a size like \"64MB\"");
    Status set = SetReplicaLagLimit(*text, b);
    if (!set.ok()) {
      return Error::Input(fmt::format("'{}': {}", key, set.error().message()))
          .At({file.string(), static_cast<int>(n.source().begin.line),
               static_cast<int>(n.source().begin.column)})
          .WithHint(set.error().hint());
    }
    return Ok();
  };
  if (const auto* arr = node.as_array()) {
    for (const auto& item : *arr) TIDE_TRY(one(item));
    return Ok();
  }
  return one(node);
}

Status ReadBackfill(const toml::table& table, const fs::path& file, Settings& s) {
  for (const auto& [bk, bnode] : table) {
    std::string name(bk.str());
    std::string full = "backfill." + name;
    if (name == "target_batch") {
      TIDE_ASSIGN(s.backfill.target_batch, GetDuration(bnode, file, full));
    } else if (name == "min_batch") {
      TIDE_ASSIGN(s.backfill.min_batch, GetInt(bnode, file, full));
    } else if (name == "max_batch") {
      TIDE_ASSIGN(s.backfill.max_batch, GetInt(bnode, file, full));
    } else if (name == "pause") {
      TIDE_ASSIGN(s.backfill.pause, GetDuration(bnode, file, full));
    } else if (name == "max_replica_lag") {
      TIDE_TRY(ReadReplicaLag(bnode, file, full, s.backfill));
    } else if (name == "max_throttle_wait") {
      TIDE_ASSIGN(s.backfill.max_throttle_wait, GetDuration(bnode, file, full));
    } else if (name == "small_table_rows") {
      TIDE_ASSIGN(s.backfill.small_table_rows, GetInt(bnode, file, full));
    } else {
      return UnknownKey(bnode, file, full,
                        "target_batch, min_batch, max_batch, pause, max_replica_lag, "
                        "max_throttle_wait, small_table_rows");
    }
    s.sources[full] = Where(bnode, file);
  }
  // A batch of zero rows never ends a backfill; a minimum above the maximum is a typo.
  if (s.backfill.min_batch < 1 || s.backfill.max_batch < s.backfill.min_batch) {
    return Error::Input(fmt::format("backfill batches must satisfy 1 <= min_batch <= max_batch "
                                    "(min_batch = {}, max_batch = {})",
                                    s.backfill.min_batch, s.backfill.max_batch))
        .At({file.string(), static_cast<int>(table.source().begin.line), 0});
  }
  return Ok();
}

Status ReadGate(const toml::table& table, const fs::path& file, Settings& s) {
  for (const auto& [gk, gnode] : table) {
    std::string name(gk.str());
    std::string full = "gate." + name;
    if (name == "app") {
      TIDE_ASSIGN(s.gate.app, GetString(gnode, file, full));
    } else if (name == "version") {
      TIDE_ASSIGN(s.gate.version, GetString(gnode, file, full));
    } else if (name == "standby_urls") {
      TIDE_ASSIGN(s.gate.standby_urls, GetStrings(gnode, file, full));
    } else if (name == "pooler_admin_urls") {
      TIDE_ASSIGN(s.gate.pooler_admin_urls, GetStrings(gnode, file, full));
    } else if (name == "check_command") {
      TIDE_ASSIGN(s.gate.check_command, GetString(gnode, file, full));
    } else if (name == "min_expand_age") {
      TIDE_ASSIGN(s.gate.min_expand_age, GetDuration(gnode, file, full));
    } else {
      return UnknownKey(gnode, file, full,
                        "app, version, standby_urls, pooler_admin_urls, check_command, "
                        "min_expand_age");
    }
    s.sources[full] = Where(gnode, file);
  }
  return Ok();
}

// [drift]: validated with the rest of tide.toml; config/drift_settings.h reads its values.
Status ReadDrift(const toml::table& table, const fs::path& file, Settings& s) {
  for (const auto& [dk, dnode] : table) {
    std::string name(dk.str());
    std::string full = "drift." + name;
    if (name != "ignore") return UnknownKey(dnode, file, full, "ignore");
    TIDE_TRY(GetStrings(dnode, file, full));  // checked here, read by DriftIgnore
    s.sources[full] = Where(dnode, file);
  }
  return Ok();
}

// One top-level key of tide.toml; false when the key is not a plain setting.
Result<bool> ReadTopKey(const std::string& key, const toml::node& node, const fs::path& file,
                        Settings& s) {
  if (key == "url") {
    TIDE_ASSIGN(s.url, GetString(node, file, key));
  } else if (key == "locations") {
    TIDE_ASSIGN(auto locs, GetStrings(node, file, key));
    s.locations.clear();
    for (const auto& l : locs) s.locations.push_back(LocationPath(l, file.parent_path()));
  } else if (key == "schema") {
    TIDE_ASSIGN(s.schema, GetString(node, file, key));
  } else if (key == "history_table") {
    TIDE_ASSIGN(s.history_table, GetString(node, file, key));
  } else if (key == "lock_timeout") {
    TIDE_ASSIGN(s.lock_timeout, GetDuration(node, file, key));
  } else if (key == "lock_wait") {
    TIDE_ASSIGN(s.lock_wait, GetDuration(node, file, key));
  } else if (key == "migration_lock_wait") {
    TIDE_ASSIGN(s.migration_lock_wait, GetDuration(node, file, key));
  } else if (key == "reconnect_wait") {
    TIDE_ASSIGN(s.reconnect_wait, GetDuration(node, file, key));
  } else if (key == "installed_by") {
    TIDE_ASSIGN(s.installed_by, GetString(node, file, key));
  } else {
    return false;
  }
  return true;
}

}  // namespace

Status ParseConfigText(std::string_view text, const fs::path& file, Settings& s) {
  toml::table root;
  try {
    root = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    return Error::Input(std::string(e.description()))
        .At({file.string(), static_cast<int>(e.source().begin.line),
             static_cast<int>(e.source().begin.column)})
        .WithHint("tide.toml is TOML: key = \"value\" lines and [section] headers");
  }
  const std::string top_keys =
      "url, locations, schema, history_table, lock_timeout, lock_wait, migration_lock_wait, "
      "reconnect_wait, installed_by, [backfill], [gate], [drift], [placeholders]";
  for (const auto& [k, node] : root) {
    std::string key(k.str());
    if (key == "backfill" && node.is_table()) {
      TIDE_TRY(ReadBackfill(*node.as_table(), file, s));
    } else if (key == "gate" && node.is_table()) {
      TIDE_TRY(ReadGate(*node.as_table(), file, s));
    } else if (key == "drift" && node.is_table()) {
      TIDE_TRY(ReadDrift(*node.as_table(), file, s));
    } else if (key == "placeholders" && node.is_table()) {
      for (const auto& [pk, pnode] : *node.as_table()) {
        std::string name(pk.str());
        TIDE_ASSIGN(s.placeholders.values[name],
                    GetString(pnode, file, "placeholders." + name));
        s.sources["placeholders." + name] = Where(pnode, file);
      }
    } else {
      TIDE_ASSIGN(bool known, ReadTopKey(key, node, file, s));
      if (!known) return UnknownKey(node, file, key, top_keys);
      s.sources[key] = Where(node, file);
    }
  }
  return Ok();
}

namespace {

Status ReadFile(const fs::path& file, Settings& s) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Error::Input(fmt::format("cannot read {}", file.string())).At({file.string(), 0, 0});
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfigText(text.str(), file, s);
}

Status ApplyTideEnv(Getenv getenv, Settings& s) {
  auto from_env = [&](const char* var, const char* key, std::string& target) {
    if (auto v = getenv(var)) {
      target = *v;
      s.sources[key] = fmt::format("env {}", var);
    }
  };
  from_env("TIDE_URL", "url", s.url);
  from_env("TIDE_SCHEMA", "schema", s.schema);
  if (auto v = getenv("TIDE_LOCATIONS")) {
    s.locations.clear();
    for (const auto& part : Split(*v, ',')) s.locations.push_back(LocationPath(part, ""));
    s.sources["locations"] = "env TIDE_LOCATIONS";
  }
  if (auto v = getenv("TIDE_LOCK_TIMEOUT")) {
    TIDE_ASSIGN(s.lock_timeout, ParseDuration(*v));
    s.sources["lock_timeout"] = "env TIDE_LOCK_TIMEOUT";
  }
  if (auto v = getenv("TIDE_MIGRATION_LOCK_WAIT")) {
    TIDE_ASSIGN(s.migration_lock_wait, ParseDuration(*v));
    s.sources["migration_lock_wait"] = "env TIDE_MIGRATION_LOCK_WAIT";
  }
  return Ok();
}

Status ApplyFlags(const Flags& flags, Settings& s) {
  if (flags.url) {
    s.url = *flags.url;
    s.sources["url"] = "flag --url";
  }
  if (!flags.locations.empty()) {
    s.locations.clear();
    for (const auto& l : flags.locations) {
      for (const auto& part : Split(l, ',')) s.locations.push_back(LocationPath(part, ""));
    }
    s.sources["locations"] = "flag --locations";
  }
  if (flags.schema) {
    s.schema = *flags.schema;
    s.sources["schema"] = "flag --schema";
  }
  if (flags.history_table) {
    s.history_table = *flags.history_table;
    s.sources["history_table"] = "flag --table";
  }
  if (flags.lock_timeout) {
    auto d = ParseDuration(*flags.lock_timeout);
    if (!d.ok()) return Error::Usage("--lock-timeout: " + d.error().message());
    s.lock_timeout = *d;
    s.sources["lock_timeout"] = "flag --lock-timeout";
  }
  if (flags.lock_wait) {
    auto d = ParseDuration(*flags.lock_wait);
    if (!d.ok()) return Error::Usage("--lock-wait: " + d.error().message());
    s.lock_wait = *d;
    s.sources["lock_wait"] = "flag --lock-wait";
  }
  return Ok();
}

Result<fs::path> FindTideToml(const Flags& flags, Getenv getenv) {
  if (flags.config_file) {
    if (!fs::exists(*flags.config_file)) {
      return Error::Usage(fmt::format("config file '{}' does not exist", *flags.config_file))
          .WithHint("tide init writes one in the current folder");
    }
    return fs::path(*flags.config_file);
  }
  if (auto env = getenv("TIDE_CONFIG")) return fs::path(*env);
  if (fs::exists("tide.toml")) return fs::path("tide.toml");
  return fs::path();
}

}  // namespace

Result<Settings> Load(const Flags& flags, Getenv getenv, EnvNames env_names) {
  Settings s;
  s.locations = {"migrations"};
  for (const char* key : {"url", "locations", "schema", "history_table", "lock_timeout",
                          "lock_wait", "target", "out_of_order"}) {
    s.sources[key] = "default";
  }
  // Each source is applied in order of precedence, lowest first, so later ones win.
  TIDE_ASSIGN(FlywayProps flyway, ReadFlywaySources(flags, getenv, env_names, s));
  TIDE_TRY(ApplyFlyway(flyway, Layer::kFlywayConf, Layer::kFlywayToml, s));
  TIDE_ASSIGN(fs::path file, FindTideToml(flags, getenv));
  if (!file.empty()) {
    s.config_file = file;
    TIDE_TRY(ReadFile(file, s));
  }
  TIDE_TRY(ApplyFlyway(flyway, Layer::kFlywayEnv, Layer::kFlywayEnv, s));
  TIDE_TRY(ApplyTideEnv(getenv, s));
  TIDE_TRY(ApplyFlyway(flyway, Layer::kDefine, Layer::kDefine, s));
  TIDE_TRY(ApplyFlags(flags, s));
  FinishFlyway(flyway, s);
  // A Maven project with no locations configured: Flyway's default, classpath:db/migration.
  if (s.sources["locations"] == "default" && !fs::exists("migrations") &&
      fs::is_directory(kMavenMigrations)) {
    s.locations = {kMavenMigrations};
    s.sources["locations"] = "default (Maven layout, classpath:db/migration)";
  }
  if (!s.url.empty()) {
    Status valid = pg::ValidateConninfo(s.url);
    if (!valid.ok()) return valid.error().WithContext("url (" + s.sources["url"] + ")");
  }
  for (const auto& standby : s.gate.standby_urls) {
    Status valid = pg::ValidateConninfo(standby);
    if (!valid.ok()) return valid.error().WithContext("[gate] standby_urls");
  }
  for (const auto& admin : s.gate.pooler_admin_urls) {
    Status valid = pg::ValidateConninfo(admin);
    if (!valid.ok()) return valid.error().WithContext("[gate] pooler_admin_urls");
  }
  if (s.lock_timeout.count() <= 0) {
    return Error::Usage("lock_timeout must be above 0")
        .WithHint("without a lock timeout a waiting ALTER stalls every query on the table");
  }
  return s;
}

Status SetReplicaLagLimit(std::string_view text, BackfillSettings& b) {
  std::string t = ToLower(std::string(Trim(text)));
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  std::string unit(Trim(std::string_view(t).substr(i)));
  if (unit == "m") {
    return Error::Usage(fmt::format("'{}' is ambiguous: minutes or megabytes?", text))
        .WithHint("write the unit in full: 2min for replay time, 2MB for WAL");
  }
  if (unit == "ms" || unit == "s" || unit == "min" || unit == "h") {
    TIDE_ASSIGN(auto d, ParseDuration(t));
    if (d.count() <= 0) return Error::Usage(fmt::format("'{}': the lag limit must be above 0", text));
    b.max_replica_lag_time = d;
    return Ok();
  }
  auto bytes = ParseBytes(t);
  if (!bytes.ok()) {
    return Error::Usage(fmt::format("'{}' is neither a duration nor a size", text))
        .WithHint("replay time: 500ms, 2s, 1min; WAL: 64MB, 512kB, 1GB");
  }
  if (*bytes <= 0) return Error::Usage(fmt::format("'{}': the lag limit must be above 0", text));
  b.max_replica_lag_bytes = *bytes;
  return Ok();
}

Result<std::vector<std::string>> DriftIgnore(const Settings& settings) {
  std::vector<std::string> out;
  if (settings.config_file.empty()) return out;
  toml::table root;
  try {
    root = toml::parse_file(settings.config_file.string());
  } catch (const toml::parse_error& e) {
    return Error::Input(std::string(e.description())).At({settings.config_file.string(), 0, 0});
  }
  const toml::node* node = root.at_path("drift.ignore").node();
  if (!node) return out;
  return GetStrings(*node, settings.config_file, "drift.ignore");
}

}  // namespace tide::config
