// The seed's customers scenario, plain vs tide, on identical data, under application traffic.
// Prints, per migration: failed requests and the application's p50 / p99 / max latency while
// the migration ran; the backfill's rows/s next to one bulk UPDATE's rows/s measured in the same
// run; the same expand with a 10 s idle-in-transaction reader on the table; and the tide
// process's peak memory. Each case is repeated and the median shown; figures are printed, not
// asserted (the machine is shared).
//
// tide's backfill steps also report the batches the application queued behind (each then
// halved) and the longest such wait.
//
//   build/customers_bench [--rows 2000000] [--clients 4] [--repeat 3] [--durable]
//                         [--no-idle] [--target-batch DURATION] [--json FILE]
//
// --target-batch runs tide with that [backfill] target_batch (a tide.toml in the bench's
// folder) instead of its default, to compare batch durations.

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/json_text.h"
#include "base/strings.h"
#include "pg/cluster.h"
#include "pg/connection.h"
#include "rehearse/traffic.h"

namespace fs = std::filesystem;
using namespace tide;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  int64_t rows = 2'000'000;
  int clients = 4;
  int repeat = 3;
  bool durable = false;
  bool idle = true;
  std::string target_batch;  // empty: tide's default
  std::string json;
};

struct ChildRun {
  int exit_code = -1;
  double seconds = 0;
  int64_t max_rss_kb = 0;
  std::string out, err;
};

