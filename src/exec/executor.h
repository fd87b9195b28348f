#pragma once
// Applies one migration file and records it in the history table.

#include "base/error.h"
#include "config/settings.h"
#include "exec/reporter.h"
#include "migrate/discovery.h"
#include "migrate/session.h"

namespace tide::exec {

struct ExecutorOptions {
  bool plain = false;  // run each file as written in one transaction, as Flyway does
};

class Executor {
 public:
  Executor(migrate::Session& session, const config::Settings& settings, ExecutorOptions options,
           Reporter& reporter)
      : session_(session), settings_(settings), options_(options), reporter_(reporter) {}

  // Runs the file and appends its history row. On failure the database holds either nothing of
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
