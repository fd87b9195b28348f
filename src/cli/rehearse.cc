// tide rehearse and tide demo: a whole expand/contract cycle under simulated old and new
// traffic, measured.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/strings.h"
#include "base/text.h"
#include "cli/context.h"
#include "rehearse/rehearsal.h"

namespace tide::cli {

namespace fs = std::filesystem;

namespace {

struct RehearseFlags {
  std::vector<std::string> workloads;  // name=file
  int64_t rows = 100'000;
  std::string seed_sql;
  int clients = 4;
  bool compare_plain = false;
  bool durable = false;
  std::string report;
  std::string app = "app";
  std::optional<std::string> from;
  std::string baseline = "3s", rollout = "4s", settle = "2s";
  std::string contract_under;
};

Result<std::chrono::milliseconds> Duration(const std::string& flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return Error::Usage(flag + ": " + d.error().message());
  return *d;
}

Status Run(Context& ctx, const RehearseFlags& flags, const std::string& default_report) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  rehearse::RehearsalOptions options;
  options.settings = *settings;
  // Only an explicit --url: a TIDE_URL or tide.toml url may well be production.
  options.url = ctx.flags.url.value_or("");
  for (const auto& w : flags.workloads) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == w.size()) {
      return Error::Usage(fmt::format("--workload {}: expected NAME=FILE, like v1=app-v1.sql", w));
    }
    options.releases.push_back({w.substr(0, eq), w.substr(eq + 1)});
  }
  options.rows = flags.rows;
  options.seed_sql = flags.seed_sql;
  options.clients = flags.clients;
  options.compare_plain = flags.compare_plain;
  options.durable = flags.durable;
  options.app = flags.app;
  options.from = flags.from;
  options.contract_under = flags.contract_under;
  TIDE_ASSIGN(options.baseline, Duration("--baseline", flags.baseline));
  TIDE_ASSIGN(options.rollout, Duration("--rollout", flags.rollout));
  TIDE_ASSIGN(options.settle, Duration("--settle", flags.settle));
  TIDE_ASSIGN(auto rehearsal, rehearse::Rehearse(options, ctx.reporter()));

  std::vector<rehearse::Report> reports;
  for (auto& run : rehearsal.runs) reports.push_back(run.report);
  std::string title = "tide rehearsal: " + rehearsal.cycle;
  std::string report_path = flags.report.empty() ? default_report : flags.report;
  if (!report_path.empty()) {
    std::ofstream out(report_path);
    out << (reports.size() == 1 ? rehearse::RenderHtml(reports[0])
                                : rehearse::RenderComparisonHtml(reports, title,
                                                                 reports[0].subtitle));
    if (!out) return Error::Io("cannot write " + report_path);
  }
  std::string text;
  for (const auto& r : reports) text += "\n" + rehearse::RenderText(r);
  if (reports.size() > 1) text += "\nSide by side:\n" + rehearse::RenderComparisonText(reports);
  if (!report_path.empty()) text += "\nReport: " + fs::absolute(report_path).string() + "\n";
  ctx.Print(text);
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& run : rehearsal.runs) {
    nlohmann::json j = rehearse::ToJson(run.report);
    j["mode"] = run.mode;
    runs.push_back(std::move(j));
  }
  ctx.PrintJson({{"cycle", rehearsal.cycle}, {"baseline", rehearsal.baseline},
                 {"runs", runs}, {"report", report_path}});
  // The verdict of tide's own run decides the exit code: 1 when users would have noticed. The
  // report is already out (one JSON document with --json), so no error document follows.
  auto verdict = rehearse::Judge(rehearsal.runs.front().report);
  if (!verdict.zero_downtime) {
    std::fprintf(
        stderr, "error: the rehearsal found downtime: %s\n",
        verdict.reasons.empty() ? "?" : EscapeForTerminal(verdict.reasons.front()).c_str());
    ctx.exit_code = 1;
  }
  return Ok();
}

