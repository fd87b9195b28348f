#pragma once
// Getting a migration's session back after the server dropped it (a restart, a failover, an
// administrator's pg_terminate_backend, a network cut). Only the connection is restored here;
// what to run next is read back from the state table by the executor, which is the same path a
// rerun after a crash takes, so an in-process resume is exactly as safe as `tide migrate` again.

#include <chrono>
#include <cstdint>

#include "base/error.h"
#include "base/reporter.h"
#include "store/session.h"

namespace tide::exec {

// Opens session's connection again with capped exponential backoff and jitter for up to budget,
// restores its search_path, then takes the run lock (run_lock_key) back: the dead session's
// lock went with it, and until it is ours again another run may be working, or the old
// backend may still be finishing its last statement. Fails, saying which, when the server
// stays away or the lock stays taken; the migration's state is then left for a rerun.
Status ReconnectSession(store::Session& session, int64_t run_lock_key,
                        std::chrono::milliseconds budget, Reporter& reporter);

}  // namespace tide::exec
