// Lint throughput on a generated corpus: what a few years of one service's migrations look like
// (new tables and their indexes, added columns, backfills, constraints, functions, comments,
// grants, seed rows, some contract files), deterministic so runs compare. Prints MB/s of SQL on
// one thread and, when `squawk` is on PATH (npm install -g squawk-cli), squawk's time on the
// very same files.
//
//   build/lint_bench [--files N] [--keep DIR]
#include <fmt/format.h>

#include <time.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "plan/catalog.h"
#include "plan/planner.h"
#include "sql/classify.h"

namespace {

namespace fs = std::filesystem;

// CPU time of this thread: the machine is shared, so wall time measures the neighbours too.
double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct CorpusFile {
  std::string name;
  std::string text;
  int statements = 0;
};

class Generator {
 public:
  explicit Generator(int seed) : rng_(seed) {}

  CorpusFile File(int version) {
    CorpusFile f;
    f.name = fmt::format("V{}__change_{}.sql", version, version);
    bool contract = version % 7 == 0;
    Line(f, fmt::format("-- Migration {}: {}", version,
                        contract ? "remove what the previous release stopped using"
                                 : "add what the next release needs"));
    if (contract) Line(f, "-- tide:phase contract");
    std::string t = Table(version);
    if (!contract) {
      Stmt(f, fmt::format(
                  "CREATE TABLE {} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                  "    account_id bigint NOT NULL REFERENCES accounts (id),\n"
                  "    name text NOT NULL,\n    status varchar(32) NOT NULL DEFAULT 'new',\n"
                  "    amount numeric(12,2),\n    payload jsonb,\n"
                  "    created_at timestamptz NOT NULL DEFAULT now(),\n"
                  "    updated_at timestamptz\n)",
                  t));
      Stmt(f, fmt::format("CREATE INDEX {0}_account_idx ON {0} (account_id, created_at DESC)", t));
      Stmt(f, fmt::format("COMMENT ON TABLE {} IS 'Rows of the {} feature, one per request.'", t,
                          t));
      Stmt(f, fmt::format("GRANT SELECT, INSERT, UPDATE ON {} TO app_rw", t));
      std::string old = Table(version - 3);
      Stmt(f, fmt::format("ALTER TABLE {} ADD COLUMN note_{} text", old, version));
      Stmt(f, fmt::format("ALTER TABLE {} ADD COLUMN seen_at_{} timestamptz DEFAULT now()", old,
                          version));
      Stmt(f, fmt::format("UPDATE {} SET note_{} = lower(name) || ' (' || status || ')' "
                          "WHERE note_{} IS NULL",
                          old, version, version));
      Stmt(f, fmt::format("CREATE INDEX CONCURRENTLY IF NOT EXISTS {0}_note_{1}_idx ON {0} "
                          "(note_{1}) WHERE note_{1} IS NOT NULL",
                          old, version));
      Stmt(f, fmt::format("ALTER TABLE {0} ADD CONSTRAINT {0}_amount_{1}_check CHECK (amount >= 0) "
                          "NOT VALID",
                          old, version));
      Stmt(f, fmt::format("ALTER TABLE {0} VALIDATE CONSTRAINT {0}_amount_{1}_check", old, version));
      Stmt(f, fmt::format("INSERT INTO feature_flags (name, enabled, created_at) VALUES "
                          "('{0}_a', false, now()), ('{0}_b', true, now()), ('{0}_c', false, now())",
                          t));
      Stmt(f, fmt::format(
                  "CREATE OR REPLACE FUNCTION {0}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                  "BEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$",
                  t));
      Stmt(f, fmt::format("CREATE TRIGGER {0}_touch BEFORE UPDATE ON {0} FOR EACH ROW EXECUTE "
                          "FUNCTION {0}_touch()",
                          t));
      Stmt(f, fmt::format("CREATE VIEW {0}_open AS SELECT id, account_id, name, amount FROM {0} "
                          "WHERE status IN ('new', 'open')",
                          t));
      Stmt(f, fmt::format("ALTER TABLE {} ALTER COLUMN status SET DEFAULT 'open'", t));
      Stmt(f, fmt::format("ALTER TABLE {} ADD COLUMN region_{} varchar(64)", old, version));
      Stmt(f, fmt::format("ALTER TABLE {} ALTER COLUMN region_{} TYPE varchar(128)", old,
                          version));
      Stmt(f, fmt::format("CREATE INDEX {0}_region_{1}_idx ON {0} (region_{1})", old, version));
      Stmt(f, fmt::format("ALTER TABLE {0} ADD CONSTRAINT {0}_acct_{1}_fk FOREIGN KEY (account_id) "
                          "REFERENCES accounts (id)",
                          old, version));
      Stmt(f, fmt::format("UPDATE {} SET status = 'archived' WHERE id = {}", old, Pick(100000)));
      Stmt(f, fmt::format("SELECT setval('{}_id_seq', (SELECT max(id) FROM {}))", t, t));
    } else {
      std::string old = Table(version - 5);
      Stmt(f, fmt::format("ALTER TABLE {} ALTER COLUMN note_{} SET NOT NULL", old, version - 5));
      Stmt(f, fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS region_{}", old, version - 4));
      Stmt(f, fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}_note_{}_idx", old, version - 6));
      Stmt(f, fmt::format("DROP VIEW IF EXISTS {}_open", old));
      Stmt(f, fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}_amount_{}_check", old, old,
                          version - 6));
      Stmt(f, fmt::format("DROP TABLE IF EXISTS {}_archive", old));
    }
    return f;
  }

