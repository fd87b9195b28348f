#include "rehearse/rehearsal.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "base/strings.h"
#include "base/text.h"
#include "migrate/migrator.h"
#include "migrate/phase.h"
#include "ops/views.h"
#include "pg/cluster.h"
#include "pg/scratch_server.h"
#include "rehearse/seed_data.h"
#include "rehearse/traffic.h"
#include "tide_version.h"

namespace tide::rehearse {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kSeedDb = "tide_rehearsal_seed";

// Prefixes the migration's own lines so they read as part of the rehearsal.
class PrefixReporter : public Reporter {
 public:
  PrefixReporter(Reporter& inner, std::string prefix)
      : inner_(inner), prefix_(std::move(prefix)) {}
  void Info(std::string_view line) override { inner_.Info(prefix_ + std::string(line)); }
  void Warn(std::string_view line) override { inner_.Warn(prefix_ + std::string(line)); }
  void Update(const Progress& p) override { inner_.Update(p); }
  void Finish(const Progress& p) override { inner_.Finish(p); }

 private:
  Reporter& inner_;
  std::string prefix_;
};

struct Cycle {
  std::string baseline_target;  // "" when nothing comes before the cycle
  std::string label;
  // When the cycle holds declarative migrations, the search_path of the releases after the
  // first: the views schema of the newest one, then the base schema.
  std::string new_search_path;
};

// The cycle rehearsed: the contract migration furthest along, the expands since the contract
// before it (the very first migration, which builds the schema, stays in the baseline).
Result<Cycle> FindCycle(const source::Discovery& discovery, const std::optional<std::string>& from,
                        const std::string& schema) {
  std::vector<const source::MigrationFile*> versioned;
  for (const auto& f : discovery.migrations) {
    if (f.kind == source::MigrationKind::kVersioned) versioned.push_back(&f);
  }
  if (versioned.empty()) return Error::Input("no versioned migration to rehearse");
  Cycle cycle;
  size_t first = 0;
  if (from) {
    TIDE_ASSIGN(auto v, source::Version::Parse(*from));
    while (first < versioned.size() && !(v < *versioned[first]->version)) ++first;
    if (first == versioned.size()) {
      return Error::Usage(fmt::format("--from {}: no migration comes after it", *from));
    }
  } else {
    std::vector<sql::Phase> phases;
    for (const auto* f : versioned) {
      TIDE_ASSIGN(auto info, migrate::PhaseOf(*f));
      phases.push_back(info.phase);
    }
    size_t last_contract = versioned.size();
    for (size_t i = versioned.size(); i-- > 0;) {
      if (phases[i] == sql::Phase::kContract) {
        last_contract = i;
        break;
      }
    }
    if (last_contract == versioned.size()) {
      first = versioned.size() - 1;  // no contract: rehearse the last expand
    } else {
      // The expands since the previous contract; the very first migration, which builds the
      // schema, stays in the baseline so that there is data to migrate.
      first = last_contract;
      while (first > 0 && phases[first - 1] != sql::Phase::kContract) --first;
      if (first == 0 && last_contract > 0) first = 1;
    }
  }
  if (first > 0) cycle.baseline_target = versioned[first - 1]->VersionText();
  for (size_t i = first; i < versioned.size(); ++i) {
    if (versioned[i]->format == source::ScriptFormat::kYaml) {
      cycle.new_search_path =
          ops::NewReleaseSearchPath(schema.empty() ? "public" : schema, versioned[i]->VersionText());
    }
  }
  cycle.label = fmt::format("{} .. V{}", versioned[first]->Label(),
                            versioned.back()->VersionText());
  return cycle;
}

Status Sleep(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
  return Ok();
}

class Runner {
 public:
  Runner(const RehearsalOptions& options, Reporter& reporter, const std::string& db_url,
         std::string mode, std::string new_search_path)
      : options_(options),
        reporter_(reporter),
        db_url_(db_url),
        mode_(std::move(mode)),
        new_search_path_(std::move(new_search_path)) {}

  Result<RehearsalRun> Run(const std::vector<std::shared_ptr<const Workload>>& workloads);

