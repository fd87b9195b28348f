#pragma once
// What exec/executor.cc and exec/run_group.cc share of the executor's private helpers.

#include <chrono>
#include <cstdint>

#include "plan/step.h"

namespace tide::exec::detail {

using Clock = std::chrono::steady_clock;

inline int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Steps that run inside a transaction of tide's (grouped or alone), with their bookkeeping.
inline bool RunsInTransaction(const plan::Step& s) {
  using plan::StepKind;
  return s.transactional &&
         (s.kind == StepKind::kSql || s.kind == StepKind::kSession ||
          s.kind == StepKind::kAddConstraintNotValid || s.kind == StepKind::kValidateConstraint);
}

}  // namespace tide::exec::detail
