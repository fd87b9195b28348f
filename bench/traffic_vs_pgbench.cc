// How fast can tide's load driver send requests? Runs a trivial `SELECT 1;` script with tide's
// Traffic and with pgbench (same server, same clients, same duration) and prints both rates.
// Figures are printed, not asserted: the machine is shared.
//
//   build/traffic_vs_pgbench [--seconds 5] [--clients 2]

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "base/subprocess.h"
#include "pg/cluster.h"
#include "rehearse/traffic.h"

namespace fs = std::filesystem;
using namespace tide;

namespace {

constexpr const char* kScript = "SELECT 1;\n";

double TideRate(const std::string& url, int clients, int seconds, rehearse::LatencySummary* out) {
  auto workload = rehearse::Workload::Parse(kScript, "select1.sql");
  if (!workload.ok()) return -1;
  rehearse::TrafficOptions options;
  options.url = url;
  rehearse::Traffic traffic(options);
  rehearse::ReleaseSpec spec{"bench", "tide-bench", *workload, clients, 0, 1, ""};
  if (Status s = traffic.AddRelease(spec); !s.ok()) {
    fmt::print(stderr, "{}\n", s.error().ToString());
    return -1;
  }
  if (!traffic.Start().ok()) return -1;
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  traffic.Stop();
  rehearse::TrafficResults r = traffic.Results();
  *out = r.releases.at(0).total;
  return static_cast<double>(out->requests) / r.duration_s;
}

double PgbenchRate(const pg::LocalCluster& cluster, const fs::path& dir, int clients, int seconds,
                   std::string* latency) {
  fs::path script = dir / "select1.sql";
  std::ofstream(script) << kScript;
  RunOptions options;
  options.timeout = std::chrono::seconds(seconds + 60);
  auto run = RunCommand(
      {"/usr/bin/pgbench", "-n", "-f", script.string(), "-c", std::to_string(clients), "-j",
       std::to_string(clients), "-T", std::to_string(seconds), cluster.SocketUrl()},
      options);
  if (!run.ok() || run->exit_code != 0) {
    fmt::print(stderr, "pgbench failed: {}\n", run.ok() ? run->output : run.error().ToString());
    return -1;
  }
  std::smatch m;
  if (std::regex_search(run->output, m, std::regex(R"(latency average = ([0-9.]+ ms))"))) {
    *latency = m[1];
  }
  if (!std::regex_search(run->output, m, std::regex(R"(tps = ([0-9.]+))"))) return -1;
  return std::stod(m[1]);
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5;
  int clients = 2;
  CLI::App app("The rehearsal's load driver against pgbench: same script, same server");
  app.add_option("--seconds", seconds, "length of each run")->check(CLI::Range(1, 600));
  app.add_option("--clients", clients, "connections")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  char tmpl[] = "/tmp/tide-bench-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  fs::permissions(dir, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  pg::ClusterOptions options;
  options.dir = dir / "cluster";
  auto cluster = pg::LocalCluster::Create(options);
  if (!cluster.ok()) {
    fmt::print(stderr, "cannot start a cluster: {}\n", cluster.error().ToString());
    return 1;
  }
  fmt::print("SELECT 1 for {} s with {} clients (one connection each), same local server\n",
             seconds, clients);
  rehearse::LatencySummary tide_latency;
  double tide_rate = TideRate(cluster->SocketUrl(), clients, seconds, &tide_latency);
  std::string pgbench_latency = "?";
  double pgbench_rate = PgbenchRate(*cluster, dir, clients, seconds, &pgbench_latency);
  fmt::print("  tide Traffic : {:>9.0f} requests/s  (p50 {:.3f} ms, p99 {:.3f} ms)\n", tide_rate,
             tide_latency.p50_ms, tide_latency.p99_ms);
  fmt::print("  pgbench      : {:>9.0f} requests/s  (latency average {})\n", pgbench_rate,
             pgbench_latency);
  if (tide_rate > 0 && pgbench_rate > 0) {
    fmt::print("  tide / pgbench = {:.2f}\n", tide_rate / pgbench_rate);
  }
  (void)cluster->Destroy();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return tide_rate > 0 && pgbench_rate > 0 ? 0 : 1;
}
