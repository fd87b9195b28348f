#pragma once
// Fault injection for the kill-anywhere tests (tests/fault_test.cc). A named point in the code
// calls FaultPoint("backfill.after_batch_commit"); when the environment says
//   TIDE_FAULT=backfill.after_batch_commit      (the first time the point is reached)
//   TIDE_FAULT=backfill.after_batch_commit:3    (the third time)
// the process kills itself with SIGKILL right there: no destructor, no ROLLBACK, no goodbye to
// the server, exactly like a machine that loses power or an OOM kill. With ":stop" at the end
// (TIDE_FAULT=backfill.after_batch_commit:3:stop) it stops itself with SIGSTOP instead, so a
// test can act while tide is frozen at a known point (restart the server, start a second run)
// and then let it go on with SIGCONT. When TIDE_FAULT is unset (always, in production) a point
// costs one load and one branch on a flag read once.

#include <string_view>

namespace tide {

namespace fault_internal {
// True when TIDE_FAULT is set; read once at start-up.
bool Armed();
void Hit(std::string_view name);
}  // namespace fault_internal

inline void FaultPoint(std::string_view name) {
  if (fault_internal::Armed()) fault_internal::Hit(name);
}

}  // namespace tide
