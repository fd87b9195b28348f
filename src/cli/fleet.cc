// tide --targets FILE [--parallel N] migrate|expand|contract|info|verify: one command on many
// databases (or on many schemas: --schemas; the targets from a catalog query: --targets-query;
// cli/fleet_targets.cc). Each unit runs as its own tide process (the same binary, the same
// arguments, with --url TARGET [--schema S] --json), so a unit fails alone and nothing is shared
// but the files; at most N run at once. --canary N runs the first N due units first and stops
// there if any of them fails; --fail-fast starts no unit once one failed. A summary table (or one JSON document) tells each unit's outcome;
// the exit code is 0 only when every unit succeeded. Units that a change-making command finished
// with the same migration files are remembered in the done file and skipped by a rerun.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/strings.h"
#include "base/subprocess.h"
#include "cli/context.h"
#include "cli/fleet.h"
#include "pg/connection.h"
#include "store/session.h"

namespace tide::cli {

namespace {

namespace fs = std::filesystem;

using fleet::Fingerprint;
using fleet::Target;

struct Outcome {
  std::string outcome = "not run";  // ok, failed, refused, bad input, skipped (done before)
  int exit_code = -1;
  double seconds = 0;
  nlohmann::json result;  // the target's own --json document
  std::string message;    // the first line of its error
};

// What a finished target is remembered under: the command line and every migration's checksum,
// so new or changed files make every target due again.
Result<std::string> RunKey(Context& ctx, const std::vector<std::string>& args) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(*settings, ctx.reporter()));
  std::string text = Join(std::vector<std::string>(args.begin() + 1, args.end()), "\x1f");
  for (const auto& m : discovery.migrations) {
    text += fmt::format("\x1e{}:{}", m.script, m.checksum);
  }
  return Fingerprint(text);
}

std::set<std::string> ReadDone(const fs::path& file, const std::string& key) {
  std::set<std::string> done;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto parts = Split(line, '\t');
    if (parts.size() >= 2 && parts[0] == key) done.insert(parts[1]);
  }
  return done;
}

Outcome RunOne(const std::vector<std::string>& base, const Target& target) {
  std::vector<std::string> argv = {base[0], "--url", target.url, "--json"};
  if (!target.schema.empty()) argv.insert(argv.end(), {"--schema", target.schema});
  argv.insert(argv.end(), base.begin() + 1, base.end());
  RunOptions options;
  options.separate_stderr = true;
  auto started = std::chrono::steady_clock::now();
  auto run = RunCommand(argv, options);
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!run.ok()) {
    o.outcome = "failed";
    o.message = run.error().message();
    return o;
  }
  o.exit_code = run->exit_code;
  o.outcome = o.exit_code == 0   ? "ok"
              : o.exit_code == 3 ? "refused"
              : o.exit_code == 2 ? "bad input"
                                 : "failed";
  o.result = nlohmann::json::parse(run->output, nullptr, /*allow_exceptions=*/false);
  if (o.result.is_discarded()) o.result = nullptr;
  if (o.exit_code != 0) {
    std::string err = o.result.is_object() && o.result.contains("error")
                          ? o.result["error"].value("message", "")
                          : run->error_output;
    o.message = pg::ScrubSecrets(std::string(Trim(err.substr(0, err.find('\n')))));
  }
  return o;
}

std::string Applied(const Outcome& o) {
  if (!o.result.is_object() || !o.result.contains("applied")) return "";
  return std::to_string(o.result["applied"].size());
}

}  // namespace

namespace {

// What one run of the fleet shares between its worker threads.
struct FleetRun {
  FleetRun(Context& c, std::vector<std::string> args, const std::vector<Target>& t)
      : ctx(c), base(std::move(args)), targets(t), outcomes(t.size()) {}
  Context& ctx;
  std::vector<std::string> base;  // the command line for each unit (argv[0]: this binary)
  const std::vector<Target>& targets;
  std::vector<Outcome> outcomes;
  std::set<std::string> done;  // keys of units finished before, with this run key
  std::string key;             // empty: the command changes nothing, no done file
  fs::path done_file;
  int parallel = 1;
  int finished = 0;  // units reported so far
  int running = 0;   // units started and not finished
  bool fail_fast = false;           // --fail-fast: start no unit once one failed
  std::atomic<bool> failed{false};  // a unit failed
  std::mutex mu;

  Outcome Run(const Target& t) {
    Outcome o;
    if (!t.error.empty()) {
      o.outcome = "failed";
      o.message = t.error;
    } else if (t.no_schema) {
      o.outcome = "no schema";
      o.exit_code = 0;
      o.message = "none matches --schemas " + ctx.schemas;
    } else if (done.count(t.Key())) {
      o.outcome = "skipped";
      o.exit_code = 0;
    } else if (fail_fast && failed) {
      o.message = "stopped: another target failed (--fail-fast)";
    } else {
      o = RunOne(base, t);
    }
    if (o.exit_code > 0) failed = true;
    return o;
  }

  // A line as a unit starts, with how many run and how many finished: a long target shows.
  void Started(const Target& t, const std::string& phase) {
    std::lock_guard lock(mu);
    ++running;
    ctx.reporter().Info(fmt::format("      {}{}: started ({} running, {}/{} finished)", phase,
                                    t.Name(), running, finished, targets.size()));
  }

