#include "harness.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>

namespace tide::testing {

namespace fs = std::filesystem;

namespace {
std::mutex g_mu;
std::optional<pg::LocalCluster> g_cluster;
std::optional<fs::path> g_cluster_dir;
std::atomic<int> g_db_counter{0};
}  // namespace

pg::LocalCluster& SharedCluster() {
  std::lock_guard lock(g_mu);
  if (!g_cluster) {
    char tmpl[] = "/tmp/tide-test-XXXXXX";
    const char* made = mkdtemp(tmpl);
    if (!made) {
      std::fprintf(stderr, "cannot make a temp dir\n");
      std::abort();
    }
    g_cluster_dir = made;
    fs::permissions(*g_cluster_dir, fs::perms::others_exec | fs::perms::group_exec,
                    fs::perm_options::add);
    pg::ClusterOptions options;
    options.dir = *g_cluster_dir / "cluster";
    // Prepared transactions hold locks that no session shows in pg_stat_activity: the fault
    // tests use one to make tide's lock requests time out for certain.
    options.settings = {"max_connections = 300", "max_prepared_transactions = 10"};
    auto cluster = pg::LocalCluster::Create(options);
    if (!cluster.ok()) {
      std::fprintf(stderr, "cannot start the test cluster: %s\n",
                   cluster.error().ToString().c_str());
      std::abort();
    }
    g_cluster = std::move(cluster).value();
  }
  return *g_cluster;
}

void StopSharedCluster() {
  std::lock_guard lock(g_mu);
  if (g_cluster) {
    (void)g_cluster->Destroy();
    g_cluster.reset();
  }
  if (g_cluster_dir) {
    std::error_code ec;
    fs::remove_all(*g_cluster_dir, ec);
    g_cluster_dir.reset();
  }
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/tide-work-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::Write(const std::string& relative, const std::string& text) const {
  fs::path p = path_ / relative;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
  return p;
}

TideRun RunTide(const std::vector<std::string>& args, const fs::path& cwd,
                const std::vector<std::string>& env) {
  std::vector<std::string> argv = {TIDE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.cwd = cwd.string();
  options.extra_env = env;
  options.separate_stderr = true;
  options.timeout = std::chrono::minutes(5);
  TideRun run;
  auto r = RunCommand(argv, options);
  if (!r.ok()) {
    run.err = r.error().ToString();
    return run;
  }
  run.exit_code = r->signal ? -r->signal : r->exit_code;  // as TideProcess::Wait says it
  run.out = r->output;
  run.err = r->error_output;
  return run;
}

fs::path CustomersMigrations() {
  return fs::path(TIDE_SOURCE_DIR) / "examples" / "customers" / "migrations";
}

void DbTest::SetUp() {
  pg::LocalCluster& cluster = SharedCluster();
  dbname_ = "t" + std::to_string(getpid()) + "_" + std::to_string(++g_db_counter);
  auto admin = pg::Connection::Open(cluster.SocketUrl());
  ASSERT_TRUE(admin.ok()) << admin.error().ToString();
  auto made = admin->Exec("CREATE DATABASE " + dbname_);
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  url_ = cluster.SocketUrl(dbname_);
}

void DbTest::TearDown() {
  if (dbname_.empty()) return;
  auto admin = pg::Connection::Open(SharedCluster().SocketUrl());
  if (admin.ok()) (void)admin->Exec("DROP DATABASE IF EXISTS " + dbname_ + " WITH (FORCE)");
}

pg::Connection DbTest::Connect(const std::string& application_name) const {
  auto conn = pg::Connection::Open(url_, application_name);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().ToString();
    std::abort();
  }
  return std::move(conn).value();
}

pg::PgResult DbTest::Sql(const std::string& sql) const {
  pg::Connection conn = Connect();
  auto r = conn.Exec(sql);
  if (!r.ok()) {
    ADD_FAILURE() << sql << ": " << r.error().ToString();
    return pg::PgResult(nullptr);
  }
  return std::move(r).value();
}

std::string DbTest::Value(const std::string& sql) const {
  pg::PgResult r = Sql(sql);
  if (r.rows() == 0) return "";
  return r.Get(0, 0);
}

}  // namespace tide::testing

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <sstream>
#include <thread>

namespace tide::testing {

TideProcess::TideProcess(const std::vector<std::string>& args, const fs::path& cwd,
                         const std::vector<std::string>& env) {
  char tmpl[] = "/tmp/tide-proc-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  out_ = dir / "out";
  err_ = dir / "err";
  std::vector<std::string> argv = {TIDE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
}

TideProcess::~TideProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  std::error_code ec;
  fs::remove_all(out_.parent_path(), ec);
}

void TideProcess::Kill(int signal) {
  if (!reaped_ && pid_ > 0) kill(pid_, signal);
}

bool TideProcess::Running() {
  if (reaped_) return false;
  pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

TideRun TideProcess::Wait() {
  if (!reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  TideRun run;
  run.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  run.out = slurp(out_);
  run.err = slurp(err_);
  return run;
}

namespace {
std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::string TideProcess::Output() const { return Slurp(out_) + Slurp(err_); }

bool TideProcess::WaitStopped(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && Running()) {
    // /proc/PID/stat: "pid (comm) S ..."; T is stopped by a signal.
    std::string stat = Slurp(fs::path("/proc") / std::to_string(pid_) / "stat");
    size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'T') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool TideProcess::WaitOutput(const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Output().find(text) != std::string::npos) return true;
    if (!Running()) return Output().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool WaitFor(const std::string& url, const std::string& sql, std::chrono::milliseconds timeout) {
  auto conn = pg::Connection::Open(url, "tide-test-wait");
  if (!conn.ok()) return false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto v = conn->QueryValue(sql);
    if (v.ok() && v->has_value() && **v == "t") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace tide::testing
