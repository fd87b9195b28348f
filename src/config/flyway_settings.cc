#include "config/flyway_settings.h"

#include <fmt/format.h>

#include <set>

#include "base/strings.h"
#include "config/jdbc_url.h"

namespace tide::config {

namespace fs = std::filesystem;

namespace {

Result<bool> ParseBool(const std::string& key, const FlywayValue& v) {
  if (v.value == "true") return true;
  if (v.value == "false") return false;
  return Error::Input(
      fmt::format("{}: flyway.{} must be true or false, not '{}'", v.source, key, v.value));
}

// Settings whose Flyway default is what tide does anyway: accepted at that value, warned
// about at any other (tide would not do what the project asked).
struct Fixed {
  const char* key;
  const char* value;  // compared case-insensitively
  const char* why;
};
constexpr Fixed kFixed[] = {
    {"encoding", "utf-8", "tide reads every script as UTF-8"},
    {"validateOnMigrate", "true", "tide always validates before it migrates"},
    {"group", "false", "tide commits each migration on its own"},
    {"createSchemas", "true", "tide creates the history table's schema when missing"},
    {"driver", "org.postgresql.driver", "tide connects with libpq"},
    {"placeholderSeparator", ":", "built-in placeholders are ${flyway:name}"},
    {"sqlMigrationPrefix", "V", "tide reads V<version>__<description>.sql"},
    {"sqlMigrationSeparator", "__", "tide reads V<version>__<description>.sql"},
    {"sqlMigrationSuffixes", ".sql", "tide reads .sql scripts"},
    {"repeatableSqlMigrationPrefix", "R", "tide reads R__<description>.sql"},
    {"baselineOnMigrate", "false", "run tide baseline once instead"},
    {"executeInTransaction", "true", "use a per-script V1__x.sql.conf instead"},
};

// Accepted whatever the value: tide's behaviour already covers what they ask.
const std::set<std::string> kAccepted = {
    "cleanDisabled",  // tide has no clean command
    "mixed",          // tide decides each file's transaction from its statements
    "validateMigrationNaming",
    "failOnMissingLocations",
    "environment",
    "configFiles",
    "user",
    "password",  // used with url
};

std::string Lower(const std::string& s) { return ToLower(s); }

// Where to connect and what to read: url, schemas, table, locations. False: not one of these.
Result<bool> ApplyWhere(const std::string& key, const FlywayValue& v, const FlywayProps& all,
                        Settings& s) {
  auto set_source = [&](const std::string& name) { s.sources[name] = v.source; };
  if (key == "url") {
    auto get = [&](const char* k) -> std::optional<std::string> {
      auto it = all.find(k);
      return it == all.end() ? std::nullopt : std::optional<std::string>(it->second.value);
    };
    auto converted = JdbcToConninfo(v.value, get("user"), get("password"));
    if (!converted.ok()) return std::move(converted).error().Context(v.source + ": flyway.url");
    s.url = converted->conninfo;
    for (const auto& w : converted->warnings) s.warnings.push_back(v.source + ": " + w);
    set_source("url");
  } else if (key == "schemas") {
    auto schemas = Split(v.value, ',');
    if (!all.count("defaultSchema") && !schemas.empty()) {
      s.schema = std::string(Trim(schemas.front()));
      set_source("schema");
    }
    if (schemas.size() > 1) {
      s.warnings.push_back(fmt::format(
          "{}: flyway.schemas lists {} schemas; tide keeps its history in the first and does not "
          "create or clean the others",
          v.source, schemas.size()));
    }
  } else if (key == "defaultSchema") {
    s.schema = v.value;
    set_source("schema");
  } else if (key == "table") {
    s.history_table = v.value;
    set_source("history_table");
  } else if (key == "locations") {
    s.locations.clear();
    for (const auto& part : Split(v.value, ',')) {
      if (!Trim(part).empty()) s.locations.push_back(ResolveLocation(part, "", true));
    }
    set_source("locations");
  } else {
    return false;
  }
  return true;
}

// How to migrate: target, outOfOrder, baseline, placeholders, callbacks. False: not one of these.
Result<bool> ApplyHow(const std::string& key, const FlywayValue& v, Settings& s) {
  auto set_source = [&](const std::string& name) { s.sources[name] = v.source; };
  if (key == "target") {
    s.target = v.value;
    set_source("target");
  } else if (key == "outOfOrder") {
    TIDE_ASSIGN(s.out_of_order, ParseBool(key, v));
    set_source("out_of_order");
  } else if (key == "baselineVersion") {
    s.baseline_version = v.value;
    set_source("baseline_version");
  } else if (key == "baselineDescription") {
    s.baseline_description = v.value;
    set_source("baseline_description");
  } else if (key == "installedBy") {
    s.installed_by = v.value;
    set_source("installed_by");
  } else if (key.rfind("placeholders.", 0) == 0) {
    std::string name = key.substr(13);
    s.placeholders.values[name] = v.value;
    set_source("placeholders." + name);
  } else if (key == "placeholderPrefix" || key == "placeholderSuffix") {
    if (v.value.empty()) {
      return Error::Input(fmt::format("{}: flyway.{} must not be empty", v.source, key));
    }
    (key == "placeholderPrefix" ? s.placeholders.prefix : s.placeholders.suffix) = v.value;
    set_source(key == "placeholderPrefix" ? "placeholder_prefix" : "placeholder_suffix");
  } else if (key == "placeholderReplacement") {
    TIDE_ASSIGN(s.placeholders.enabled, ParseBool(key, v));
    set_source("placeholder_replacement");
  } else if (key == "skipDefaultCallbacks") {
    TIDE_ASSIGN(bool skip, ParseBool(key, v));
    s.sql_callbacks = !skip;
    set_source("sql_callbacks");
  } else {
    return false;
  }
  return true;
}

Status ApplyOne(const std::string& key, const FlywayValue& v, const FlywayProps& all, Settings& s) {
  TIDE_ASSIGN(bool done, ApplyWhere(key, v, all, s));
  if (!done) {
    TIDE_ASSIGN(done, ApplyHow(key, v, s));
  }
  if (!done && !kAccepted.count(key)) {
    for (const auto& f : kFixed) {
      if (key != f.key) continue;
      if (Lower(std::string(Trim(v.value))) != Lower(f.value)) {
        s.warnings.push_back(fmt::format("{}: flyway.{}={} is not supported ({}); ignored",
                                         v.source, key, v.value, f.why));
      }
      return Ok();
    }
    s.warnings.push_back(
        fmt::format("{}: flyway.{} is not supported by tide; ignored", v.source, key));
  }
  return Ok();
}

}  // namespace

Result<FlywayProps> ReadFlywaySources(const Flags& flags, Getenv getenv, EnvNames env_names,
                                      Settings& s) {
  FlywayProps env = ReadFlywayEnv(getenv, env_names);
  TIDE_ASSIGN(FlywayProps defines, ReadFlywayDefines(flags.defines, s.warnings));
  FlywayProps early;  // what decides which files to read
  MergeProps(early, env);
  MergeProps(early, defines);

  std::vector<fs::path> conf_files;
  if (auto it = early.find("configFiles"); it != early.end()) {
    for (const auto& f : Split(it->second.value, ',')) {
      fs::path p(std::string(Trim(f)));
      if (!fs::exists(p)) {
        return Error::Usage(
            fmt::format("{}: config file '{}' does not exist", it->second.source, p.string()));
      }
      conf_files.push_back(p);
    }
  } else if (fs::exists("flyway.conf")) {
    conf_files.push_back("flyway.conf");
  }
  FlywayProps all;
  for (const auto& file : conf_files) {
    TIDE_ASSIGN(FlywayProps conf, ReadFlywayConf(file, getenv, s.warnings));
    for (auto& [k, v] : conf) all[k] = v;  // a later file overrides an earlier one
    s.flyway_files.push_back(file);
  }
  if (fs::exists("flyway.toml")) {
    std::string environment = flags.environment.value_or("");
    if (environment.empty()) {
      if (auto it = early.find("environment"); it != early.end()) environment = it->second.value;
    }
    if (environment.empty()) {
      environment =
          getenv("flyway_environment").value_or(getenv("FLYWAY_ENVIRONMENT").value_or(""));
    }
    TIDE_ASSIGN(FlywayProps toml, ReadFlywayToml("flyway.toml", environment, getenv, s.warnings));
    MergeProps(all, toml);
    s.flyway_files.push_back("flyway.toml");
  } else if (flags.environment) {
    return Error::Usage(
        "--environment chooses an environment of flyway.toml, and there is none "
        "in this folder");
  }
  MergeProps(all, env);
  MergeProps(all, defines);
  return all;
}

Status ApplyFlyway(const FlywayProps& props, Layer low, Layer high, Settings& s) {
  for (const auto& [key, value] : props) {
    if (value.layer < low || value.layer > high) continue;
    TIDE_TRY(ApplyOne(key, value, props, s));
  }
  return Ok();
}

void FinishFlyway(const FlywayProps& props, Settings& s) {
  auto url = props.find("url");
  bool flyway_url_used = url != props.end() && s.sources["url"] == url->second.source;
  if (flyway_url_used) return;
  for (const char* key : {"user", "password"}) {
    auto it = props.find(key);
    if (it == props.end()) continue;
    s.warnings.push_back(
        fmt::format("{}: flyway.{} was not used: the database URL comes from {}, not flyway.url",
                    it->second.source, key, s.sources["url"]));
  }
}

}  // namespace tide::config
