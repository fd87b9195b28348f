#pragma once
// One migration run at a time per history table: a session-level advisory lock on Flyway's own
// key, so tide and Flyway exclude each other. Session level, not transaction level, because a
// transaction held open for the lock would make CREATE INDEX CONCURRENTLY wait for it for ever.

#include <chrono>

#include "base/error.h"
#include "base/reporter.h"
#include "pg/connection.h"

namespace tide::migrate {

class RunLock {
 public:
  // Takes the lock on conn, polling; says who holds it while it waits. Fails after max_wait.
  static Result<RunLock> Acquire(pg::Connection& conn, int64_t key,
                                 std::chrono::milliseconds max_wait, Reporter& reporter);
  RunLock(RunLock&& other) noexcept : conn_(other.conn_), key_(other.key_) {
    other.conn_ = nullptr;
  }
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();
  // Releases now (also done by the destructor; a lost connection releases it server-side).
  void Release();
  // Whether any session holds the lock on key now (tide info: is a 'running' run still alive?).
  static Result<bool> Held(pg::Connection& conn, int64_t key);

 private:
  RunLock(pg::Connection* conn, int64_t key) : conn_(conn), key_(key) {}
  pg::Connection* conn_;
  int64_t key_;
};

}  // namespace tide::migrate
