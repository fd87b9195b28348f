// Lint throughput on a generated corpus: what a few years of one service's migrations look like
// (new tables and their indexes, added columns, backfills, constraints, functions, comments,
// grants, seed rows, some contract files), deterministic so runs compare. Prints MB/s of SQL
// through the whole of `tide lint` on one thread (parse, classify, offline plan, rules, text
// report) and, when `squawk` is on PATH (npm install -g squawk-cli), squawk's time on the very
// same files.
//
//   build/lint_bench [--files N] [--repeat N] [--keep DIR]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/strings.h"
#include "base/subprocess.h"
#include "lint/report.h"
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
    if (contract) {
      Line(f, "-- tide:phase contract");
      Contract(f, version);
    } else {
      Expand(f, version);
    }
    return f;
  }

 private:
  // A new table with its index, trigger and view; columns, a backfill, an index and
  // constraints on the table of three versions ago.
  void Expand(CorpusFile& f, int version) {
    std::string t = Table(version);
    Stmt(f,
         fmt::format("CREATE TABLE {} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                     "    account_id bigint NOT NULL REFERENCES accounts (id),\n"
                     "    name text NOT NULL,\n    status varchar(32) NOT NULL DEFAULT 'new',\n"
                     "    amount numeric(12,2),\n    payload jsonb,\n"
                     "    created_at timestamptz NOT NULL DEFAULT now(),\n"
                     "    updated_at timestamptz\n)",
                     t));
    Stmt(f, fmt::format("CREATE INDEX {0}_account_idx ON {0} (account_id, created_at DESC)", t));
    Stmt(f, fmt::format("COMMENT ON TABLE {} IS 'Rows of the {} feature, one per request.'", t, t));
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
    Stmt(f, fmt::format("ALTER TABLE {} ALTER COLUMN region_{} TYPE varchar(128)", old, version));
    Stmt(f, fmt::format("CREATE INDEX {0}_region_{1}_idx ON {0} (region_{1})", old, version));
    Stmt(f, fmt::format("ALTER TABLE {0} ADD CONSTRAINT {0}_acct_{1}_fk FOREIGN KEY (account_id) "
                        "REFERENCES accounts (id)",
                        old, version));
    Stmt(f, fmt::format("UPDATE {} SET status = 'archived' WHERE id = {}", old, Pick(100000)));
    Stmt(f, fmt::format("SELECT setval('{}_id_seq', (SELECT max(id) FROM {}))", t, t));
  }

  // Tighten and drop what expand migrations added five versions ago.
  void Contract(CorpusFile& f, int version) {
    std::string old = Table(version - 5);
    Stmt(f, fmt::format("ALTER TABLE {} ALTER COLUMN note_{} SET NOT NULL", old, version - 5));
    Stmt(f, fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS region_{}", old, version - 4));
    Stmt(f, fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {}_note_{}_idx", old, version - 6));
    Stmt(f, fmt::format("DROP VIEW IF EXISTS {}_open", old));
    Stmt(f, fmt::format("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}_amount_{}_check", old, old,
                        version - 6));
    Stmt(f, fmt::format("DROP TABLE IF EXISTS {}_archive", old));
  }

  std::string Table(int n) {
    static const char* kNouns[] = {"orders",  "invoices", "payments", "shipments", "customers",
                                   "refunds", "coupons",  "carts",    "sessions",  "events"};
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

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double ChildrenCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The whole of `tide lint` on the corpus as one folder: every file in version order, then the
// text report. Returns the thread's CPU seconds; findings counted into *findings.
double LintOnce(const std::vector<CorpusFile>& corpus, size_t* findings) {
  double start = ThreadSeconds();
  tide::lint::LintRun run;
  tide::lint::Linter linter(run.options);
  for (const auto& f : corpus) run.files.push_back(linter.Lint({f.name, f.text}));
  std::string report = tide::lint::TextReport(run, false);
  double seconds = ThreadSeconds() - start;
  *findings = 0;
  for (const auto& file : run.files) *findings += file.findings.size();
  return seconds + 0 * static_cast<double>(report.size());
}

double ParseOnce(const std::vector<CorpusFile>& corpus) {
  double start = ThreadSeconds();
  for (const auto& f : corpus) (void)tide::sql::ParseScript(f.text, f.name);
  return ThreadSeconds() - start;
}

// `tide lint DIR` as a process: what CI pays, file reading and start-up included.
void TideProcess(const fs::path& tide, const fs::path& dir, double mb) {
  if (!fs::exists(tide)) return;
  double best_wall = 1e9, best_cpu = 1e9;
  for (int i = 0; i < 3; ++i) {
    double cpu0 = ChildrenCpuSeconds(), wall0 = WallSeconds();
    auto r = tide::RunCommand({tide.string(), "lint", "--format", "json", dir.string()});
    if (!r.ok()) return;
    best_wall = std::min(best_wall, WallSeconds() - wall0);
    best_cpu = std::min(best_cpu, ChildrenCpuSeconds() - cpu0);
  }
  fmt::print("tide lint as a process: {:.3f} s wall, {:.3f} s CPU -> {:.1f} MB/s of CPU\n",
             best_wall, best_cpu, mb / best_cpu);
}

void Squawk(const fs::path& dir, const std::vector<CorpusFile>& corpus, double mb) {
  auto version = tide::RunCommand({"squawk", "--version"});
  if (!version.ok() || !version->ok()) {
    fmt::print("squawk: not on PATH (npm install -g squawk-cli), not compared\n");
    return;
  }
  std::vector<std::string> argv = {"squawk", "--reporter", "json"};
  for (const auto& f : corpus) argv.push_back((dir / f.name).string());
  tide::RunOptions options;
  options.separate_stderr = true;
  double best_wall = 1e9, best_cpu = 1e9;
  size_t findings = 0;
  for (int i = 0; i < 3; ++i) {
    double cpu0 = ChildrenCpuSeconds(), wall0 = WallSeconds();
    auto r = tide::RunCommand(argv, options);
    double wall = WallSeconds() - wall0, cpu = ChildrenCpuSeconds() - cpu0;
    if (!r.ok()) return;
    best_wall = std::min(best_wall, wall);
    best_cpu = std::min(best_cpu, cpu);
    findings = 0;
    for (size_t at = r->output.find("\"rule_name\""); at != std::string::npos;
         at = r->output.find("\"rule_name\"", at + 1)) {
      ++findings;
    }
  }
  fmt::print(
      "{}: {:.3f} s wall, {:.3f} s CPU (a process, reading {} files) -> {:.1f} MB/s of "
      "CPU; {} findings\n",
      std::string(tide::Trim(version->output)), best_wall, best_cpu, corpus.size(), mb / best_cpu,
      findings);
}

}  // namespace

int main(int argc, char** argv) {
  int files = 600;
  int repeat = 5;
  std::string keep;
  CLI::App app("tide lint's throughput on a generated corpus (and squawk's, when installed)");
  app.add_option("--files", files, "migration files to generate")->check(CLI::Range(1, 100000));
  app.add_option("--repeat", repeat, "runs; the median is shown")->check(CLI::Range(1, 1000));
  app.add_option("--keep", keep, "write the corpus to this folder and keep it");
  CLI11_PARSE(app, argc, argv);
  Generator gen(42);
  std::vector<CorpusFile> corpus;
  size_t bytes = 0;
  int statements = 0;
  for (int v = 1; v <= files; ++v) {
    corpus.push_back(gen.File(v));
    bytes += corpus.back().text.size();
    statements += corpus.back().statements;
  }
  double mb = static_cast<double>(bytes) / 1e6;
  fmt::print("corpus: {} files, {} statements, {:.2f} MB of SQL\n", files,
             tide::FormatCount(statements), mb);
  double best = 1e9, parse = 1e9;
  size_t findings = 0;
  for (int i = 0; i < repeat; ++i) {
    best = std::min(best, LintOnce(corpus, &findings));
    parse = std::min(parse, ParseOnce(corpus));
  }
  fmt::print(
      "tide lint, one thread (best of {}): {:.3f} s CPU -> {:.1f} MB/s, {} statements/s; "
      "{} findings\n",
      repeat, best, mb / best, tide::FormatCount(static_cast<int64_t>(statements / best)),
      findings);
  fmt::print("  of which parsing (libpg_query and its JSON): {:.3f} s ({:.0f}%)\n", parse,
             100 * parse / best);
  fmt::print("  target >= 10 MB/s: {}\n", mb / best >= 10 ? "met" : "NOT met");
  fs::path dir = keep.empty()
                     ? fs::temp_directory_path() / fmt::format("tide-lint-bench-{}", getpid())
                     : fs::path(keep);
  fs::create_directories(dir);
  for (const auto& f : corpus) std::ofstream(dir / f.name) << f.text;
  TideProcess(fs::path(argv[0]).parent_path() / "tide", dir, mb);
  Squawk(dir, corpus, mb);
  if (keep.empty()) fs::remove_all(dir);
  return 0;
}
