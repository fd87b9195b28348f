#pragma once
// Flyway's placeholders: ${name} in a script replaced by its configured value before the script
// is parsed or run, with Flyway's built-ins (${flyway:defaultSchema}, ${flyway:user},
// ${flyway:database}, ${flyway:timestamp}, ${flyway:filename}, ${flyway:table}, ...).
// As in Flyway, the whole text is replaced (comments and strings too) and a replaced value is
// not scanned again. Checksums follow Flyway's SqlMigrationResolver: a versioned migration's is
// that of the file as written; a repeatable's, when replacement is on, that of the replaced
// text, so that a changed value runs it again.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/settings.h"
#include "pg/connection.h"
#include "source/discovery.h"

namespace tide::migrate {

struct Placeholders {
  bool enabled = true;
  std::string prefix = "${";
  std::string suffix = "}";
  std::map<std::string, std::string> values;  // built-ins under "flyway:user" etc.
};

// The configured placeholders only (no database: what lint and plan --offline can know).
Placeholders ConfiguredPlaceholders(const config::Settings& settings);

// Configured values plus the built-ins of a run against conn; schema is the run's default
// schema (the history table's).
Result<Placeholders> RunPlaceholders(const config::Settings& settings, pg::Connection& conn,
                                     const std::string& schema);

// text with every placeholder replaced; file_name gives ${flyway:filename}, path names the file
// in errors. An undefined placeholder or one left open is an input error at its line and
// column.
Result<std::string> ReplacePlaceholders(std::string_view text, const Placeholders& placeholders,
                                        const std::string& file_name, const std::string& path);

// Sets file.sql from file.content (a copy of content when replacement is off, globally or in
// the file's .sql.conf); for a repeatable whose text was replaced, also its checksum.
Status ResolveSql(source::MigrationFile& file, const Placeholders& placeholders);

// Resolves every repeatable of discovery with a run's placeholders, so that info, validate,
// migrate and repair compare the checksums Flyway would. Call it after Session::Open.
Status ResolveRepeatables(const config::Settings& settings, pg::Connection& conn,
                          const std::string& schema, source::Discovery& discovery);

// Copies of files with sql resolved, in the same order: a run checks every file it will run
// before it runs the first.
Result<std::vector<source::MigrationFile>> ResolveAll(const std::vector<const source::MigrationFile*>& files,
                                              const Placeholders& placeholders);

}  // namespace tide::migrate
