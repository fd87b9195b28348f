// tide --targets FILE [--parallel N] migrate|expand|contract|info|verify: one command on many
// databases. Each target runs as its own tide process (the same binary, the same arguments, with
// --url TARGET --json), so a target fails alone and nothing is shared but the files; at most N
// run at once. A summary table (or one JSON document) tells each target's outcome; the exit code
// is 0 only when every target succeeded. Targets that a change-making command finished with the
// same migration files are remembered in FILE.done and skipped by a rerun.
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
#include "pg/connection.h"
#include "store/session.h"

namespace tide::cli {

namespace {

namespace fs = std::filesystem;

struct Target {
  std::string url;
  int line = 0;
};

struct Outcome {
  std::string outcome = "not run";  // ok, failed, refused, bad input, skipped (done before)
  int exit_code = -1;
  double seconds = 0;
  nlohmann::json result;  // the target's own --json document
  std::string message;    // the first line of its error
};

Result<std::vector<Target>> ReadTargets(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return Error::Usage(fmt::format("--targets {}: cannot read the file", file.string()));
  std::vector<Target> out;
  std::set<std::string> seen;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string url(Trim(line));
    if (url.empty() || url[0] == '#') continue;
    Status valid = pg::ValidateConninfo(url);
    if (!valid.ok()) {
      return Error::Input(fmt::format("not a database URL: {}", valid.error().message()))
          .At({file.string(), n, 1});
    }
    if (!seen.insert(url).second) {
      return Error::Input("the same target twice: " + pg::RedactConninfo(url))
          .At({file.string(), n, 1});
    }
    out.push_back({url, n});
  }
  if (out.empty()) return Error::Usage(fmt::format("--targets {}: no URL in it", file.string()));
  return out;
}

// 64-bit FNV-1a: the done file names targets by a hash, so no password lands in it.
std::string Fingerprint(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

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

Status RunFleet(Context& ctx, const std::vector<std::string>& args, const std::string& command) {
  static const std::set<std::string> kAllowed = {"migrate", "expand", "contract", "info", "verify"};
  if (!kAllowed.count(command)) {
    return Error::Usage(
        fmt::format("--targets works with migrate, expand, contract, info and "
                    "verify, not {}",
                    command));
  }
  if (ctx.flags.url || ctx.direct_url) {
    return Error::Usage("--targets names the databases: drop --url and --direct-url");
  }
  TIDE_ASSIGN(auto targets, ReadTargets(ctx.targets_file));
  bool changes = command != "info" && command != "verify";
  std::vector<std::string> base = args;
  base[0] = fs::read_symlink("/proc/self/exe").string();
  fs::path done_file = ctx.targets_file + ".done";
  std::string key;
  std::set<std::string> done;
  if (changes) {
    TIDE_ASSIGN(key, RunKey(ctx, args));
    done = ReadDone(done_file, key);
  }
  int parallel = ctx.parallel > 0
                     ? ctx.parallel
                     : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<Outcome> outcomes(targets.size());
  std::atomic<size_t> next{0};
  std::atomic<int> finished{0};
  std::mutex mu;
  auto started = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (size_t i = next++; i < targets.size(); i = next++) {
      std::string name = pg::RedactConninfo(targets[i].url);
      if (done.count(Fingerprint(targets[i].url))) {
        outcomes[i].outcome = "skipped";
        outcomes[i].exit_code = 0;
      } else {
        outcomes[i] = RunOne(base, targets[i]);
      }
      std::lock_guard lock(mu);
      int n = ++finished;
      ctx.reporter().Info(
          fmt::format("[{}/{}] {}: {}{}", n, targets.size(), name, outcomes[i].outcome,
                      outcomes[i].message.empty() ? "" : ": " + outcomes[i].message));
      if (changes && outcomes[i].outcome == "ok") {
        std::ofstream out(done_file, std::ios::app);
        out << key << '\t' << Fingerprint(targets[i].url) << '\t' << name << '\n';
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::min<int>(parallel, static_cast<int>(targets.size())); ++t) {
    pool.emplace_back(worker);
  }
  for (auto& t : pool) t.join();
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::vector<std::vector<std::string>> rows;
  nlohmann::json list = nlohmann::json::array();
  std::map<std::string, int> counts;
  std::set<int> codes;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Outcome& o = outcomes[i];
    std::string name = pg::RedactConninfo(targets[i].url);
    counts[o.outcome]++;
    if (o.exit_code != 0) codes.insert(o.exit_code);
    rows.push_back({name, o.outcome, Applied(o), fmt::format("{:.1f}", o.seconds), o.message});
    list.push_back({{"target", name},
                    {"line", targets[i].line},
                    {"outcome", o.outcome},
                    {"exit_code", o.exit_code},
                    {"seconds", o.seconds},
                    {"result", o.result},
                    {"error", o.message}});
  }
  std::vector<std::string> parts;
  for (const auto& [what, n] : counts) parts.push_back(fmt::format("{} {}", n, what));
  std::string summary = fmt::format("{} targets: {} ({:.1f} s, {} at a time)", targets.size(),
                                    Join(parts, ", "), total, parallel);
  ctx.PrintJson({{"ok", codes.empty()},
                 {"command", command},
                 {"summary", summary},
                 {"seconds", total},
                 {"targets", list}});
  ctx.Print(FormatTable({"target", "outcome", "applied", "seconds", "error"}, rows) + summary);
  if (codes.empty()) return Ok();
  // One kind of failure: its own exit code; several: 1.
  ctx.exit_code = codes.size() == 1 ? *codes.begin() : 1;
  if (ctx.exit_code < 0) ctx.exit_code = 1;
  return Ok();
}

}  // namespace tide::cli