 private:
  std::string Table(int n) {
    static const char* kNouns[] = {"orders", "invoices", "payments", "shipments", "customers",
                                   "refunds", "coupons", "carts", "sessions", "events"};
    return fmt::format("{}_{}", kNouns[(n < 0 ? -n : n) % 10], (n < 0 ? -n : n) / 10);
  }
  int Pick(int n) { return std::uniform_int_distribution<int>(1, n)(rng_); }
  void Line(CorpusFile& f, const std::string& comment) { f.text += comment + "\n"; }
  void Stmt(CorpusFile& f, const std::string& sql) {
    if (Pick(4) == 1) f.text += "\n-- " + std::string(20 + Pick(40), 'x') + "\n";
    f.text += sql + ";\n";
    ++f.statements;
  }
  std::mt19937 rng_;
};

}  // namespace

int main(int argc, char** argv) {
  int files = 600;
  std::string keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--files") == 0) files = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--keep") == 0) keep = argv[i + 1];
  }
  Generator gen(42);
  std::vector<CorpusFile> corpus;
  size_t bytes = 0;
  int statements = 0;
  for (int v = 1; v <= files; ++v) {
    corpus.push_back(gen.File(v));
    bytes += corpus.back().text.size();
    statements += corpus.back().statements;
  }
  fmt::print("corpus: {} files, {} statements, {:.2f} MB\n", files, statements, bytes / 1e6);
  for (int rep = 0; rep < 3; ++rep) {
  double p0 = ThreadSeconds();
  for (const auto& f : corpus) (void)tide::sql::ParseScript(f.text, f.name);
  double p1 = ThreadSeconds();
  for (const auto& f : corpus) (void)tide::sql::ClassifyScript(f.text, f.name);
  double p2 = ThreadSeconds();
  fmt::print("parse {:.3f} s, parse+classify {:.3f} s\n", p1 - p0, p2 - p1);
  }
  double start = ThreadSeconds();
  size_t notes = 0;
  for (const auto& f : corpus) {
    auto script = tide::sql::ClassifyScript(f.text, f.name);
    if (!script.ok()) {
      fmt::print(stderr, "{}\n", script.error().ToString());
      return 1;
    }
    tide::plan::OfflineCatalog catalog;
    tide::plan::Planner planner(catalog, {});
    auto plan = planner.PlanScript(*script);
    if (plan.ok()) notes += plan->notes.size() + plan->refusals.size();
  }
  double s = ThreadSeconds() - start;
  fmt::print("classify+plan: {:.3f} s, {:.2f} MB/s, {:.0f} statements/s ({} notes)\n", s,
             bytes / 1e6 / s, statements / s, notes);
  if (!keep.empty()) {
    fs::create_directories(keep);
    for (const auto& f : corpus) std::ofstream(fs::path(keep) / f.name) << f.text;
  }
  return 0;
}
