#include "migrate/placeholders.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "base/strings.h"
#include "source/checksum.h"

namespace tide::migrate {

using source::Discovery;
using source::FlywayChecksum;
using source::MigrationFile;
using source::MigrationKind;

Placeholders ConfiguredPlaceholders(const config::Settings& settings) {
  Placeholders p;
  p.enabled = settings.placeholders.enabled;
  p.prefix = settings.placeholders.prefix;
  p.suffix = settings.placeholders.suffix;
  p.values = settings.placeholders.values;
  p.values["flyway:table"] = settings.history_table;
  p.values["flyway:workingDirectory"] = std::filesystem::current_path().string();
  return p;
}

Result<Placeholders> RunPlaceholders(const config::Settings& settings, pg::Connection& conn,
                                     const std::string& schema) {
  Placeholders p = ConfiguredPlaceholders(settings);
  TIDE_ASSIGN(auto row, conn.Query("SELECT current_user, current_database()"));
  p.values["flyway:user"] = row.Get(0, 0);
  p.values["flyway:database"] = row.Get(0, 1);
  p.values["flyway:defaultSchema"] = schema;
  p.values["flyway:schemas"] = schema;
  // Flyway's SimpleDateFormat("yyyy-MM-dd HH:mm:ss"), local time.
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
  p.values["flyway:timestamp"] = stamp;
  return p;
}

Result<std::string> ReplacePlaceholders(std::string_view text, const Placeholders& placeholders,
                                        const std::string& file_name, const std::string& path) {
  if (!placeholders.enabled) return std::string(text);
  const std::string& prefix = placeholders.prefix;
  const std::string& suffix = placeholders.suffix;
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  PositionCursor cursor(text);  // positions only move forward: one pass over the text in all
  while (true) {
    size_t start = text.find(prefix, pos);
    if (start == std::string_view::npos) break;
    out.append(text.substr(pos, start - pos));
    size_t name_start = start + prefix.size();
    size_t end = text.find(suffix, name_start);
    LineColumn at = cursor.At(start);
    if (end == std::string_view::npos) {
      return Error::Input(
                 fmt::format("placeholder {}... is never closed with '{}'", prefix, suffix))
          .At({path, at.line, at.column})
          .WithHint(
              "close it, or turn replacement off: flyway.placeholderReplacement=false "
              "(or placeholderReplacement=false in the script's .sql.conf)");
    }
    std::string name(text.substr(name_start, end - name_start));
    auto it = placeholders.values.find(name);
    if (name == "flyway:filename") {
      out += file_name;
    } else if (it != placeholders.values.end()) {
      out += it->second;
    } else if (name.rfind("flyway:", 0) == 0) {
      return Error::Input(
                 fmt::format("no value for the built-in placeholder {}{}{}", prefix, name, suffix))
          .At({path, at.line, at.column})
          .WithHint(
              "built-ins: flyway:defaultSchema, flyway:schemas, flyway:user, "
              "flyway:database, flyway:timestamp, flyway:filename, flyway:table, "
              "flyway:workingDirectory");
    } else {
      return Error::Input(
                 fmt::format("no value provided for placeholder {}{}{}", prefix, name, suffix))
          .At({path, at.line, at.column})
          .WithHint(fmt::format(
              "define it: flyway.placeholders.{0}=... in flyway.conf, {0} = \"...\" under "
              "[placeholders] in tide.toml, FLYWAY_PLACEHOLDERS_{1}, or "
              "-Dflyway.placeholders.{0}=...",
              name, [&] {
                std::string upper;
                for (char c : name)
                  upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                return upper;
              }()));
    }
    pos = end + suffix.size();
  }
  out.append(text.substr(pos));
  return out;
}

namespace {

// The server takes text in UTF-8 and no NUL: a file that is not would fail part-way through a
// run (or be stored mangled), so it is refused before anything runs.
Status CheckText(const MigrationFile& file) {
  size_t bad = FirstInvalidUtf8(file.content);
  if (bad == std::string_view::npos) return Ok();
  LineColumn at = PositionOf(file.content, bad);
  bool nul = file.content[bad] == '\0';
  return Error::Input(fmt::format("{} holds {} at line {}, column {}", file.script,
                                  nul ? "a NUL byte" : "bytes that are not UTF-8", at.line,
                                  at.column))
      .At({file.path.string(), at.line, at.column})
      .WithHint(nul ? "a migration is text; remove the NUL byte (was a binary file saved "
                      "under a .sql name?)"
                    : "tide reads migrations as UTF-8, as Flyway does by default; convert the "
                      "file (iconv -f LATIN1 -t UTF-8) and put it back");
}

}  // namespace

Status ResolveSql(MigrationFile& file, const Placeholders& placeholders) {
  TIDE_TRY(CheckText(file));
  file.ForgetClassified();
  if (!file.placeholder_replacement) {
    file.sql = file.content;
    return Ok();
  }
  TIDE_ASSIGN(std::string sql,
              ReplacePlaceholders(file.content, placeholders, file.path.filename().string(),
                                  file.path.string()));
  file.sql = std::move(sql);
  if (file.kind == MigrationKind::kRepeatable && placeholders.enabled) {
    file.checksum = FlywayChecksum(*file.sql);
  }
  return Ok();
}

Status ResolveRepeatables(const config::Settings& settings, pg::Connection& conn,
                          const std::string& schema, Discovery& discovery) {
  bool any = false;
  for (const auto& f : discovery.migrations) any |= f.kind == MigrationKind::kRepeatable;
  if (!any || !settings.placeholders.enabled) return Ok();
  TIDE_ASSIGN(Placeholders placeholders, RunPlaceholders(settings, conn, schema));
  for (auto& f : discovery.migrations) {
    if (f.kind == MigrationKind::kRepeatable) TIDE_TRY(ResolveSql(f, placeholders));
  }
  return Ok();
}

Result<std::vector<MigrationFile>> ResolveAll(const std::vector<const MigrationFile*>& files,
                                              const Placeholders& placeholders) {
  std::vector<MigrationFile> out;
  out.reserve(files.size());
  for (const MigrationFile* f : files) {
    MigrationFile copy = *f;
    TIDE_TRY(ResolveSql(copy, placeholders));
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace tide::migrate
