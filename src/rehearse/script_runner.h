#pragma once
// Runs a workload script once per request for one client: evaluates \set, waits for \sleep,
// and sends each SQL command with its :variables replaced. The runner owns the client's
// variables and random generator and is not shared between threads.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "rehearse/workload.h"

namespace tide::rehearse {

// Where the runner's statements go: a database connection in the load driver, a recorder in
// tests (the I/O boundary of the rehearsal).
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // Sends one SQL command through the simple protocol. The error is the server's (with its
  // SQLSTATE) or the connection's.
  virtual Status Execute(const std::string& sql) = 0;
  // Waits for `duration`; false when the run is stopping and the request should be abandoned.
  virtual bool Sleep(std::chrono::microseconds duration) = 0;
};

struct ScriptOutcome {
  enum class End {
    kOk,       // every command ran
    kFailed,   // a command failed: error says why, located at the script's file and line
    kStopped,  // the host stopped a sleep: the request is not counted
  };
  End end = End::kOk;
  std::optional<Error> error;
};

class ScriptRunner {
 public:
  // client_id is the script's :client_id; seeds make runs repeatable when the caller wants.
  ScriptRunner(std::shared_ptr<const Workload> workload, int client_id, uint64_t random_seed,
               uint64_t default_seed);

  // One request: the whole script, stopping at the first failure. A failed expression (division
  // by zero, undefined variable) is Error::Failed; a failed statement is the host's error.
  ScriptOutcome RunOnce(ScriptHost& host);

  // The SQL text a command sends with the current variables (exposed for tests).
  std::string Interpolate(const Command& command);
  const Variables& variables() const { return vars_; }

 private:
  Status RunCommand(const Command& command, ScriptHost& host, bool* stopped);
  void InterpolateInto(const Command& command, std::string& out);
  const std::string& TextOf(int slot);

  std::shared_ptr<const Workload> workload_;
  Variables vars_;
  Prng rng_;
  // The SQL form of each variable, made when first needed after each change.
  std::vector<std::string> text_;
  std::vector<char> text_valid_;
  std::string sql_;  // reused for every statement
};

}  // namespace tide::rehearse
