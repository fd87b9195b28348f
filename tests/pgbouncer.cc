#include "pgbouncer.h"

#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/subprocess.h"
#include "pg/connection.h"

namespace tide::testing {

namespace fs = std::filesystem;

namespace {

const char* kBinary = "/usr/sbin/pgbouncer";

Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return Error::Io("cannot write " + path.string());
  return Ok();
}

int ReadPid(const fs::path& file) {
  std::ifstream in(file);
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

Result<std::unique_ptr<PgBouncer>> PgBouncer::Start(const pg::LocalCluster& server,
                                                    const PgBouncerOptions& options) {
  if (!fs::exists(kBinary)) {
    return Error::Input("pgbouncer is not installed").WithHint("apt-get install pgbouncer");
  }
  char tmpl[] = "/tmp/tide-pgbouncer-XXXXXX";
  if (!mkdtemp(tmpl)) return Error::Io("cannot make a temp dir");
  fs::path dir = tmpl;
  fs::permissions(dir, fs::perms::others_exec, fs::perm_options::add);
  TIDE_TRY(pg::MakeServerOwnedDir(dir / "run"));
  TIDE_ASSIGN(int port, pg::FreeLoopbackPort());
  fs::path run = dir / "run";
  TIDE_TRY(WriteFile(run / "userlist.txt", "\"postgres\" \"\"\n"));
  TIDE_TRY(
      WriteFile(run / "pgbouncer.ini",
                fmt::format("[databases]\n* = host=127.0.0.1 port={}\n\n[pgbouncer]\n"
                            "listen_addr = 127.0.0.1\nlisten_port = {}\nunix_socket_dir =\n"
                            "auth_type = trust\nauth_file = {}\nadmin_users = postgres\n"
                            "pool_mode = {}\ndefault_pool_size = {}\nmax_client_conn = 500\n"
                            "ignore_startup_parameters = extra_float_digits,options\n"
                            "logfile = {}\npidfile = {}\n",
                            server.port(), port, (run / "userlist.txt").string(), options.pool_mode,
                            options.pool_size, (run / "pgbouncer.log").string(),
                            (run / "pgbouncer.pid").string())));
  TIDE_ASSIGN(auto user, ServerUser());
  RunOptions run_options;
  run_options.user = user;
  run_options.timeout = std::chrono::seconds(30);
  // -d: it forks into the background and writes its pid file; the parent exits at once.
  TIDE_ASSIGN(auto started,
              RunCommand({kBinary, "-d", (run / "pgbouncer.ini").string()}, run_options));
  std::unique_ptr<PgBouncer> bouncer(new PgBouncer(dir, port));
  if (!started.ok()) {
    return Error::Io(
        fmt::format("pgbouncer did not start: {}{}", started.output, bouncer->LogTail()));
  }
  for (int i = 0; i < 100; ++i) {
    if (pg::Connection::Open(bouncer->AdminUrl()).ok()) {
      return Result<std::unique_ptr<PgBouncer>>(std::move(bouncer));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Error::Io("pgbouncer does not accept connections: " + bouncer->LogTail());
}

PgBouncer::~PgBouncer() {
  fs::path pid_file = dir_ / "run" / "pgbouncer.pid";
  if (int pid = ReadPid(pid_file); pid > 0) {
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && kill(pid, 0) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PgBouncer::Url(const std::string& dbname) const {
  return fmt::format("host=127.0.0.1 port={} user=postgres dbname={}", port_, dbname);
}

std::string PgBouncer::LogTail() const {
  std::ifstream in(dir_ / "run" / "pgbouncer.log");
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 3000 ? all.substr(all.size() - 3000) : all;
}

}  // namespace tide::testing
