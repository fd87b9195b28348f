#include "base/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace tide {

// Long by design: fork, exec and the poll loop over the child's pipes belong together; each
// file descriptor is closed on every path within sight of where it opened.
Result<RunResult> RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) return Error::Internal("RunCommand without a program");
  int pipe_fds[2];
  int err_fds[2] = {-1, -1};
  if (pipe2(pipe_fds, O_CLOEXEC) != 0 ||
      (options.separate_stderr && pipe2(err_fds, O_CLOEXEC) != 0)) {
    return Error::Io(fmt::format("pipe: {}", std::strerror(errno)));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {pipe_fds[0], pipe_fds[1], err_fds[0], err_fds[1]}) {
      if (fd >= 0) close(fd);
    }
    return Error::Io(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on where it matters.
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(options.separate_stderr ? err_fds[1] : pipe_fds[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
    if (options.user) {
      if (setgroups(0, nullptr) != 0 && errno != EPERM) _exit(126);
      if (setgid(options.user->gid) != 0 || setuid(options.user->uid) != 0) _exit(126);
      setenv("HOME", options.user->home.c_str(), 1);
      setenv("USER", options.user->name.c_str(), 1);
      setenv("LOGNAME", options.user->name.c_str(), 1);
    }
    for (const auto& kv : options.extra_env) putenv(const_cast<char*>(kv.c_str()));
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  if (err_fds[1] >= 0) close(err_fds[1]);
  RunResult result;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool killed = false;
  char buf[4096];
  pollfd pfds[2] = {{pipe_fds[0], POLLIN, 0}, {err_fds[0], POLLIN, 0}};
  int open_fds = err_fds[0] >= 0 ? 2 : 1;
  while (open_fds > 0) {
    int wait_ms = -1;
    if (options.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    int n = poll(pfds, 2, wait_ms);
    if (n == 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (pfds[i].fd < 0 || !(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(pfds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close(pfds[i].fd);
        pfds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? result.output : result.error_output).append(buf, static_cast<size_t>(got));
    }
  }
  for (auto& p : pfds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    if (result.exit_code == 127) {
      return Error::Io(fmt::format("could not run {}: not found", argv[0]));
    }
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  if (killed) {
    return Error::Io(fmt::format("{} did not finish within {} ms and was stopped", argv[0],
                                 options.timeout.count()));
  }
  return result;
}

Result<std::optional<RunAs>> ServerUser() {
  if (geteuid() != 0) return std::optional<RunAs>();
  const char* env = std::getenv("TIDE_PG_USER");
  std::string name = env && *env ? env : "postgres";
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
    return Error::Input(fmt::format(
               "tide runs as root, and PostgreSQL's server programs refuse root; the account "
               "'{}' to run them as does not exist",
               name))
        .WithHint("install the postgresql package (it creates 'postgres'), or set TIDE_PG_USER");
  }
  return std::optional<RunAs>(RunAs{pw.pw_uid, pw.pw_gid, name, pw.pw_dir ? pw.pw_dir : "/"});
}

}  // namespace tide
