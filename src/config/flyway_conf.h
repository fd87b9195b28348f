#pragma once
// Flyway's own configuration, read as a Flyway project keeps it, so a team switches to tide
// without rewriting it:
//   flyway.conf      Java properties (flyway.url=..., flyway.placeholders.NAME=...)
//   flyway.toml      [flyway] and [environments.NAME] tables, chosen by --environment
//   FLYWAY_*         environment variables (FLYWAY_URL, FLYWAY_PLACEHOLDERS_NAME, ...)
//   -Dflyway.x=y     command-line overrides, as Maven takes them
// Each reader returns the raw properties with where each came from; MergeFlyway (settings.cc)
// turns them into Settings. A setting tide does not support is named in a warning, never
// dropped in silence.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tide::config {

// Where a value came from, lowest priority first. tide.toml keeps priority over Flyway's files,
// the environment over files, and the command line over everything.
enum class Layer {
  kDefault,
  kFlywayConf,  // flyway.conf
  kFlywayToml,  // flyway.toml
  kTideToml,    // tide.toml
  kFlywayEnv,   // FLYWAY_* variables
  kTideEnv,     // TIDE_* variables
  kDefine,      // -Dflyway.x=y
  kFlag,        // --url, --locations, ...
};

struct FlywayValue {
  std::string value;
  std::string source;  // "flyway.conf:3", "env FLYWAY_URL", "flag -Dflyway.target"
  Layer layer = Layer::kDefault;
};

// Keys are Flyway's property names without "flyway.": "url", "outOfOrder", "placeholders.NAME".
using FlywayProps = std::map<std::string, FlywayValue>;

// Reads the environment through these, so tests can pass their own.
using Getenv = std::optional<std::string> (*)(const char* name);
using EnvNames = std::vector<std::string> (*)();  // names of every variable set
std::vector<std::string> ProcessEnvNames();

struct Property {
  std::string key;
  std::string value;
  int line = 0;  // where the property starts
};

// A properties file as Flyway reads flyway.conf and V1__x.sql.conf: ${VAR} replaced from the
// environment (empty when unset), backslashes kept as written (Windows paths), a line ending in
// '\' continued on the next unless that one is blank or a new flyway.* property, '#' and '!'
// comment lines, key and value split at the first '=', ':' or blank.
Result<std::vector<Property>> ReadProperties(const std::filesystem::path& file, Getenv getenv);

// flyway.conf: ReadProperties, keys that are not flyway.* reported in warnings.
Result<FlywayProps> ReadFlywayConf(const std::filesystem::path& file, Getenv getenv,
                                   std::vector<std::string>& warnings);

// flyway.toml: the [flyway] table, then [environments.NAME] (url, user, password, schemas) and
// [environments.NAME.flyway] over it. environment empty: [flyway].environment, else "default".
// "${env.VAR}" in a value is replaced from the environment. A named environment that the file
// does not have is an input error.
Result<FlywayProps> ReadFlywayToml(const std::filesystem::path& file,
                                   const std::string& environment, Getenv getenv,
                                   std::vector<std::string>& warnings);

// FLYWAY_URL, FLYWAY_OUT_OF_ORDER, ...: each known setting's name in upper snake case;
// FLYWAY_PLACEHOLDERS_NAME gives placeholder "name" (lower case, as Flyway does).
FlywayProps ReadFlywayEnv(Getenv getenv, EnvNames names);

// -Dflyway.x=y arguments (given without the -D). A define without '=' is a usage error; one
// that is not flyway.* is warned about.
Result<FlywayProps> ReadFlywayDefines(const std::vector<std::string>& defines,
                                      std::vector<std::string>& warnings);

// Adds from's values to into; a key already set from a higher layer keeps its value.
void MergeProps(FlywayProps& into, const FlywayProps& from);

// A location as Flyway writes it: "filesystem:DIR", "classpath:db/migration" (looked for under
// base/src/main/resources, the Maven layout), or a bare path, which Flyway reads as classpath
// and tide's own settings as a folder (bare_is_classpath says which).
std::filesystem::path ResolveLocation(const std::string& text, const std::filesystem::path& base,
                                      bool bare_is_classpath);

}  // namespace tide::config