// Runs the tide binary, measuring wall time and peak memory (wait4's rusage).
ChildRun RunTideChild(const std::vector<std::string>& args, const fs::path& cwd) {
  ChildRun run;
  fs::path out = cwd / "child.out", err = cwd / "child.err";
  auto start = Clock::now();
  std::fflush(stdout);  // or the child's freopen would print our buffer a second time
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(126);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> argv = {const_cast<char*>(TIDE_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.max_rss_kb = usage.ru_maxrss;
  std::ifstream o(out), e(err);
  run.out.assign(std::istreambuf_iterator<char>(o), {});
  run.err.assign(std::istreambuf_iterator<char>(e), {});
  return run;
}

void Must(const Status& st, const char* what) {
  if (!st.ok()) {
    fmt::print(stderr, "{}: {}\n", what, st.error().ToString());
    std::exit(1);
  }
}

struct Window {
  int64_t requests = 0, failures = 0;
  double p50 = 0, p99 = 0, max = 0;
  std::string first_error;
};

// The application's figures in the phase named "migration".
Window Measure(const rehearse::TrafficResults& t) {
  Window w;
  for (const auto& r : t.releases) {
    for (size_t p = 0; p < t.phases.size() && p < r.phases.size(); ++p) {
      if (t.phases[p].name != "migration") continue;
      const auto& s = r.phases[p];
      w.requests += s.requests;
      w.failures += s.failures;
      w.p50 = std::max(w.p50, s.p50_ms);
      w.p99 = std::max(w.p99, s.p99_ms);
      w.max = std::max(w.max, s.max_ms);
    }
    if (w.first_error.empty() && !r.errors.empty()) {
      w.first_error = r.errors.front().sqlstate + " " + r.errors.front().message;
    }
  }
  return w;
}

struct Case {
  std::string name;
  std::vector<Window> windows;
  std::vector<double> seconds;
  std::vector<double> rows_per_s;
  std::vector<int64_t> rss_kb;
  std::vector<int> exit_codes;
  std::vector<double> shrunk, longest_wait_ms;  // tide's backfills: batches the app queued behind
  std::string last_error;  // of a failed migration
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

class Bench {
 public:
  explicit Bench(Options o) : o_(std::move(o)) {}
  void Run();

 private:
  std::string Db(const std::string& name) { return cluster_->SocketUrl(name); }
  void Admin(const std::string& sql) {
    auto c = pg::Connection::Open(cluster_->SocketUrl(), "bench");
    Must(c.ok() ? c->Run(sql) : Status(c.error()), sql.c_str());
  }
  void Copy(const std::string& from, const std::string& to) {
    Admin("DROP DATABASE IF EXISTS " + to + " WITH (FORCE)");
    Admin("CREATE DATABASE " + to + " TEMPLATE " + from);
  }
  void Seed();
  double BulkRate();
  double BackfillRate();  // tide's V1.1 backfill with no traffic, rows/s
  // Runs `tide migrate args` on db while release traffic runs; idle: a reader holds the table.
  void Migrate(Case& c, const std::string& db, const std::string& workload,
               std::vector<std::string> args, bool idle_reader);
  void Print(const Case& c);

  Options o_;
  fs::path dir_;
  std::optional<pg::LocalCluster> cluster_;
  fs::path migrations_;
  fs::path workloads_;
  nlohmann::json doc_ = nlohmann::json::object();
};

void Bench::Seed() {
  Admin("CREATE DATABASE seed");
  auto r = RunTideChild({"--url", Db("seed"), "--locations", migrations_.string(), "-q",
                         "migrate", "--target", "1"},
                        dir_);
  if (r.exit_code != 0) {
    fmt::print(stderr, "V1 failed: {}\n", r.err);
    std::exit(1);
  }
  auto c = pg::Connection::Open(Db("seed"), "bench");
  Must(c->Run("INSERT INTO customers (name, contact_info) SELECT 'Customer ' || g, 'c' || g || "
              "'@example.com' FROM generate_series(1, $1::bigint) g",
              {std::to_string(o_.rows)}),
       "seeding");
  Must(c->Run("VACUUM ANALYZE customers"), "vacuum");
  Must(c->Run("CHECKPOINT"), "checkpoint");
}

double Bench::BulkRate() {
  Copy("seed", "bulk");
  auto c = pg::Connection::Open(Db("bulk"), "bench");
  Must(c->Run("ALTER TABLE customers ADD COLUMN email VARCHAR(255)"), "add column");
  Must(c->Run("CHECKPOINT"), "checkpoint");
  auto t0 = Clock::now();
  Must(c->Run("UPDATE customers SET email = CONCAT(LOWER(REPLACE(name, ' ', '.')), "
              "'@legacy.example.com') WHERE email IS NULL"),
       "bulk update");
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  Admin("DROP DATABASE bulk WITH (FORCE)");
  return static_cast<double>(o_.rows) / s;
}

// Parses `tide --json migrate` output: the fastest backfill step's rows/s, 0 when none ran.
double BackfillRowsPerSecond(const std::string& out) {
  auto doc = nlohmann::json::parse(out, nullptr, false);
  double rate = 0;
  if (!doc.is_discarded() && doc.contains("applied")) {
    for (const auto& a : doc["applied"]) {
      for (const auto& s : a["steps"]) {
        if (s["kind"] == "backfill" && s["rows"].get<int64_t>() > 0) {
          rate = std::max(rate, s["rows_per_second"].get<double>());
        }
      }
    }
  }
  return rate;
}

// Over the backfill steps of `tide --json migrate` output: batches shrunk, longest wait.
std::pair<double, double> BackfillWaits(const std::string& out) {
  auto doc = nlohmann::json::parse(out, nullptr, false);
  double shrunk = 0, longest = 0;
  if (!doc.is_discarded() && doc.contains("applied")) {
    for (const auto& a : doc["applied"]) {
      for (const auto& s : a["steps"]) {
        if (s["kind"] != "backfill" || !s.contains("waits")) continue;
        shrunk += s["waits"]["batches_shrunk"].get<double>();
        longest = std::max(longest, s["waits"]["longest_wait_ms"].get<double>());
      }
    }
  }
  return {shrunk, longest};
}

double Bench::BackfillRate() {
  Copy("seed", "backfill");
  Admin("CHECKPOINT");
  ChildRun run = RunTideChild({"--url", Db("backfill"), "--locations", migrations_.string(),
                               "--json", "migrate", "--target", "1.1"},
                              dir_);
  Must(run.exit_code == 0 ? Ok() : Status(Error::Failed(run.err)), "tide backfill");
  Admin("DROP DATABASE backfill WITH (FORCE)");
  return BackfillRowsPerSecond(run.out);
}

void Bench::Migrate(Case& c, const std::string& db, const std::string& workload,
                    std::vector<std::string> args, bool idle_reader) {
  auto script = rehearse::Workload::Load(workloads_ / workload,
                                         {{"rows", std::to_string(o_.rows)}});
  Must(script.ok() ? Ok() : Status(script.error()), "workload");
  rehearse::TrafficOptions to;
  to.url = Db(db);
  rehearse::Traffic traffic(to);
  Must(traffic.AddRelease({workload, "customer-api/bench", *script, o_.clients, 0, 1, ""}), "traffic");
  std::optional<pg::Connection> reader;
  std::thread release;
  if (idle_reader) {
    auto r = pg::Connection::Open(Db(db), "report-job");
    Must(r.ok() ? r->Run("BEGIN; SELECT count(*) FROM (SELECT 1 FROM customers LIMIT 10) s")
                : Status(r.error()),
         "reader");
    reader = std::move(r).value();
  }
  Must(traffic.Start(), "start");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  if (reader) {
    // The reader has been idle in its transaction for a second; it ends 10 s after it began.
    release = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::seconds(9));
      (void)reader->Run("COMMIT");
    });
  }
  traffic.MarkPhase("migration");
  args.insert(args.begin(), {"--url", Db(db), "--locations", migrations_.string(), "--json"});
  ChildRun run = RunTideChild(args, dir_);
  traffic.MarkPhase("after");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  traffic.Stop();
  if (release.joinable()) release.join();
  c.windows.push_back(Measure(traffic.Results()));
  c.seconds.push_back(run.seconds);
  c.rss_kb.push_back(run.max_rss_kb);
  c.exit_codes.push_back(run.exit_code);
  if (run.exit_code != 0) {
    c.last_error = run.err.substr(run.err.rfind("error:") == std::string::npos
                                      ? 0
                                      : run.err.rfind("error:"));
  }
  c.rows_per_s.push_back(BackfillRowsPerSecond(run.out));
  auto [shrunk, longest] = BackfillWaits(run.out);
  c.shrunk.push_back(shrunk);
  c.longest_wait_ms.push_back(longest);
}

