#pragma once
// The checks a run passes before it changes anything: the replica gate, a contract in the same
// run as its expand, and files that mix expand and contract statements. Each refusal says what
// to do, and nothing has been changed when it comes.

#include <string>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "migrate/migrator.h"
#include "migrate/schedule.h"
#include "store/session.h"

namespace tide::migrate {

// The gate, when it is configured; a refusal is recorded in the audit log and returned.
Status RunGate(store::Session& session, const MigrateOptions& options, MigrateResult& result,
               Reporter& reporter);
// A contract right after its expand, in one run, breaks an old release that is still running;
// with no other session connected (a fresh database, CI) there is none to break.
Status CheckSameRun(store::Session& session, const MigrateOptions& options,
                    const Schedule& schedule);
// A file that both expands and contracts runs as written only where it can break no running
// release (see preflight.cc).
Status CheckMixedFiles(store::Session& session, const config::Settings& settings,
                       const Schedule& schedule, Reporter& reporter, MigrateResult& result);

}  // namespace tide::migrate
