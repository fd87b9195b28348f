#pragma once
// Finding migrations on disk, named as Flyway names them:
//   V<version>__<description>.sql   versioned, applied once, in version order
//   R__<description>.sql            repeatable, applied after the versioned ones when it changes
//   V<version>__<description>.yaml  declarative (tide's own format), versioned
// Locations are scanned recursively. A name tide cannot read, two files with one version or an
// unreadable file is an input error that names the file; nothing is touched before discovery
// succeeds.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "source/version.h"

namespace tide::sql {
struct ClassifiedScript;
}

namespace tide::source {

enum class MigrationKind { kVersioned, kRepeatable };
enum class ScriptFormat { kSql, kYaml };

struct MigrationFile {
  MigrationKind kind = MigrationKind::kVersioned;
  std::optional<Version> version;  // set for versioned migrations
  std::string description;         // underscores shown as spaces
  std::string script;              // path relative to its location, as history stores it
  std::filesystem::path path;      // where it is on disk
  ScriptFormat format = ScriptFormat::kSql;
  std::string content;             // the bytes of the file, as written
  int32_t checksum = 0;            // Flyway's checksum of content (placeholders not replaced)
  // From the script's own V1__x.sql.conf, as Flyway reads it (script_config.h).
  std::optional<bool> execute_in_transaction;  // nullopt: decided by the statements
  bool placeholder_replacement = true;
  // The text to run: content with ${placeholders} replaced (migrate/placeholders.h ResolveSql).
  // Unset until a run resolves it. Whatever executes, classifies or lints a file reads
  // SqlText(), never content, so it sees what the server will see.
  std::optional<std::string> sql;

  const std::string& SqlText() const { return sql ? *sql : content; }

  std::string VersionText() const { return version ? version->text() : ""; }
  // "V1.1 add email column" / "R refresh views": how messages name a migration.
  std::string Label() const;

  // SqlText() parsed and classified: once per file and command, kept here so that the phase
  // judge, the schedule, the planner and the executor all read one object (the phase judge
  // writes its verdict into it; sql/objects.h). A syntax error is returned, not kept. Scripts
  // are kept only while all kept ones together stay under a memory budget (a run of thousands
  // of files, or one of 50 MB, classifies again instead of holding every parse tree).
  Result<std::shared_ptr<sql::ClassifiedScript>> Classified() const;
  // The kept one if there is one, else classified for this caller alone (for files read once,
  // such as those already applied).
  Result<std::shared_ptr<sql::ClassifiedScript>> ClassifiedOnce() const;
  // Lets go of the kept script (after the file ran; ResolveSql when the text changes).
  void ForgetClassified() const;

  // Kept by Classified(), with the text it was made from (its characters' address and length:
  // a move of the file keeps them, a copy or a new text does not, and is classified again). A
  // copy of the file starts without one (the budget counts each kept script once).
  class ClassifiedCache {
   public:
    ClassifiedCache() = default;
    ClassifiedCache(const ClassifiedCache&) {}
    ClassifiedCache& operator=(const ClassifiedCache&);
    ClassifiedCache(ClassifiedCache&& other) noexcept;
    ClassifiedCache& operator=(ClassifiedCache&& other) noexcept;
    ~ClassifiedCache();

    std::shared_ptr<sql::ClassifiedScript> Find(const std::string& text) const;
    void Keep(const std::string& text, std::shared_ptr<sql::ClassifiedScript> script);
    void Clear();

   private:
    std::shared_ptr<sql::ClassifiedScript> script_;
    const char* from_ = nullptr;
    size_t size_ = 0;
    size_t weight_ = 0;  // its share of the budget
  };
  mutable ClassifiedCache classified_cache;
};


struct Discovery {
  std::vector<MigrationFile> migrations;  // versioned by version, then repeatables by description
  std::vector<std::string> warnings;      // files that look like migrations but are not named as one
};

Result<Discovery> Discover(const std::vector<std::filesystem::path>& locations);

// Parses one file name (no directories); nullopt for names that are not migrations at all.
Result<std::optional<MigrationFile>> ParseMigrationName(const std::string& file_name);

// Discovery over the configured locations; warnings go to the reporter.
Result<Discovery> DiscoverMigrations(const config::Settings& settings, Reporter& reporter);

}  // namespace tide::source