 private:
  // Runs one phase of migrations in-process and records their steps on the traffic's clock.
  void MigratePhase(migrate::PhaseFilter phase, const gate::GateOptions& gate,
                    const std::string& skip_gate = "");
  std::string Version(size_t release) const { return fmt::format("{}.0", release + 1); }
  std::string AppName(size_t release) const {
    return fmt::format("{}/{}", options_.app, Version(release));
  }

  const RehearsalOptions& options_;
  Reporter& reporter_;
  std::string db_url_;
  std::string mode_;
  std::string new_search_path_;
  std::unique_ptr<Traffic> traffic_;
  Clock::time_point zero_;
  std::vector<MigrationStep> steps_;
};

// The step a failed phase leaves in the report: the plain run is no tide command (issue 15:
// the plain run of V1.2 showed as "tide contract"), and the file that failed is named when the
// error points at one.
std::string FailedStepName(const std::string& mode, const char* phase, const Error& e) {
  std::string file;
  if (e.location() && !e.location()->file.empty()) {
    auto parsed = source::ParseMigrationName(fs::path(e.location()->file).filename().string());
    if (parsed.ok() && parsed->has_value()) file = (*parsed)->Label();
  }
  if (mode == "plain") {
    return file.empty() ? fmt::format("plain run of the {} files", phase)
                        : fmt::format("plain run of {}", file);
  }
  return file.empty() ? fmt::format("tide {}", phase) : fmt::format("tide {}: {}", phase, file);
}

void Runner::MigratePhase(migrate::PhaseFilter phase, const gate::GateOptions& gate,
                          const std::string& skip_gate) {
  const char* name = migrate::PhaseFilterName(phase);
  config::Settings settings = options_.settings;
  settings.url = db_url_;
  PrefixReporter prefixed(reporter_, fmt::format("    [{} {}] ", mode_, name));
  auto started = Clock::now();
  auto fail = [&](const Error& e) {
    MigrationStep s;
    s.name = FailedStepName(mode_, name, e);
    s.phase = name;
    s.start_s = std::chrono::duration<double>(started - zero_).count();
    s.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
    s.ok = false;
    s.note = Abbreviate(e.message(), 300);
    steps_.push_back(s);
    reporter_.Warn(fmt::format("[{}] {} failed: {}", mode_, name, e.message()));
  };
  auto discovery = source::DiscoverMigrations(settings, prefixed);
  if (!discovery.ok()) return fail(discovery.error());
  auto session = store::Session::Open(settings);
  if (!session.ok()) return fail(session.error());
  migrate::MigrateOptions mo;
  mo.phase = phase;
  mo.command = name;
  mo.gate = gate;
  mo.skip_gate_reason = skip_gate;
  mo.mode = mode_ == "plain" ? migrate::ExecutionMode::kPlain : migrate::ExecutionMode::kSafe;
  auto result = migrate::Migrate(*session, settings, *discovery, mo, prefixed);
  if (!result.ok()) return fail(result.error());
  auto cursor = started;
  for (const auto& applied : result->applied) {
    if (applied.steps.empty()) {  // a plain run: the whole file is one step
      MigrationStep s;
      s.name = applied.label;
      s.phase = name;
      s.start_s = std::chrono::duration<double>(cursor - zero_).count();
      s.duration_s = applied.milliseconds / 1000.0;
      s.note = "one transaction, as written";
      cursor += std::chrono::milliseconds(applied.milliseconds);
      steps_.push_back(s);
      continue;
    }
    for (const auto& st : applied.steps) {
      MigrationStep s;
      s.name = fmt::format("V{} #{}: {}", applied.version, st.index, Abbreviate(st.sql, 60));
      s.phase = name;
      s.start_s = std::chrono::duration<double>(st.started - zero_).count();
      s.duration_s = st.milliseconds / 1000.0;
      s.lock_wait_s = st.waited_ms / 1000.0;
      s.attempts = std::max(1, st.attempts);
      s.lock = st.lock;
      s.ok = st.ok;
      if (st.rows >= 0) {
        s.note = fmt::format("{} rows, {} rows/s", FormatCount(st.rows),
                             FormatCount(static_cast<int64_t>(st.rows_per_second)));
      }
      steps_.push_back(s);
    }
  }
}

Result<RehearsalRun> Runner::Run(const std::vector<std::shared_ptr<const Workload>>& workloads) {
  TrafficOptions to;
  to.url = db_url_;
  traffic_ = std::make_unique<Traffic>(to);
  for (size_t i = 0; i < workloads.size(); ++i) {
    TIDE_TRY(traffic_->AddRelease({options_.releases[i].name, AppName(i), workloads[i],
                                   options_.clients, 0, i == 0 ? 1.0 : 0.0,
                                   i == 0 ? "" : new_search_path_}));
  }
  TIDE_TRY(traffic_->Start());
  zero_ = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(traffic_->Elapsed()));
  reporter_.Info(fmt::format("  [{}] baseline: {} only", mode_, options_.releases[0].name));
  TIDE_TRY(Sleep(options_.baseline));

