#pragma once
// Applies one migration file and records it in the history table.

#include <functional>

#include "base/error.h"
#include "config/settings.h"
#include "exec/reporter.h"
#include "migrate/discovery.h"
#include "migrate/session.h"

namespace tide::exec {

// Flyway's per-migration SQL callbacks (migrate/callbacks.h), run on the migration's
// connection: before_each after BEGIN and after_each before COMMIT, so they share the file's
// transaction when it has one (as in Flyway); after_each_error once the file failed, after its
// rollback (PostgreSQL refuses every statement in an aborted transaction).
struct FileHooks {
  std::function<Status()> before_each;
  std::function<Status()> after_each;
  std::function<void()> after_each_error;
};

struct ExecutorOptions {
  bool plain = false;  // run each file as written in one transaction, as Flyway does
  const FileHooks* hooks = nullptr;  // none: no callbacks
};

class Executor {
 public:
  Executor(migrate::Session& session, const config::Settings& settings, ExecutorOptions options,
           Reporter& reporter)
      : session_(session), settings_(settings), options_(options), reporter_(reporter) {}

  // Runs the file's SqlText() (placeholders replaced) and appends its history row. The file's
  // transaction follows its .sql.conf executeInTransaction when set, else its statements. On failure the database holds either nothing of
  // the file (rolled back) or a resumable state, and the error says which.
  Status Apply(const migrate::MigrationFile& file);

 private:
  Status ApplyPlain(const migrate::MigrationFile& file);

  migrate::Session& session_;
  const config::Settings& settings_;
  ExecutorOptions options_;
  Reporter& reporter_;
};

// Whether a failed history row of file belongs to a half-applied run that tide can resume.
Result<bool> CanResume(pg::Connection& conn, const migrate::HistoryTable& history,
                       const migrate::MigrationFile& file);

}  // namespace tide::exec
