// How long `tide info` and `tide validate` take on a project of 1,000 migrations, all applied
// (the common case in CI), and `tide lint` on the same folder. Median of repeated runs.
//
//   build/info_bench [--migrations 1000] [--repeat 10]

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "base/strings.h"
#include "base/subprocess.h"
#include "pg/cluster.h"

namespace fs = std::filesystem;
using namespace tide;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Time(const std::vector<std::string>& argv, int repeat) {
  std::vector<double> runs;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = RunCommand(argv);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count();
    if (!r.ok() || (r->exit_code != 0 && r->exit_code != 1)) {
      fmt::print(stderr, "{} failed: {}\n", argv[1], r.ok() ? r->output : r.error().ToString());
      std::exit(1);
    }
    runs.push_back(ms);
  }
  return Median(runs);
}

}  // namespace

int main(int argc, char** argv) {
  int count = 1000, repeat = 10;
  CLI::App app("tide info, validate and lint on a project of many migrations: median wall time");
  app.add_option("--migrations", count, "migration files")->check(CLI::Range(1, 100000));
  app.add_option("--repeat", repeat, "runs of each command")->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  char tmpl[] = "/tmp/tide-info-bench-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  fs::permissions(dir, fs::perms::others_exec, fs::perm_options::add);
  fs::create_directories(dir / "migrations");
  for (int i = 1; i <= count; ++i) {
    std::ofstream(dir / "migrations" / fmt::format("V{}__table_{}.sql", i, i))
        << fmt::format("-- migration {}\nCREATE TABLE t{} (id bigint PRIMARY KEY, name text);\n"
                       "CREATE INDEX ON t{} (name);\n",
                       i, i, i);
  }
  pg::ClusterOptions co;
  co.dir = dir / "cluster";
  auto cluster = pg::LocalCluster::Create(co);
  if (!cluster.ok()) {
    fmt::print(stderr, "{}\n", cluster.error().ToString());
    return 1;
  }
  std::string url = cluster->SocketUrl();
  std::string loc = (dir / "migrations").string();
  auto t0 = std::chrono::steady_clock::now();
  auto applied = RunCommand({TIDE_BINARY, "--url", url, "--locations", loc, "-q", "migrate"});
  double migrate_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!applied.ok() || applied->exit_code != 0) {
    fmt::print(stderr, "migrate failed\n");
    return 1;
  }
  fmt::print("{} migrations applied in {:.1f} s ({:.1f} ms each)\n", count, migrate_s,
             migrate_s * 1000 / count);
  double info = Time({TIDE_BINARY, "--url", url, "--locations", loc, "info"}, repeat);
  double info_json = Time({TIDE_BINARY, "--url", url, "--locations", loc, "--json", "info"},
                          repeat);
  double validate = Time({TIDE_BINARY, "--url", url, "--locations", loc, "validate"}, repeat);
  double lint = Time({TIDE_BINARY, "lint", loc}, repeat);
  fmt::print("tide info      {:>8.1f} ms (median of {})\n", info, repeat);
  fmt::print("tide --json info {:>6.1f} ms\n", info_json);
  fmt::print("tide validate  {:>8.1f} ms\n", validate);
  fmt::print("tide lint      {:>8.1f} ms (no database)\n", lint);
  (void)cluster->Destroy();
  fs::remove_all(dir);
  return 0;
}
