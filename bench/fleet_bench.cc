// A fleet of databases migrated with `tide --targets FILE --parallel N migrate` against a serial
// loop of single `tide --url URL migrate` runs: total wall time of each (the customers cycle's
// expand, on fresh databases of one local cluster).
//
//   build/fleet_bench [--databases 100] [--parallel 4]

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/subprocess.h"
#include "pg/cluster.h"
#include "pg/connection.h"

namespace fs = std::filesystem;
using namespace tide;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Check(const Result<RunResult>& r, const std::string& what) {
  if (!r.ok() || r->exit_code != 0) {
    fmt::print(stderr, "{} failed: {}\n", what, r.ok() ? r->output : r.error().ToString());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int databases = 100, parallel = 4;
  CLI::App app("tide --targets --parallel against a serial loop of single runs");
  app.add_option("--databases", databases, "databases in the fleet")->check(CLI::Range(1, 1000));
  app.add_option("--parallel", parallel, "targets at once")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  char tmpl[] = "/tmp/tide-fleet-bench-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  fs::permissions(dir, fs::perms::others_exec, fs::perm_options::add);
  fs::copy(fs::path(TIDE_SOURCE_DIR) / "examples/customers/migrations", dir / "migrations");
  pg::ClusterOptions options;
  options.dir = dir / "cluster";
  options.settings = {"max_connections = 200"};
  auto cluster = pg::LocalCluster::Create(options);
  if (!cluster.ok()) {
    fmt::print(stderr, "{}\n", cluster.error().ToString());
    return 1;
  }
  auto admin = pg::Connection::Open(cluster->SocketUrl());
  std::ofstream fleet(dir / "fleet.txt"), serial(dir / "serial.txt");
  for (int i = 0; i < 2 * databases; ++i) {
    std::string db = fmt::format("tenant_{}", i);
    if (!admin->Run("CREATE DATABASE " + db).ok()) return 1;
    (i < databases ? fleet : serial) << cluster->SocketUrl(db) << "\n";
  }
  fleet.close();
  serial.close();
  RunOptions in_dir;
  in_dir.cwd = dir.string();
  auto t0 = std::chrono::steady_clock::now();
  Check(RunCommand({TIDE_BINARY, "-q", "--targets", "fleet.txt", "--parallel",
                    std::to_string(parallel), "expand"},
                   in_dir),
        "the fleet run");
  double fleet_s = Seconds(t0);
  std::ifstream urls(dir / "serial.txt");
  t0 = std::chrono::steady_clock::now();
  for (std::string url; std::getline(urls, url);) {
    Check(RunCommand({TIDE_BINARY, "-q", "--url", url, "expand"}, in_dir), "a single run");
  }
  double serial_s = Seconds(t0);
  fmt::print("fleet of {} databases, customers expand (V1, V1.1), {} cores:\n", databases,
             std::thread::hardware_concurrency());
  fmt::print("  tide --targets --parallel {}: {:.2f} s ({:.0f} ms per database)\n", parallel,
             fleet_s, 1000 * fleet_s / databases);
  fmt::print("  serial loop of tide --url:  {:.2f} s ({:.0f} ms per database)\n", serial_s,
             1000 * serial_s / databases);
  fmt::print("  speed-up: {:.2f}x\n", serial_s / fleet_s);
  (void)cluster->Destroy();
  fs::remove_all(dir);
  return 0;
}