void Bench::Print(const Case& c) {
  std::vector<double> failures, p50, p99, max;
  for (const auto& w : c.windows) {
    failures.push_back(static_cast<double>(w.failures));
    p50.push_back(w.p50);
    p99.push_back(w.p99);
    max.push_back(w.max);
  }
  std::vector<double> rss;
  for (auto k : c.rss_kb) rss.push_back(static_cast<double>(k));
  int failed_runs = static_cast<int>(std::count_if(c.exit_codes.begin(), c.exit_codes.end(),
                                                   [](int e) { return e != 0; }));
  fmt::print("{:<38} {:>9.0f} {:>9.1f} {:>9.1f} {:>10.1f} {:>9.1f} {:>9} {:>8.1f} {}\n", c.name,
             Median(failures), Median(p50), Median(p99), Median(max), Median(c.seconds),
             Median(c.rows_per_s) > 0 ? FormatCount(static_cast<int64_t>(Median(c.rows_per_s)))
                                      : "-",
             Median(rss) / 1024.0,
             failed_runs ? fmt::format("(migration failed in {} of {} runs)", failed_runs,
                                       c.exit_codes.size())
                         : "");
  if (Median(c.shrunk) > 0 || Median(c.longest_wait_ms) > 0) {
    fmt::print("{:<38} batches the app queued behind {:.0f}, longest wait seen {:.0f} ms "
               "(medians)\n",
               "", Median(c.shrunk), Median(c.longest_wait_ms));
  }
  if (!c.last_error.empty()) {
    fmt::print("{:<38} migration: {}\n", "", c.last_error.substr(0, 300));
  }
  if (!c.windows.empty() && !c.windows.back().first_error.empty()) {
    fmt::print("{:<38} first app error: {}\n", "", c.windows.back().first_error.substr(0, 120));
  }
  doc_[c.name] = {{"failed_requests_median", Median(failures)}, {"p50_ms_median", Median(p50)},
                  {"p99_ms_median", Median(p99)},  {"max_ms_median", Median(max)},
                  {"max_ms_all", max},               {"seconds_median", Median(c.seconds)},
                  {"backfill_rows_per_s_median", Median(c.rows_per_s)},
                  {"tide_max_rss_kb_median", Median(rss)}, {"migration_exit_codes", c.exit_codes},
                  {"batches_shrunk_median", Median(c.shrunk)},
                  {"longest_wait_ms_median", Median(c.longest_wait_ms)}};
}