void AddRehearseFlags(CLI::App* cmd, const std::shared_ptr<RehearseFlags>& flags) {
  cmd->add_option("--rows", flags->rows, "synthetic rows per table (default 100000)");
  cmd->add_option("--seed-sql", flags->seed_sql, "load this SQL instead of synthetic rows")
      ->type_name("FILE");
  cmd->add_option("--clients", flags->clients, "clients per release (default 4)");
  cmd->add_flag("--compare-plain", flags->compare_plain,
                "run the same cycle again with each file in one transaction, side by side");
  cmd->add_flag("--durable", flags->durable, "a sandbox with fsync on (slower, closer to disk)");
  cmd->add_option("--report", flags->report, "write a self-contained HTML report here")
      ->type_name("FILE.html");
  cmd->add_option("--app", flags->app, "application name the releases connect as (app/1.0...)");
  cmd->add_option("--from", flags->from,
                  "build the schema up to this version before loading data (default: up to the "
                  "cycle's first expand)")
      ->type_name("V");
  cmd->add_option("--contract-under", flags->contract_under,
                  "run the contract while this release still runs, gate skipped: rehearse what "
                  "breaks when a contract comes too early")
      ->type_name("NAME");
  cmd->add_option("--baseline", flags->baseline, "old release alone before the expand (3s)");
  cmd->add_option("--rollout", flags->rollout, "each rolling deploy (4s)");
  cmd->add_option("--settle", flags->settle, "traffic after each migration phase (2s)");
}

}  // namespace

void AddRehearseCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "rehearse", "a whole cycle on a scratch database under simulated old/new traffic: report");
  auto flags = std::make_shared<RehearseFlags>();
  cmd->add_option("--workload", flags->workloads,
                  "a release's requests in pgbench script syntax, oldest first (repeat: v1=, "
                  "v2=, v3=)")
      ->type_name("NAME=FILE")
      ->required();
  AddRehearseFlags(cmd, flags);
  cmd->footer(
      "\nOn a throwaway PostgreSQL (or --url, a server where tide may create databases): build "
      "the schema,\nload data, then play the rolling deployment: v1 alone, tide expand, v2's "
      "share rising to all,\n(v3 likewise), the gate, tide contract under the last release. "
      "Prints failed requests and\nlatency per phase and release; exit 1 when users would have "
      "noticed (a failed request, or\na wait beyond the lock timeout).\n"
      "\nWith a declarative (.yaml) migration in the cycle no dual-write release is needed: "
      "the releases\nafter the first connect with its views schema's search_path (what tide "
      "search-path prints).\n"
      "\nExamples:\n"
      "  tide rehearse --locations examples/customers/migrations \\\n"
      "    --workload v1=examples/customers/workload/app-v1.sql \\\n"
      "    --workload v2=examples/customers/workload/app-v2.sql \\\n"
      "    --workload v3=examples/customers/workload/app-v3.sql \\\n"
      "    --rows 500000 --compare-plain --report rehearsal.html\n"
      "  tide rehearse --locations examples/customers-declarative/migrations \\\n"
      "    --workload v1=examples/customers-declarative/workload/app-v1.sql \\\n"
      "    --workload v3=examples/customers-declarative/workload/app-v3.sql");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Run(ctx, *flags, ""); }; });
}

void AddDemoCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "demo", "the seed's customers scenario, whole cycle, on a sandbox, under traffic");
  auto flags = std::make_shared<RehearseFlags>();
  flags->rows = 500'000;
  flags->compare_plain = true;
  flags->app = "customer-api";
  auto examples = std::make_shared<std::string>();
  cmd->add_option("--examples", *examples, "folder of the customers example")->type_name("DIR");
  AddRehearseFlags(cmd, flags);
  cmd->footer(
      "\nThe seed's own files (examples/customers), rehearsed on a throwaway PostgreSQL with "
      "500,000 rows:\ntide, then the same files run plainly, side by side; about a minute. "
      "Writes tide-demo.html.\n\nExample:\n  tide demo");
  cmd->callback([&ctx, flags, examples] {
    ctx.action = [&ctx, flags, examples]() -> Status {
      fs::path dir = *examples;
      if (dir.empty()) {
        std::error_code ec;
        fs::path exe = fs::read_symlink("/proc/self/exe", ec);
        for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path();
             p = p.parent_path()) {
          if (fs::exists(p / "examples/customers/migrations")) {
            dir = p / "examples/customers";
            break;
          }
          if (fs::exists(p / "share/tide/examples/customers/migrations")) {
            dir = p / "share/tide/examples/customers";
            break;
          }
        }
      }
      if (dir.empty() || !fs::exists(dir / "migrations")) {
        return Error::Input("cannot find the customers example")
            .WithHint("run from the tide source folder, or pass --examples DIR");
      }
      ctx.flags.locations = {(dir / "migrations").string()};
      flags->workloads = {"v1=" + (dir / "workload/app-v1.sql").string(),
                          "v2=" + (dir / "workload/app-v2.sql").string(),
                          "v3=" + (dir / "workload/app-v3.sql").string()};
      return Run(ctx, *flags, "tide-demo.html");
    };
  });
}

}  // namespace tide::cli
