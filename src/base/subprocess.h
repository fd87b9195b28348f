#pragma once
// Running a child process and waiting for it: used to drive initdb/pg_ctl/pg_basebackup,
// which refuse to run as root, so a child can drop to an unprivileged user first.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tide {

struct RunAs {
  uid_t uid;
  gid_t gid;
  std::string name;
  std::string home;
};

struct RunOptions {
  std::optional<RunAs> user;            // setgid/setuid in the child before exec
  std::string cwd;                      // empty: inherit
  std::vector<std::string> extra_env;   // "NAME=value" added to the environment
  std::chrono::milliseconds timeout{0};  // 0: wait for ever; else SIGKILL the child after it
  bool separate_stderr = false;         // stderr to RunResult::error_output instead of output
};

struct RunResult {
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;
  std::string output;        // stdout (and stderr, unless separate_stderr)
  std::string error_output;  // stderr when separate_stderr
  bool ok() const { return exit_code == 0; }
};

// Runs argv[0] (looked up in PATH) and collects its output. Fails only when the child cannot be
// started; a non-zero exit is reported in RunResult.
Result<RunResult> RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

// The unprivileged account to run PostgreSQL server programs as: none when tide is not root;
// when root, $TIDE_PG_USER or "postgres".
Result<std::optional<RunAs>> ServerUser();

}  // namespace tide
