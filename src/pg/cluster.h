#pragma once
// A throwaway PostgreSQL cluster made with the installed server's initdb and pg_ctl: the sandbox
// of `tide sandbox`, the database of every integration test, and the scratch server of rehearsals.
// When tide runs as root the server programs run as an unprivileged account (see ServerUser).

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/subprocess.h"

namespace tide::pg {

struct ClusterOptions {
  std::filesystem::path dir;  // holds data/, the socket and server.log; created if missing
  // false: fsync off and friends, for tests; true: the server's durable defaults, for benchmarks.
  bool durable = false;
  bool listen_tcp = true;  // also listen on 127.0.0.1 (a free port); the socket is always there
  int port = 0;            // 0: pick a free one
  std::vector<std::string> settings;  // extra postgresql.conf lines, "name = value"
};

enum class StopMode { kSmart, kFast, kImmediate };

class LocalCluster {
 public:
  // initdb, configure and start a new cluster in options.dir (which must not hold one yet).
  static Result<LocalCluster> Create(const ClusterOptions& options);
  // A streaming standby of primary, copied with pg_basebackup, started.
  static Result<LocalCluster> CreateStandby(const LocalCluster& primary,
                                            const ClusterOptions& options);
  // The cluster a previous Create left in dir (running or not).
  static Result<LocalCluster> Open(const std::filesystem::path& dir);
  static bool Exists(const std::filesystem::path& dir);

  Status Start();
  Status Stop(StopMode mode = StopMode::kFast);
  Status Restart(StopMode mode = StopMode::kFast);
  bool IsRunning() const;
  // Stops the server if it runs and removes the whole directory.
  Status Destroy();

  // key=value conninfo over the Unix socket.
  std::string SocketUrl(const std::string& dbname = "postgres") const;
  // postgresql:// URI over TCP on 127.0.0.1 (or the socket URL when TCP is off).
  std::string Url(const std::string& dbname = "postgres") const;
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  std::filesystem::path log_file() const { return dir_ / "server.log"; }
  // The server's postmaster pid, or 0.
  int ServerPid() const;
  std::string ServerLogTail(size_t max_bytes = 4000) const;

 private:
  LocalCluster(std::filesystem::path dir, std::string bindir, int port, bool tcp)
      : dir_(std::move(dir)), bindir_(std::move(bindir)), port_(port), tcp_(tcp) {}
  Result<RunResult> RunTool(const std::string& tool, std::vector<std::string> args,
                            std::chrono::milliseconds timeout = std::chrono::minutes(2)) const;
  Status WriteState() const;
  Status Configure(const ClusterOptions& options);

  std::filesystem::path dir_;
  std::string bindir_;
  int port_ = 0;
  bool tcp_ = true;
};

// Directory of initdb/pg_ctl: $TIDE_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin,
// else `pg_config --bindir`.
Result<std::string> FindServerBinDir();
// A TCP port on 127.0.0.1 that is free right now.
Result<int> FreeLoopbackPort();
// Creates dir (and parents) and hands it to the server user when tide runs as root.
Status MakeServerOwnedDir(const std::filesystem::path& dir);

}  // namespace tide::pg
