#include "pg/cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/json_text.h"
#include "base/strings.h"
#include "base/text.h"

namespace tide::pg {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFile = "tide-cluster.json";

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Io(fmt::format("cannot read {}", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<std::string> FindServerBinDir() {
  if (const char* env = std::getenv("TIDE_PG_BINDIR"); env && *env) return std::string(env);
  std::error_code ec;
  int best = -1;
  std::string best_dir;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string name = entry.path().filename().string();
    int version = std::atoi(name.c_str());
    if (version > best && fs::exists(entry.path() / "bin" / "initdb")) {
      best = version;
      best_dir = (entry.path() / "bin").string();
    }
  }
  if (best >= 0) return best_dir;
  auto r = RunCommand({"pg_config", "--bindir"});
  if (r.ok() && r->ok()) {
    std::string dir(Trim(r->output));
    if (fs::exists(fs::path(dir) / "initdb")) return dir;
  }
  return Error::Input("cannot find PostgreSQL's server programs (initdb, pg_ctl)")
      .WithHint("apt-get install postgresql-15, or set TIDE_PG_BINDIR to the bin directory");
}

Result<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Error::Io("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return Error::Io("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

Status MakeServerOwnedDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::Io(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  TIDE_ASSIGN(auto user, ServerUser());
  if (user && chown(dir.c_str(), user->uid, user->gid) != 0) {
    return Error::Io(fmt::format("cannot give {} to user {}", dir.string(), user->name));
  }
  if (user) {
    // The server account must be able to walk down to dir: every parent needs o+x.
    for (fs::path p = fs::absolute(dir).parent_path(); !p.empty() && p != p.root_path();
         p = p.parent_path()) {
      struct stat st {};
      if (stat(p.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH) && st.st_uid != user->uid) {
        return Error::Input(fmt::format("the '{}' account cannot reach {}: {} is not open to "
                                        "other users",
                                        user->name, dir.string(), p.string()))
            .WithHint("pick a folder under /tmp (--dir), or chmod o+x " + p.string());
      }
    }
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return Ok();
}

bool LocalCluster::Exists(const fs::path& dir) { return fs::exists(dir / kStateFile); }

Result<RunResult> LocalCluster::RunTool(const std::string& tool, std::vector<std::string> args,
                                        std::chrono::milliseconds timeout) const {
  TIDE_ASSIGN(auto user, ServerUser());
  args.insert(args.begin(), (fs::path(bindir_) / tool).string());
  RunOptions options;
  options.user = user;
  options.cwd = dir_.string();
  options.timeout = timeout;
  options.extra_env = {"LC_ALL=C", "PGTZ=UTC"};
  return RunCommand(args, options);
}

Status LocalCluster::WriteState() const {
  nlohmann::json state = {{"port", port_}, {"bindir", bindir_}, {"tcp", tcp_}};
  std::ofstream out(dir_ / kStateFile);
  out << DumpJson(state, 2) << "\n";
  if (!out) return Error::Io(fmt::format("cannot write {}", (dir_ / kStateFile).string()));
  return Ok();
}

Status LocalCluster::Configure(const ClusterOptions& options) {
  std::ofstream conf(data_dir() / "postgresql.auto.conf", std::ios::app);
  conf << "# written by tide\n";
  conf << "port = " << port_ << "\n";
  conf << "listen_addresses = '" << (tcp_ ? "127.0.0.1" : "") << "'\n";
  conf << "unix_socket_directories = '" << dir_.string() << "'\n";
  conf << "max_connections = 200\n";
  conf << "shared_buffers = '128MB'\n";
  conf << "wal_level = replica\n";
  conf << "max_wal_senders = 5\n";
  conf << "hot_standby = on\n";
  conf << "log_min_messages = warning\n";
  conf << "log_line_prefix = '%m [%p] %a '\n";
  conf << "timezone = 'UTC'\n";
  if (!options.durable) {
    conf << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
  }
  for (const auto& line : options.settings) conf << line << "\n";
  if (!conf) return Error::Io("cannot write postgresql.auto.conf");
  return Ok();
}

Result<LocalCluster> LocalCluster::Create(const ClusterOptions& options) {
  if (Exists(options.dir)) {
    return Error::Input(fmt::format("{} already holds a cluster", options.dir.string()))
        .WithHint("stop and remove it first, or pick another directory");
  }
  TIDE_ASSIGN(std::string bindir, FindServerBinDir());
  TIDE_TRY(MakeServerOwnedDir(options.dir));
  int port = options.port;
  if (port == 0) {
    TIDE_ASSIGN(port, FreeLoopbackPort());
  }
  LocalCluster cluster(fs::absolute(options.dir), bindir, port, options.listen_tcp);
  TIDE_ASSIGN(RunResult init,
              cluster.RunTool("initdb", {"-D", cluster.data_dir().string(), "-U", "postgres",
                                         "--auth=trust", "-E", "UTF8", "--locale=C",
                                         "--no-sync", "--no-instructions"}));
  if (!init.ok()) {
    return Error::Failed("initdb failed:\n" + init.output);
  }
  TIDE_TRY(cluster.Configure(options));
  TIDE_TRY(cluster.WriteState());
  // A port can be taken between choosing and binding it; try a few before giving up.
  for (int attempt = 0;; ++attempt) {
    Status started = cluster.Start();
    if (started.ok()) break;
    if (attempt >= 4 || options.port != 0 ||
        cluster.ServerLogTail().find("could not bind") == std::string::npos) {
      return started.error();
    }
    TIDE_ASSIGN(cluster.port_, FreeLoopbackPort());
    std::ofstream conf(cluster.data_dir() / "postgresql.auto.conf", std::ios::app);
    conf << "port = " << cluster.port_ << "\n";
    conf.close();
    TIDE_TRY(cluster.WriteState());
  }
  return cluster;
}

Result<LocalCluster> LocalCluster::CreateStandby(const LocalCluster& primary,
                                                 const ClusterOptions& options) {
  TIDE_ASSIGN(std::string bindir, FindServerBinDir());
  TIDE_TRY(MakeServerOwnedDir(options.dir));
  int port = options.port;
  if (port == 0) {
    TIDE_ASSIGN(port, FreeLoopbackPort());
  }
  LocalCluster standby(fs::absolute(options.dir), bindir, port, options.listen_tcp);
  TIDE_ASSIGN(RunResult copy,
              standby.RunTool("pg_basebackup",
                              {"-D", standby.data_dir().string(), "-d", primary.SocketUrl(),
                               "-X", "stream", "-R", "--checkpoint=fast", "--no-sync"},
                              std::chrono::minutes(10)));
  if (!copy.ok()) return Error::Failed("pg_basebackup failed:\n" + copy.output);
  TIDE_TRY(standby.Configure(options));
  TIDE_TRY(standby.WriteState());
  TIDE_TRY(standby.Start());
  return standby;
}

Result<LocalCluster> LocalCluster::Open(const fs::path& dir) {
  TIDE_ASSIGN(std::string text, ReadFile(dir / kStateFile));
  nlohmann::json state = nlohmann::json::parse(text, nullptr, false);
  if (state.is_discarded() || !state.contains("port")) {
    return Error::Input(fmt::format("{} is damaged", (dir / kStateFile).string()));
  }
  return LocalCluster(fs::absolute(dir), state.value("bindir", std::string()),
                      state["port"].get<int>(), state.value("tcp", true));
}

Status LocalCluster::Start() {
  if (IsRunning()) return Ok();
  TIDE_ASSIGN(RunResult r, RunTool("pg_ctl", {"-D", data_dir().string(), "-l",
                                              log_file().string(), "-w", "-t", "60", "start"}));
  if (!r.ok()) {
    return Error::Failed(fmt::format("the server in {} did not start:\n{}", dir_.string(),
                                     ServerLogTail()));
  }
  return Ok();
}

Status LocalCluster::Stop(StopMode mode) {
  if (!IsRunning()) return Ok();
  const char* m = mode == StopMode::kSmart ? "smart" : mode == StopMode::kFast ? "fast" : "immediate";
  TIDE_ASSIGN(RunResult r,
              RunTool("pg_ctl", {"-D", data_dir().string(), "-m", m, "-w", "-t", "60", "stop"}));
  if (!r.ok()) return Error::Failed("pg_ctl stop failed:\n" + r.output);
  return Ok();
}

Status LocalCluster::Restart(StopMode mode) {
  TIDE_TRY(Stop(mode));
  return Start();
}

int LocalCluster::ServerPid() const {
  std::ifstream in(data_dir() / "postmaster.pid");
  int pid = 0;
  if (!(in >> pid)) return 0;
  return pid;
}

bool LocalCluster::IsRunning() const {
  int pid = ServerPid();
  if (pid <= 0) return false;
  // The pid file can outlive a crash; check that the process is there.
  return fs::exists(fmt::format("/proc/{}", pid));
}

Status LocalCluster::Destroy() {
  Status stopped = Stop(StopMode::kImmediate);
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (!stopped.ok()) return stopped;
  if (ec) return Error::Io(fmt::format("cannot remove {}: {}", dir_.string(), ec.message()));
  return Ok();
}

std::string LocalCluster::SocketUrl(const std::string& dbname) const {
  return fmt::format("host={} port={} user=postgres dbname={}", dir_.string(), port_,
                     QuoteLiteral(dbname));
}

std::string LocalCluster::Url(const std::string& dbname) const {
  if (!tcp_) return SocketUrl(dbname);
  return fmt::format("postgresql://postgres@127.0.0.1:{}/{}", port_, dbname);
}

std::string LocalCluster::ServerLogTail(size_t max_bytes) const {
  auto text = ReadFile(log_file());
  if (!text.ok()) return "(no server log)";
  const std::string& s = text.value();
  return std::string(Utf8Tail(s, max_bytes));
}

}  // namespace tide::pg
