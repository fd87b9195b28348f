// A fleet of databases migrated with `tide --targets FILE --parallel N expand` against a serial
// loop of single `tide --url URL expand` runs: total wall time of each (the customers cycle's
// expand, on fresh databases of one local cluster). With --schemas N, the same for N tenant
// schemas of one database: `tide --url URL --schemas 'tenant_*'` against a loop of
// `tide --url URL --schema tenant_I`.
//
//   build/fleet_bench [--databases 100] [--schemas 100] [--parallel 4]

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

void Print(int parallel, int n, const std::string& unit, double fleet_s, double serial_s) {
  fmt::print("  tide --parallel {}:          {:.2f} s ({:.0f} ms per {})\n", parallel, fleet_s,
             1000 * fleet_s / n, unit);
  fmt::print("  serial loop of single runs: {:.2f} s ({:.0f} ms per {})\n", serial_s,
             1000 * serial_s / n, unit);
  fmt::print("  speed-up: {:.2f}x\n", serial_s / fleet_s);
}

// n tenant schemas in each of two databases: one for --schemas, one for the serial loop.
bool BenchSchemas(pg::LocalCluster& cluster, const RunOptions& in_dir, int n, int parallel) {
  auto admin = pg::Connection::Open(cluster.SocketUrl());
  if (!admin.ok() || !admin->Run("CREATE DATABASE schemas_fleet").ok() ||
      !admin->Run("CREATE DATABASE schemas_serial").ok()) {
    return false;
  }
  std::string ddl;
  for (int i = 0; i < n; ++i) ddl += fmt::format("CREATE SCHEMA tenant_{};", i);
  for (const char* db : {"schemas_fleet", "schemas_serial"}) {
    auto conn = pg::Connection::Open(cluster.SocketUrl(db));
    if (!conn.ok() || !conn->Exec(ddl).ok()) return false;
  }
  auto t0 = std::chrono::steady_clock::now();
  Check(RunCommand({TIDE_BINARY, "-q", "--url", cluster.SocketUrl("schemas_fleet"), "--schemas",
                    "tenant_*", "--parallel", std::to_string(parallel), "expand"},
                   in_dir),
        "the --schemas run");
  double fleet_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    Check(RunCommand({TIDE_BINARY, "-q", "--url", cluster.SocketUrl("schemas_serial"), "--schema",
                      fmt::format("tenant_{}", i), "expand"},
                     in_dir),
          "a single run");
  }
  double serial_s = Seconds(t0);
  fmt::print("{} tenant schemas of one database, customers expand:\n", n);
  Print(parallel, n, "schema", fleet_s, serial_s);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int databases = 100, parallel = 4, schemas = 0;
  CLI::App app("tide --targets --parallel against a serial loop of single runs");
  app.add_option("--databases", databases, "databases in the fleet")->check(CLI::Range(1, 1000));
  app.add_option("--parallel", parallel, "targets at once")->check(CLI::Range(1, 64));
  app.add_option("--schemas", schemas, "also: this many tenant schemas of one database")
      ->check(CLI::Range(0, 1000));
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
  Print(parallel, databases, "database", fleet_s, serial_s);
  if (schemas > 0) {
    if (!BenchSchemas(*cluster, in_dir, schemas, parallel)) return 1;
  }
  (void)cluster->Destroy();
  fs::remove_all(dir);
  return 0;
}
