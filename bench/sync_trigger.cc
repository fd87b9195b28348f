// What the declarative sync trigger costs, and what the declarative customers cycle does to the
// application's latency. Figures are printed, not asserted: the machine is shared.
//
// 1. Trigger overhead. The customers table (N rows) after `tide expand` of
//    examples/customers-declarative (email added, contact_info dropped with down: email). Single
//    -row UPDATE throughput, same table and same sessions, with the sync trigger enabled and
//    disabled (ALTER TABLE ... DISABLE TRIGGER), alternating A B B A so that drift cancels; the
//    median of the runs of each, and their ratio. Twice: the old release's UPDATE of
//    contact_info on the base table, and the new release's UPDATE of email through public_v2.
//    The server runs without fsync (the test cluster's settings): the trigger's CPU cost is not
//    hidden behind WAL flushes, so this is the unfavourable case.
// 2. The declarative customers cycle under traffic: v1 (app-v1.sql) on the base table from the
//    start, tide expand, v3 (app-v3.sql, search_path public_v2, public) joins, v1 leaves, tide
//    contract, v3 goes on. Max and p99 latency and failures of each release in each phase.
//
//   build/sync_trigger [--rows 200000] [--seconds 3] [--runs 5] [--clients 2]

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/app.h"
#include "ops/views.h"
#include "pg/cluster.h"
#include "pg/connection.h"
#include "rehearse/traffic.h"

namespace fs = std::filesystem;
using namespace tide;

namespace {

struct Options {
  int64_t rows = 200'000;
  int seconds = 3;
  int runs = 5;
  int clients = 2;
};

fs::path ExampleDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (fs::exists(p / "examples/customers-declarative"))
      return p / "examples/customers-declarative";
  }
  return "examples/customers-declarative";
}

int Tide(std::vector<std::string> args) {
  args.insert(args.begin(), "tide");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return cli::Main(static_cast<int>(argv.size()), argv.data());
}

std::string WithSearchPath(const std::string& url) {
  return url + " options='-csearch_path=public_v2,public'";
}

Status Setup(const std::string& url, const fs::path& example, int64_t rows) {
  if (Tide({"-q", "--url", url, "--locations", (example / "migrations").string(), "migrate",
            "--target", "1"}) != 0) {
    return Error::Failed("tide migrate --target 1 failed");
  }
  TIDE_ASSIGN(auto conn, pg::Connection::Open(url));
  TIDE_TRY(
      conn.Run(fmt::format("INSERT INTO customers (name, contact_info) SELECT 'Customer ' "
                           "|| g, 'c' || g || '@example.com' FROM generate_series(1, {}) g",
                           rows)));
  return conn.Run("VACUUM ANALYZE customers");
}

