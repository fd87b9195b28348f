#pragma once
// DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) runs in two transactions of its own; when the
// second is interrupted (a lock timeout while it waits for older snapshots, a kill, a lost
// connection) the partition stays "detach pending" and the statement cannot be run again: only
// DETACH ... FINALIZE finishes it. tide looks before each attempt and runs what finishes the job.

#include <functional>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/reporter.h"
#include "exec/lock_retry.h"
#include "pg/connection.h"
#include "plan/step.h"

namespace tide::exec {

// step: a kDetachPartitionConcurrently step (lock_tables[0] the parent, object_name the
// partition). outputs records that the detach started (save() stores it), so that a rerun that
// finds the partition detached takes it as done rather than as a mistake in the file.
// A plain DETACH leaves no constraint behind, so the CHECK that the concurrent one adds to the
// partition is dropped once it is detached: the end schema is a plain run's.
Status DetachPartitionConcurrently(LockRetry& retry, Reporter& reporter, pg::Connection& conn,
                                   const plan::Step& step, nlohmann::json& outputs,
                                   int step_index, const std::function<Status()>& save);

}  // namespace tide::exec
