#pragma once
// Flyway's SQL callbacks: scripts in the migration locations named after an event
// (beforeMigrate.sql, afterMigrate__refresh_views.sql, ...), run when the event happens, in the
// order and transaction Flyway runs them:
//   beforeMigrate, afterMigrate, afterMigrateApplied, afterVersioned, beforeRepeatables,
//   afterMigrateError   each script in its own transaction (unless its .sql.conf says
//                       executeInTransaction=false), on the migration's connection;
//   beforeEachMigrate, afterEachMigrate, afterEachMigrateError   inside the migration's own
//                       transaction (exec::FileHooks).
// Scripts of one event run by description, the one without a description first. Placeholders
// are replaced as in migrations, ${flyway:filename} being the callback's own name. Other
// Flyway events (beforeValidate, beforeEachMigrateStatement, ...) are found and named in a
// warning: tide does not run them.

#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "exec/executor.h"
#include "migrate/placeholders.h"
#include "pg/connection.h"
#include "source/discovery.h"

namespace tide::migrate {

enum class CallbackEvent {
  kBeforeMigrate,
  kBeforeRepeatables,
  kBeforeEachMigrate,
  kAfterEachMigrate,
  kAfterEachMigrateError,
  kAfterMigrate,
  kAfterMigrateApplied,
  kAfterVersioned,
  kAfterMigrateError,
};
const char* CallbackEventName(CallbackEvent event);  // "beforeMigrate"

struct CallbackScript {
  CallbackEvent event;
  std::string description;  // after "__", "" when none
  source::MigrationFile file;       // content, sql (once resolved), script settings
};

// Callback scripts in the locations, sorted as Flyway sorts them; warnings for scripts of
// events tide does not run.
Result<std::vector<CallbackScript>> DiscoverCallbacks(
    const std::vector<std::filesystem::path>& locations, std::vector<std::string>& warnings);

class CallbackRunner {
 public:
  // Finds the callbacks of settings' locations (none when flyway.skipDefaultCallbacks) and
  // replaces their placeholders, so a bad callback stops the run before anything runs.
  static Result<CallbackRunner> Load(const config::Settings& settings,
                                     const Placeholders& placeholders, pg::Connection& conn,
                                     Reporter& reporter);

  // Runs every script of a migrate-level event, each in its own transaction. An error names the
  // callback and the line.
  Status Fire(CallbackEvent event);
  // Runs every script of a per-migration event as part of whatever transaction is open.
  Status FireInline(CallbackEvent event);
  // beforeEachMigrate / afterEachMigrate / afterEachMigrateError for the executor; they refer
  // to this runner, which must outlive them.
  exec::FileHooks Hooks();
  bool empty() const { return scripts_.empty(); }

 private:
  CallbackRunner(std::vector<CallbackScript> scripts, pg::Connection& conn,
                 Reporter& reporter);
  Status Run(const CallbackScript& script, bool own_transaction);

  std::vector<CallbackScript> scripts_;
  pg::Connection* conn_;
  Reporter* reporter_;
};

}  // namespace tide::migrate
