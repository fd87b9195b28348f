// Replaying a real project's whole history onto an empty database (tests/corpus/), as every CI job
// and new laptop does: `tide migrate` against a plain run (`migrate --plain`, each file in one
// transaction as Flyway runs it). Prints, per project, the median wall time of each over the
// repeats and their ratio (target: tide at most 1.3x plain). Each run gets a fresh database made
// from the project's setup.sql; runs alternate plain / tide so drift on a shared machine hits both.
// Figures are printed, not asserted.
//
//   build/replay_bench [--repeat 5] [--durable] [--project NAME]...

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "pg/cluster.h"
#include "pg/connection.h"

namespace fs = std::filesystem;
using namespace tide;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  int repeat = 5;
  bool durable = false;
  std::vector<std::string> projects = {"atuin", "harbor", "marquez", "cratesio"};
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "replay_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.error().ToString());
  return std::move(r).value();
}

void Must(Status s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.error().ToString());
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

class Bench {
 public:
  explicit Bench(Options o) : o_(std::move(o)) {}

  void Run() {
    pg::ClusterOptions co;
    co.dir = fs::temp_directory_path() / fmt::format("tide_replay_bench_{}", getpid());
    co.durable = o_.durable;
    co.listen_tcp = false;
    cluster_.emplace(Must(pg::LocalCluster::Create(co), "start a cluster"));
    std::printf(
        "Replaying each project's whole history onto an empty database, median of %d "
        "(%s server)\n\n",
        o_.repeat, o_.durable ? "durable" : "fsync off");
    std::printf("%-10s %6s %12s %12s %7s\n", "project", "files", "plain (s)", "tide (s)", "ratio");
    for (const auto& p : o_.projects) Project(p);
    (void)cluster_->Destroy();
  }

 private:
  // Seconds for one replay of project in mode ("plain" or "tide") on a new database.
  double Replay(const std::string& project, const std::string& mode, int n) {
    fs::path dir = fs::path(TIDE_SOURCE_DIR) / "tests" / "corpus" / project;
    std::string db = fmt::format("{}_{}_{}", project, mode, n);
    auto admin = Must(pg::Connection::Open(cluster_->SocketUrl()), "connect");
    Must(admin.Run("CREATE DATABASE " + db), "create database");
    std::string url = cluster_->SocketUrl(db);
    if (fs::exists(dir / "setup.sql")) {
      auto conn = Must(pg::Connection::Open(url), "connect");
      (void)Must(conn.Exec(ReadFile(dir / "setup.sql")), "setup.sql");
    }
    std::vector<std::string> argv = {
        TIDE_BINARY, "--url",  url, "--locations", (dir / "migrations").string(),
        "--quiet",   "migrate"};
    if (mode == "plain") argv.push_back("--plain");
    RunOptions ro;
    ro.cwd = fs::temp_directory_path().string();
    ro.separate_stderr = true;
    ro.timeout = std::chrono::minutes(10);
    auto start = Clock::now();
    auto r = Must(RunCommand(argv, ro), "run tide");
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!r.ok())
      Die(fmt::format("{} {}: exit {}\n{}{}", project, mode, r.exit_code, r.output,
                      r.error_output));
    Must(admin.Run("DROP DATABASE " + db), "drop database");
    return seconds;
  }

  void Project(const std::string& project) {
    fs::path dir = fs::path(TIDE_SOURCE_DIR) / "tests" / "corpus" / project / "migrations";
    int files = static_cast<int>(std::distance(fs::directory_iterator(dir), {}));
    (void)Replay(project, "plain", o_.repeat);  // warm the page cache and the catalog
    std::vector<double> plain, tide;
    for (int i = 0; i < o_.repeat; ++i) {
      plain.push_back(Replay(project, "plain", i));
      tide.push_back(Replay(project, "tide", i));
    }
    double p = Median(plain), t = Median(tide);
    std::printf("%-10s %6d %12.2f %12.2f %6.2fx\n", project.c_str(), files, p, t, t / p);
    std::fflush(stdout);
  }

  Options o_;
  std::optional<pg::LocalCluster> cluster_;
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  bool named = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      o.repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--durable") {
      o.durable = true;
    } else if (a == "--project" && i + 1 < argc) {
      if (!named) o.projects.clear();
      named = true;
      o.projects.push_back(argv[++i]);
    } else {
      Die("usage: replay_bench [--repeat N] [--durable] [--project NAME]...");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Bench(ParseArgs(argc, argv)).Run();
  return 0;
}