// Requests per second of one script over `seconds`, `clients` sessions.
Result<double> Rate(const std::string& url, const std::string& script, const Options& o) {
  TIDE_ASSIGN(auto workload,
              rehearse::Workload::Parse(script, "bench.sql", {{"rows", std::to_string(o.rows)}}));
  rehearse::TrafficOptions options;
  options.url = url;
  rehearse::Traffic traffic(options);
  TIDE_TRY(traffic.AddRelease({"bench", "tide-bench", workload, o.clients, 0, 1, ""}));
  TIDE_TRY(traffic.Start());
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  traffic.Stop();
  rehearse::TrafficResults r = traffic.Results();
  const auto& total = r.releases.at(0).total;
  if (total.failures > 0) return Error::Failed(fmt::format("{} requests failed", total.failures));
  return static_cast<double>(total.requests) / r.duration_s;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty()      ? 0
         : v.size() % 2 ? v[v.size() / 2]
                        : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

Status ServerSide(pg::Connection& admin, const Options& o);

Status Overhead(const pg::LocalCluster& cluster, const fs::path& example, const Options& o) {
  std::string url = cluster.SocketUrl("overhead");
  TIDE_TRY(Setup(url, example, o.rows));
  if (Tide({"-q", "--url", url, "--locations", (example / "migrations").string(), "expand"}) != 0) {
    return Error::Failed("tide expand failed");
  }
  TIDE_ASSIGN(auto admin, pg::Connection::Open(url));
  struct Variant {
    const char* what;
    std::string url;
    std::string script;
  } variants[] = {
      {"old release: UPDATE customers SET contact_info (base table)", url,
       "\\set id random(1, :rows)\n"
       "UPDATE customers SET contact_info = 'v1.' || :id || '@example.com' WHERE id = :id;\n"},
      {"new release: UPDATE customers SET email (through public_v2)", WithSearchPath(url),
       "\\set id random(1, :rows)\n"
       "UPDATE customers SET email = 'v3.' || :id || '@example.com' WHERE id = :id;\n"},
  };
  fmt::print(
      "\n1. Sync trigger overhead on single-row UPDATE: {} rows, {} sessions, {} runs of "
      "{} s each way\n",
      o.rows, o.clients, o.runs, o.seconds);
  for (const auto& v : variants) {
    std::vector<double> with, without;
    for (int i = 0; i < o.runs; ++i) {
      for (bool enabled : {i % 2 == 0, i % 2 != 0}) {
        TIDE_TRY(admin.Run(
            fmt::format("ALTER TABLE customers {} TRIGGER USER", enabled ? "ENABLE" : "DISABLE")));
        TIDE_ASSIGN(double rate, Rate(v.url, v.script, o));
        (enabled ? with : without).push_back(rate);
      }
    }
    TIDE_TRY(admin.Run("ALTER TABLE customers ENABLE TRIGGER USER"));
    double a = Median(without), b = Median(with);
    fmt::print(
        "  {}\n    without trigger {:>8.0f} updates/s   with trigger {:>8.0f} updates/s"
        "   cost {:+.1f}%  (medians of {} runs)\n",
        v.what, a, b, (a - b) / a * 100, o.runs);
  }
  return ServerSide(admin, o);
}

// The same updates in a server-side loop (no client, no network): what the trigger adds to each
// updated row, in microseconds. Any BEFORE UPDATE row trigger makes PostgreSQL lock the old
// tuple before updating it; the rest is the function.
Status ServerSide(pg::Connection& admin, const Options& o) {
  const int n = 20000;
  fmt::print("  server side, {} single-row UPDATEs in a loop, median of {} runs each way:\n", n,
             o.runs);
  for (const char* column : {"contact_info", "email"}) {
    std::vector<double> with, without;
    int pass = 0;  // each pass writes new values: an UPDATE that changes nothing syncs nothing
    for (int i = 0; i < o.runs; ++i) {
      for (bool enabled : {i % 2 == 0, i % 2 != 0}) {
        TIDE_TRY(admin.Run(
            fmt::format("ALTER TABLE customers {} TRIGGER USER", enabled ? "ENABLE" : "DISABLE")));
        ++pass;
        auto started = std::chrono::steady_clock::now();
        TIDE_TRY(admin.Run(fmt::format(
            "DO $$ BEGIN FOR i IN 1..{} LOOP UPDATE customers SET {} = 'r{}.' || i WHERE id = i; "
            "END LOOP; END $$",
            n, column, pass)));
        double us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
                .count() /
            n;
        (enabled ? with : without).push_back(us);
      }
    }
    TIDE_TRY(admin.Run("ALTER TABLE customers ENABLE TRIGGER USER"));
    double a = Median(without), b = Median(with);
    fmt::print(
        "    SET {:<13} {:>6.1f} us/row without, {:>6.1f} us/row with: the trigger adds "
        "{:.1f} us\n",
        column, a, b, b - a);
  }
  return Ok();
}

void PrintPhases(const rehearse::TrafficResults& r) {
  for (const auto& rel : r.releases) {
    for (size_t i = 0; i < r.phases.size() && i < rel.phases.size(); ++i) {
      const auto& p = rel.phases[i];
      if (p.requests == 0) continue;
      fmt::print("  {:<4} {:<16} {:>7} requests  {:>3} failed  p99 {:>7.2f} ms  max {:>7.2f} ms\n",
                 rel.name, r.phases[i].name, p.requests, p.failures, p.p99_ms, p.max_ms);
    }
    for (const auto& e : rel.errors) fmt::print("    error: {} ({}x)\n", e.message, e.count);
  }
}

Status Cycle(const pg::LocalCluster& cluster, const fs::path& example, const Options& o) {
  std::string url = cluster.SocketUrl("cycle");
  TIDE_TRY(Setup(url, example, o.rows));
  rehearse::VariableMap vars = {{"rows", std::to_string(o.rows)}};
  TIDE_ASSIGN(auto v1, rehearse::Workload::Load(example / "workload/app-v1.sql", vars));
  TIDE_ASSIGN(auto v3, rehearse::Workload::Load(example / "workload/app-v3.sql", vars));
  rehearse::TrafficOptions old_options;
  old_options.url = url;
  rehearse::Traffic old_traffic(old_options);
  TIDE_TRY(old_traffic.AddRelease({"v1", "customer-api/1.0", v1, o.clients, 0, 1, ""}));
  rehearse::TrafficOptions new_options;
  new_options.url = url;
  new_options.first_phase = "v1 and v3";
  rehearse::Traffic new_traffic(new_options);
  TIDE_TRY(new_traffic.AddRelease(
      {"v3", "customer-api/2.0", v3, o.clients, 0, 1, ops::NewReleaseSearchPath("public", "2")}));
  std::string locations = (example / "migrations").string();
  auto started = std::chrono::steady_clock::now();
  auto since = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  TIDE_TRY(old_traffic.Start());
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  old_traffic.MarkPhase("expand");
  double t0 = since();
  int expanded = Tide({"-q", "--url", url, "--locations", locations, "expand"});
  double expand_s = since() - t0;
  old_traffic.MarkPhase("v1 and v3");
  TIDE_TRY(new_traffic.Start());
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  TIDE_TRY(old_traffic.StopRelease("v1"));
  old_traffic.Stop();
  new_traffic.MarkPhase("contract");
  t0 = since();
  int contracted = Tide({"-q", "--url", url, "--locations", locations, "contract", "--app",
                         "customer-api", "--version", "2.0"});
  double contract_s = since() - t0;
  new_traffic.MarkPhase("after");
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  new_traffic.Stop();
  fmt::print(
      "\n2. The declarative customers cycle, {} rows, {} v1 and {} v3 sessions: expand {} "
      "({:.1f} s), contract {} ({:.1f} s)\n",
      o.rows, o.clients, o.clients, expanded == 0 ? "ok" : "FAILED", expand_s,
      contracted == 0 ? "ok" : "FAILED", contract_s);
  rehearse::TrafficResults a = old_traffic.Results(), b = new_traffic.Results();
  PrintPhases(a);
  PrintPhases(b);
  double max_ms = 0;
  int64_t failures = a.TotalFailures() + b.TotalFailures();
  for (const auto* r : {&a, &b}) {
    for (const auto& rel : r->releases) max_ms = std::max(max_ms, rel.total.max_ms);
  }
  fmt::print("  max app latency over the whole cycle: {:.2f} ms; failed requests: {}\n", max_ms,
             failures);
  return expanded == 0 && contracted == 0 ? Ok() : Error::Failed("the cycle failed");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("The declarative sync trigger's cost on single-row UPDATEs, and the declarative "
               "customers cycle's latency under traffic");
  app.add_option("--rows", o.rows, "rows in customers")->check(CLI::Range(1000, 1'000'000'000));
  app.add_option("--seconds", o.seconds, "length of each throughput run")
      ->check(CLI::Range(1, 600));
  app.add_option("--runs", o.runs, "throughput runs each way")->check(CLI::Range(1, 100));
  app.add_option("--clients", o.clients, "sessions per release")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  fs::path example = ExampleDir();
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
  Status st = Ok();
  {
    auto admin = pg::Connection::Open(cluster->SocketUrl());
    st = admin.ok() ? admin->Run("CREATE DATABASE overhead") : Status(admin.error());
    if (st.ok()) st = admin->Run("CREATE DATABASE cycle");
  }
  if (st.ok()) st = Overhead(*cluster, example, o);
  if (st.ok()) st = Cycle(*cluster, example, o);
  if (!st.ok()) fmt::print(stderr, "error: {}\n", st.error().ToString());
  (void)cluster->Destroy();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return st.ok() ? 0 : 1;
}