  traffic_->MarkPhase("expand");
  reporter_.Info(fmt::format("  [{}] expand, while {} runs", mode_, options_.releases[0].name));
  MigratePhase(migrate::PhaseFilter::kExpand, {});
  TIDE_TRY(Sleep(options_.settle));

  // The rollout goes up to the release the contract runs under (the last, normally).
  size_t under = workloads.size() - 1;
  for (size_t i = 0; i < options_.releases.size(); ++i) {
    if (options_.releases[i].name == options_.contract_under) under = i;
  }
  for (size_t i = 1; i <= under; ++i) {
    const std::string& from = options_.releases[i - 1].name;
    const std::string& to_name = options_.releases[i].name;
    traffic_->MarkPhase("deploy " + to_name);
    reporter_.Info(fmt::format("  [{}] rolling deploy {} -> {}", mode_, from, to_name));
    for (double share : {0.25, 0.5, 0.75, 1.0}) {
      TIDE_TRY(traffic_->SetWeights({{from, 1 - share}, {to_name, share}}));
      TIDE_TRY(Sleep(options_.rollout / 4));
    }
    TIDE_TRY(traffic_->StopRelease(from));
  }

  gate::GateOptions gate;
  gate.app = options_.app;
  gate.version = Version(under);
  traffic_->MarkPhase("contract");
  bool early = under + 1 < workloads.size();
  reporter_.Info(fmt::format("  [{}] contract, {}", mode_,
                             early ? fmt::format("gate skipped: {} still runs",
                                                 options_.releases[under].name)
                                   : fmt::format("gate: every instance on {} ({})",
                                                 options_.releases[under].name, AppName(under))));
  MigratePhase(migrate::PhaseFilter::kContract, gate,
               early ? "rehearsal: contract under " + options_.releases[under].name : "");
  TIDE_TRY(Sleep(options_.settle));
  traffic_->Stop();

  RehearsalRun run;
  run.mode = mode_;
  run.report.traffic = traffic_->Results();
  run.report.steps = steps_;
  run.report.latency_budget_ms = static_cast<double>(options_.settings.lock_timeout.count());
  run.report.generator = std::string("tide ") + TIDE_VERSION;
  run.report.title = mode_ == "tide" ? "tide" : "plain run (each file in one transaction)";
  return run;
}

using Server = pg::ScratchServer;

Status PrepareSeed(const Server& server, const RehearsalOptions& options, const Cycle& cycle,
                   Reporter& reporter) {
  TIDE_ASSIGN(auto admin, pg::Connection::Open(server.url(), "tide-rehearse"));
  TIDE_TRY(admin.Run(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", kSeedDb)));
  TIDE_TRY(admin.Run(fmt::format("CREATE DATABASE {}", kSeedDb)));
  TIDE_ASSIGN(std::string seed_url, server.Database(kSeedDb));
  config::Settings settings = options.settings;
  settings.url = seed_url;
  if (!cycle.baseline_target.empty()) {
    reporter.Info(fmt::format("Building the schema up to V{}", cycle.baseline_target));
    TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(settings, reporter));
    TIDE_ASSIGN(auto session, store::Session::Open(settings));
    migrate::MigrateOptions mo;
    mo.target = cycle.baseline_target;
    PrefixReporter quiet(reporter, "    ");
    TIDE_TRY(migrate::Migrate(session, settings, discovery, mo, quiet));
  }
  TIDE_ASSIGN(auto conn, pg::Connection::Open(seed_url, "tide-rehearse"));
  if (!options.seed_sql.empty()) {
    reporter.Info("Loading " + options.seed_sql.string());
    std::ifstream in(options.seed_sql);
    if (!in) return Error::Input("cannot read " + options.seed_sql.string());
    std::stringstream ss;
    ss << in.rdbuf();
    TIDE_TRY(conn.Run(ss.str()));
  } else {
    TIDE_ASSIGN(auto schema, conn.QueryValue("SELECT current_schema()"));
    TIDE_TRY(LoadSyntheticRows(conn, schema.value_or("public"), options.rows, reporter));
  }
  TIDE_TRY(conn.Run("VACUUM ANALYZE"));
  TIDE_TRY(conn.Run("CHECKPOINT"));
  return Ok();
}

}  // namespace

