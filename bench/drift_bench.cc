// How long `tide check --drift` takes to read and compare a production-size catalog, excluding
// the replay: two databases of --tables tables (each with a primary key, a CHECK, defaults and
// an index; a view for every fifth table, a function for every tenth), one of them with a few
// hand changes. Reads both catalogs and diffs them in process, as the check does.
//
//   build/drift_bench [--tables 5000] [--repeat 3]

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>

#include "drift/catalog_reader.h"
#include "drift/diff.h"
#include "pg/cluster.h"
#include "pg/connection.h"

namespace fs = std::filesystem;
using namespace tide;
using Clock = std::chrono::steady_clock;

namespace {

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string Schema(int tables) {
  return fmt::format(R"(DO $$ BEGIN FOR i IN 1..{} LOOP
  EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, name text NOT NULL DEFAULT '''',
    status text CHECK (status <> ''''), created timestamptz DEFAULT now(), ref bigint)', i);
  EXECUTE format('CREATE INDEX t%s_name_idx ON t%s (name)', i, i);
  IF i % 5 = 0 THEN
    EXECUTE format('CREATE VIEW v%s AS SELECT id, name FROM t%s WHERE status = ''a''', i, i);
  END IF;
  IF i % 10 = 0 THEN
    EXECUTE format('CREATE FUNCTION f%s(x int) RETURNS int LANGUAGE sql AS ''SELECT x + %s''',
                   i, i);
  END IF;
END LOOP; END $$)",
                     tables);
}

Status Run(const pg::LocalCluster& cluster, int tables, int repeat) {
  TIDE_ASSIGN(auto admin, pg::Connection::Open(cluster.SocketUrl()));
  TIDE_TRY(admin.Run("CREATE DATABASE history"));
  auto t0 = Clock::now();
  {
    TIDE_ASSIGN(auto h, pg::Connection::Open(cluster.SocketUrl("history")));
    TIDE_TRY(h.Run(Schema(tables)));
  }
  fmt::print("built {} tables, {} indexes, {} views, {} functions in {:.1f} s\n", tables, tables,
             tables / 5, tables / 10, Since(t0));
  TIDE_TRY(admin.Run("CREATE DATABASE live TEMPLATE history"));
  TIDE_ASSIGN(auto live, pg::Connection::Open(cluster.SocketUrl("live")));
  TIDE_TRY(
      live.Run("CREATE INDEX hotfix_idx ON t17 (created); ALTER TABLE t42 DROP COLUMN ref; "
               "ALTER TABLE t99 ALTER COLUMN name SET DEFAULT 'x'; "
               "CREATE OR REPLACE VIEW v100 AS SELECT id, name, status FROM t100"));
  TIDE_ASSIGN(auto history, pg::Connection::Open(cluster.SocketUrl("history")));
  std::vector<double> totals;
  for (int i = 0; i < repeat; ++i) {
    auto start = Clock::now();
    TIDE_ASSIGN(drift::Snapshot a, drift::ReadSnapshot(history, {}));
    double read_a = Since(start);
    auto t1 = Clock::now();
    TIDE_ASSIGN(drift::Snapshot b, drift::ReadSnapshot(live, {}));
    double read_b = Since(t1);
    auto t2 = Clock::now();
    auto findings = drift::Diff(a, b, {});
    double diff = Since(t2);
    totals.push_back(Since(start));
    fmt::print(
        "run {}: read history {:.2f} s ({} objects), read live {:.2f} s ({} objects), "
        "diff {:.3f} s ({} findings); total {:.2f} s\n",
        i + 1, read_a, a.objects.size(), read_b, b.objects.size(), diff, findings.size(),
        totals.back());
  }
  std::sort(totals.begin(), totals.end());
  fmt::print(
      "compare (both catalogs read + diff), median of {}: {:.2f} s for {} tables "
      "(target: under 10 s on 2 cores)\n",
      repeat, totals[totals.size() / 2], tables);
  return Ok();
}

}  // namespace

int main(int argc, char** argv) {
  int tables = 5000, repeat = 3;
  CLI::App app("tide check --drift's compare on a large catalog, excluding the replay");
  app.add_option("--tables", tables, "tables in each database")->check(CLI::Range(1, 100000));
  app.add_option("--repeat", repeat, "timed runs")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);
  char tmpl[] = "/tmp/tide-drift-bench-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  fs::permissions(dir, fs::perms::others_exec, fs::perm_options::add);
  pg::ClusterOptions co;
  co.dir = dir / "cluster";
  // One transaction creates every table: room for its locks.
  co.settings = {"max_locks_per_transaction = 1024"};
  auto cluster = pg::LocalCluster::Create(co);
  if (!cluster.ok()) {
    fmt::print(stderr, "{}\n", cluster.error().ToString());
    return 1;
  }
  Status status = Run(*cluster, tables, repeat);
  (void)cluster->Destroy();
  fs::remove_all(dir);
  if (!status.ok()) {
    fmt::print(stderr, "{}\n", status.error().ToString());
    return 1;
  }
  return 0;
}
