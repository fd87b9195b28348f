#include "source/discovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "base/strings.h"
#include "source/checksum.h"
#include "source/script_config.h"

namespace tide::source {

namespace fs = std::filesystem;

std::string MigrationFile::Label() const {
  if (kind == MigrationKind::kRepeatable) return "R " + description;
  return fmt::format("V{} {}", VersionText(), description);
}

namespace {

bool EndsWithIgnoreCase(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && ToLower(s.substr(s.size() - suffix.size())) == suffix;
}

}  // namespace

Result<std::optional<MigrationFile>> ParseMigrationName(const std::string& name) {
  ScriptFormat format;
  size_t suffix_len;
  if (EndsWithIgnoreCase(name, ".sql")) {
    format = ScriptFormat::kSql, suffix_len = 4;
  } else if (EndsWithIgnoreCase(name, ".yaml")) {
    format = ScriptFormat::kYaml, suffix_len = 5;
  } else if (EndsWithIgnoreCase(name, ".yml")) {
    format = ScriptFormat::kYaml, suffix_len = 4;
  } else {
    return std::optional<MigrationFile>();
  }
  if (name.empty() || (name[0] != 'V' && name[0] != 'R')) return std::optional<MigrationFile>();
  std::string stem = name.substr(0, name.size() - suffix_len);
  size_t sep = stem.find("__");
  if (sep == std::string::npos) {
    // "Views.sql" is a helper file; "V2_add.sql" is a migration with a typo, which must not be
    // skipped in silence.
    bool looks_versioned = name[0] == 'V' && name.size() > 1 && std::isdigit(
                                                                    static_cast<unsigned char>(name[1]));
    if (!looks_versioned) return std::optional<MigrationFile>();
    return Error::Input(fmt::format("'{}' starts like a migration but has no '__' between "
                                    "version and description",
                                    name))
        .WithHint("name it V<version>__<description>.sql, e.g. V1.2__add_index.sql, or "
                  "R__<description>.sql; rename other files so they do not start with V or R");
  }
  MigrationFile file;
  file.format = format;
  file.description = ReplaceAll(stem.substr(sep + 2), "_", " ");
  std::string version_text = stem.substr(1, sep - 1);
  if (name[0] == 'R') {
    if (!version_text.empty()) {
      return Error::Input(fmt::format("'{}': a repeatable migration has no version", name))
          .WithHint("name it R__<description>.sql");
    }
    if (format == ScriptFormat::kYaml) {
      return Error::Input(fmt::format("'{}': declarative migrations must be versioned", name))
          .WithHint("name it V<version>__<description>.yaml");
    }
    file.kind = MigrationKind::kRepeatable;
  } else {
    auto version = Version::Parse(version_text);
    if (!version.ok()) {
      return Error::Input(fmt::format("'{}': {}", name, version.error().message()))
          .WithHint(version.error().hint());
    }
    file.kind = MigrationKind::kVersioned;
    file.version = std::move(version).value();
  }
  return std::optional<MigrationFile>(std::move(file));
}

namespace {

// The files under location, sorted, skipping hidden files and folders.
Result<std::vector<fs::path>> ListFiles(const fs::path& location) {
  std::error_code ec;
  if (!fs::is_directory(location, ec)) {
    return Error::Input(fmt::format("migrations location '{}' is not a directory",
                                    location.string()))
        .WithHint("create it (tide init does), or point --locations at your migrations");
  }
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(location, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec)) continue;
    paths.push_back(it->path());
  }
  if (ec) return Error::Io(fmt::format("cannot list '{}': {}", location.string(), ec.message()));
  std::sort(paths.begin(), paths.end());
  return paths;
}

// The file's text, checksum and script config, read into file.
Status ReadMigration(const fs::path& path, MigrationFile& file,
                     std::vector<std::string>& warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::Input(fmt::format("cannot read migration {}", path.string()))
        .WithHint("check that the file exists and is readable");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error::Input(fmt::format("cannot read migration {}", path.string()));
  file.content = ss.str();
  file.checksum = FlywayChecksum(file.content);
  TIDE_ASSIGN(ScriptConfig config, ReadScriptConfig(path, warnings));
  file.execute_in_transaction = config.execute_in_transaction;
  file.placeholder_replacement = config.placeholder_replacement;
  return Ok();
}

// Versioned files by version, then repeatables by description; two of one version (or one
// description) are refused.
Status SortAndCheckUnique(std::vector<MigrationFile>& found) {
  std::stable_sort(found.begin(), found.end(), [](const MigrationFile& a, const MigrationFile& b) {
    if (a.kind != b.kind) return a.kind == MigrationKind::kVersioned;
    if (a.kind == MigrationKind::kVersioned) return *a.version < *b.version;
    return a.description < b.description;
  });
  for (size_t i = 1; i < found.size(); ++i) {
    const auto& a = found[i - 1];
    const auto& b = found[i];
    bool versioned = a.kind == MigrationKind::kVersioned;
    bool clash = a.kind == b.kind &&
                 (versioned ? *a.version == *b.version : a.description == b.description);
    if (clash) {
      return Error::Input(fmt::format("two migrations have {} {}: {} and {}",
                                      versioned ? "version" : "description",
                                      versioned ? a.VersionText() : a.description,
                                      a.path.string(), b.path.string()))
          .At({b.path.string(), 0, 0})
          .WithHint("give one of them another version (1.0 and 1 are the same version)");
    }
  }
  return Ok();
}

}  // namespace

Result<Discovery> Discover(const std::vector<fs::path>& locations) {
  Discovery out;
  std::vector<MigrationFile> found;
  for (const auto& location : locations) {
    TIDE_ASSIGN(std::vector<fs::path> paths, ListFiles(location));
    for (const auto& path : paths) {
      std::string name = path.filename().string();
      auto parsed = ParseMigrationName(name);
      if (!parsed.ok()) return std::move(parsed).error().At({path.string(), 0, 0});
      if (!parsed->has_value()) {
        if ((name[0] == 'V' || name[0] == 'R') && EndsWithIgnoreCase(name, ".sql")) {
          out.warnings.push_back(fmt::format(
              "{} is not named like a migration (V<version>__<description>.sql) and was skipped",
              path.string()));
        }
        continue;
      }
      MigrationFile file = std::move(**parsed);
      file.path = path;
      file.script = fs::relative(path, location).generic_string();
      TIDE_TRY(ReadMigration(path, file, out.warnings));
      found.push_back(std::move(file));
    }
  }
  TIDE_TRY(SortAndCheckUnique(found));
  out.migrations = std::move(found);
  return out;
}

Result<Discovery> DiscoverMigrations(const config::Settings& settings, Reporter& reporter) {
  TIDE_ASSIGN(Discovery found, Discover(settings.locations));
  for (const auto& w : found.warnings) reporter.Warn(w);
  return found;
}

}  // namespace tide::source