Result<Rehearsal> Rehearse(const RehearsalOptions& options, Reporter& reporter) {
  if (!options.contract_under.empty()) {
    bool known = false;
    for (const auto& r : options.releases) known = known || r.name == options.contract_under;
    if (!known) {
      return Error::Usage(fmt::format("--contract-under {}: no such release", options.contract_under));
    }
  }
  if (options.releases.size() < 2) {
    return Error::Usage("a rehearsal needs the old and the new release's workloads")
        .WithHint("--workload v1=old.sql --workload v2=new.sql [--workload v3=next.sql]");
  }
  std::map<std::string, std::string> vars = {{"rows", std::to_string(options.rows)}};
  std::vector<std::shared_ptr<const Workload>> workloads;
  for (const auto& r : options.releases) {
    TIDE_ASSIGN(auto w, Workload::Load(r.file, vars));
    workloads.push_back(std::move(w));
  }
  TIDE_ASSIGN(auto discovery, source::DiscoverMigrations(options.settings, reporter));
  TIDE_ASSIGN(Cycle cycle, FindCycle(discovery, options.from, options.settings.schema));
  Rehearsal out;
  out.cycle = cycle.label;
  out.baseline = cycle.baseline_target.empty() ? "nothing" : "V" + cycle.baseline_target;
  reporter.Info(fmt::format("Rehearsing {} (baseline: {})", out.cycle, out.baseline));
  if (options.url.empty()) reporter.Info("Starting a throwaway PostgreSQL ...");
  TIDE_ASSIGN(auto server, pg::ScratchServer::Open(options.url, options.durable,
                                                       {"max_connections = 300"}));
  TIDE_TRY(PrepareSeed(*server, options, cycle, reporter));

  std::vector<std::string> modes = {"tide"};
  if (options.compare_plain) modes.push_back("plain");
  TIDE_ASSIGN(auto admin, pg::Connection::Open(server->url(), "tide-rehearse"));
  for (const auto& mode : modes) {
    std::string db = fmt::format("tide_rehearsal_{}", mode);
    TIDE_TRY(admin.Run(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", db)));
    TIDE_TRY(admin.Run(fmt::format("CREATE DATABASE {} TEMPLATE {}", db, kSeedDb)));
    TIDE_ASSIGN(std::string url, server->Database(db));
    reporter.Info(fmt::format("Run: {}", mode == "tide" ? "tide" : "plain (as Flyway runs it)"));
    Runner runner(options, reporter, url, mode, cycle.new_search_path);
    TIDE_ASSIGN(auto run, runner.Run(workloads));
    std::string subtitle = fmt::format(
        "{} on {} rows; {} clients per release ({}); lock timeout {}", out.cycle,
        options.seed_sql.empty() ? FormatCount(options.rows) : "seeded",
        options.clients, Join([&] {
          std::vector<std::string> names;
          for (const auto& r : options.releases) names.push_back(r.name);
          return names;
        }(), ", "),
        FormatDuration(options.settings.lock_timeout));
    run.report.subtitle = subtitle;
    out.runs.push_back(std::move(run));
    (void)admin.Run(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", db));
  }
  (void)admin.Run(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", kSeedDb));
  return out;
}

}  // namespace tide::rehearse