  // Runs the units at these indices, at most `parallel` at once; a line for each as it starts
  // and as it ends.
  void RunAll(const std::vector<size_t>& indices, const std::string& phase) {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t n = next++; n < indices.size(); n = next++) {
        size_t i = indices[n];
        bool due = Due(targets[i]) && !(fail_fast && failed);
        if (due) Started(targets[i], phase);
        Outcome o = Run(targets[i]);
        std::lock_guard lock(mu);
        if (due) --running;
        outcomes[i] = o;
        ctx.reporter().Info(fmt::format("[{}/{}] {}{}: {}{}", ++finished, targets.size(), phase,
                                        targets[i].Name(), o.outcome,
                                        o.message.empty() ? "" : ": " + o.message));
        if (!key.empty() && o.outcome == "ok") {
          std::ofstream out(done_file, std::ios::app);
          out << key << '\t' << targets[i].Key() << '\t' << targets[i].Name() << '\n';
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < std::min<int>(parallel, static_cast<int>(indices.size())); ++t) {
      pool.emplace_back(worker);
    }
    for (auto& t : pool) t.join();
  }

  bool Due(const Target& t) const {
    return t.error.empty() && !t.no_schema && !done.count(t.Key());
  }

  // --canary N: the first N units that are due (not done before) run first; the rest only when
  // every one of them succeeded. Returns whether the rest ran.
  bool RunWithCanary(int canary) {
    std::vector<size_t> first, rest;
    for (size_t i = 0; i < targets.size(); ++i) {
      (Due(targets[i]) && static_cast<int>(first.size()) < canary ? first : rest).push_back(i);
    }
    RunAll(first, "canary ");
    bool failed = std::any_of(first.begin(), first.end(),
                              [&](size_t i) { return outcomes[i].exit_code != 0; });
    if (failed) {
      for (size_t i : rest) {
        if (Due(targets[i])) {
          outcomes[i].message = "a canary failed";
        } else {
          outcomes[i] = Run(targets[i]);
        }
      }
      return false;
    }
    RunAll(rest, "");
    return true;
  }

  Status Report(const std::string& command, double total, bool stopped);
};

Status FleetRun::Report(const std::string& command, double total, bool stopped) {
  std::vector<std::vector<std::string>> rows;
  nlohmann::json list = nlohmann::json::array();
  std::map<std::string, int> counts;
  std::set<int> codes;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Outcome& o = outcomes[i];
    std::string name = pg::RedactConninfo(targets[i].url);
    counts[o.outcome]++;
    if (o.exit_code != 0) codes.insert(o.exit_code);
    rows.push_back({name, targets[i].schema, o.outcome, Applied(o),
                    fmt::format("{:.1f}", o.seconds), o.message});
    list.push_back({{"target", name},
                    {"schema", targets[i].schema},
                    {"line", targets[i].line},
                    {"outcome", o.outcome},
                    {"exit_code", o.exit_code},
                    {"seconds", o.seconds},
                    {"result", o.result},
                    {"error", o.message}});
  }
  std::vector<std::string> parts;
  for (const auto& [what, n] : counts) parts.push_back(fmt::format("{} {}", n, what));
  std::string summary = fmt::format("{} {}{}: {} ({:.1f} s, {} at a time){}", targets.size(),
                                    ctx.schemas.empty() ? "target" : "target schema",
                                    targets.size() == 1 ? "" : "s",
                                    Join(parts, ", "), total, parallel,
                                    stopped ? "; stopped after the canary failed" : "");
  ctx.PrintJson({{"ok", codes.empty()},
                 {"command", command},
                 {"summary", summary},
                 {"seconds", total},
                 {"canary_failed", stopped},
                 {"targets", list}});
  std::vector<std::string> header = {"target", "schema", "outcome", "applied", "seconds", "error"};
  if (ctx.schemas.empty()) {
    header.erase(header.begin() + 1);
    for (auto& row : rows) row.erase(row.begin() + 1);
  }
  ctx.Print(FormatTable(header, rows) + summary);
  if (codes.empty()) return Ok();
  // One kind of failure: its own exit code; several: 1.
  ctx.exit_code = codes.size() == 1 ? *codes.begin() : 1;
  if (ctx.exit_code < 0) ctx.exit_code = 1;
  return Ok();
}

}  // namespace

Status RunFleet(Context& ctx, const std::vector<std::string>& args, const std::string& command) {
  static const std::set<std::string> kAllowed = {"migrate", "expand", "contract", "info", "verify"};
  if (!kAllowed.count(command)) {
    return Error::Usage(fmt::format("--targets, --targets-query and --schemas work with migrate, "
                                    "expand, contract, info and verify, not {}",
                                    command));
  }
  bool from_list = !ctx.targets_file.empty() || !ctx.targets_query.empty();
  if (from_list && (ctx.flags.url || ctx.direct_url)) {
    return Error::Usage("--targets names the databases: drop --url and --direct-url");
  }
  if (!ctx.schemas.empty() && (ctx.flags.schema || ctx.direct_url)) {
    return Error::Usage("--schemas names the schemas: drop --schema and --direct-url");
  }
  TIDE_ASSIGN(auto targets, fleet::ResolveTargets(ctx));
  FleetRun run(ctx, args, targets);
  run.base[0] = fs::read_symlink("/proc/self/exe").string();
  run.done_file = !ctx.targets_file.empty() ? ctx.targets_file + ".done" : "tide-fleet.done";
  if (command != "info" && command != "verify") {
    TIDE_ASSIGN(run.key, RunKey(ctx, args));
    run.done = ReadDone(run.done_file, run.key);
  }
  run.fail_fast = ctx.fail_fast;
  run.parallel = ctx.parallel > 0
                     ? ctx.parallel
                     : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  auto started = std::chrono::steady_clock::now();
  bool stopped = false;
  if (ctx.canary > 0) {
    stopped = !run.RunWithCanary(ctx.canary);
  } else {
    std::vector<size_t> all(targets.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    run.RunAll(all, "");
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return run.Report(command, total, stopped);
}

}  // namespace tide::cli