void Bench::Run() {
  char tmpl[] = "/tmp/tide-bench-XXXXXX";
  dir_ = mkdtemp(tmpl);
  fs::permissions(dir_, fs::perms::others_exec, fs::perm_options::add);
  migrations_ = fs::path(TIDE_SOURCE_DIR) / "examples/customers/migrations";
  workloads_ = fs::path(TIDE_SOURCE_DIR) / "examples/customers/workload";
  pg::ClusterOptions co;
  co.dir = dir_ / "cluster";
  co.durable = o_.durable;
  auto cluster = pg::LocalCluster::Create(co);
  Must(cluster.ok() ? Ok() : Status(cluster.error()), "cluster");
  cluster_ = std::move(cluster).value();
  if (!o_.target_batch.empty()) {
    std::ofstream(dir_ / "tide.toml")
        << "[backfill]\ntarget_batch = \"" << o_.target_batch << "\"\n";
  }
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  fmt::print("customers_bench: {} rows, {} app clients, {} repeats, {} cluster, host {} ({} "
             "cores), tide's target_batch {}\n",
             FormatCount(o_.rows), o_.clients, o_.repeat, o_.durable ? "durable" : "sandbox",
             host, std::thread::hardware_concurrency(),
             o_.target_batch.empty() ? "default" : o_.target_batch);
  Seed();
  std::vector<double> bulk;
  for (int i = 0; i < o_.repeat; ++i) bulk.push_back(BulkRate());
  fmt::print("one bulk UPDATE (no traffic): {} rows/s (median of {})\n",
             FormatCount(static_cast<int64_t>(Median(bulk))), bulk.size());
  doc_["bulk_update_rows_per_s_median"] = Median(bulk);
  std::vector<double> backfill;
  for (int i = 0; i < o_.repeat; ++i) backfill.push_back(BackfillRate());
  fmt::print("tide's batched backfill of V1.1 (no traffic): {} rows/s, {:.0f}% of the bulk "
             "UPDATE (medians of {})\n\n",
             FormatCount(static_cast<int64_t>(Median(backfill))),
             100 * Median(backfill) / Median(bulk), backfill.size());
  doc_["tide_backfill_rows_per_s_median"] = Median(backfill);
  fmt::print("{:<38} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>8}\n", "case (app traffic)",
             "failed", "p50 ms", "p99 ms", "max ms", "mig s", "rows/s", "tide MB");
  std::map<std::string, Case> cases;
  auto add = [&](const std::string& name) -> Case& {
    cases[name].name = name;
    return cases[name];
  };
  for (int i = 0; i < o_.repeat; ++i) {
    for (std::string mode : {"plain", "tide"}) {
      std::vector<std::string> plain = mode == "plain" ? std::vector<std::string>{"--plain"}
                                                       : std::vector<std::string>{};
      std::string db = "run_" + mode;
      Copy("seed", db);
      auto expand = plain;
      expand.insert(expand.begin(), {"migrate", "--target", "1.1"});
      Migrate(add(fmt::format("V1.1 expand, v1 traffic, {}", mode)), db, "app-v1.sql", expand,
              false);
      // The old release keeps inserting rows without email after the backfill.
      {
        auto v1 = pg::Connection::Open(Db(db), "bench");
        Must(v1->Run("INSERT INTO customers (name, contact_info) SELECT 'late ' || g, 'x' FROM "
                     "generate_series(1, 1000) g"),
             "late rows");
      }
      Copy(db, db + "_v3");
      auto contract = plain;
      contract.insert(contract.begin(), {"migrate"});
      Migrate(add(fmt::format("V1.2 contract, v2 traffic, {}", mode)), db, "app-v2.sql",
              contract, false);
      Migrate(add(fmt::format("V1.2 contract, v3 traffic, {}", mode)), db + "_v3", "app-v3.sql",
              contract, false);
      if (o_.idle) {
        Copy("seed", db + "_idle");
        Migrate(add(fmt::format("V1.1 + 10 s idle reader, {}", mode)), db + "_idle",
                "app-v1.sql", expand, true);
      }
    }
  }
  for (const auto& [name, c] : cases) Print(c);
  (void)cluster_->Destroy();
  fs::remove_all(dir_);
  if (!o_.json.empty()) {
    doc_["rows"] = o_.rows;
    doc_["clients"] = o_.clients;
    doc_["repeat"] = o_.repeat;
    std::ofstream(o_.json) << tide::DumpJson(doc_, 2) << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--rows") {
      o.rows = std::stoll(next());
    } else if (a == "--clients") {
      o.clients = std::stoi(next());
    } else if (a == "--repeat") {
      o.repeat = std::stoi(next());
    } else if (a == "--durable") {
      o.durable = true;
    } else if (a == "--no-idle") {
      o.idle = false;
    } else if (a == "--target-batch") {
      o.target_batch = next();
    } else if (a == "--json") {
      o.json = next();
    } else {
      fmt::print(stderr,
                 "usage: customers_bench [--rows N] [--clients K] [--repeat R] [--durable] "
                 "[--no-idle] [--target-batch DURATION] [--json FILE]\n");
      return 2;
    }
  }
  Bench(o).Run();
  return 0;
}
