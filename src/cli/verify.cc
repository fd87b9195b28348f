// tide verify: the replica gate alone.
#include <fmt/format.h>

#include "cli/context.h"
#include "gate/gate.h"
#include "store/session.h"

namespace tide::cli {

namespace {

struct VerifyFlags {
  std::optional<std::string> app, version, check_command;
  std::vector<std::string> standbys, pooler_admins;
  std::string skip_standbys, skip_pooler_clients;
};

Status RunVerify(Context& ctx, const VerifyFlags& flags) {
  TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
  gate::GateOptions g;
  g.app = flags.app.value_or(settings->gate.app);
  g.version = flags.version.value_or(settings->gate.version);
  g.check_command = flags.check_command.value_or(settings->gate.check_command);
  g.standby_urls = flags.standbys.empty() ? settings->gate.standby_urls : flags.standbys;
  g.skip_standbys_reason = flags.skip_standbys;
  g.pooler_admin_urls =
      flags.pooler_admins.empty() ? settings->gate.pooler_admin_urls : flags.pooler_admins;
  g.skip_pooler_clients_reason = flags.skip_pooler_clients;
  g.behind_pooler = ViaDirectUrl(*settings);
  if (!g.configured()) {
    return Error::Usage("nothing to verify: pass --app NAME --version V, or --check-command CMD")
        .WithHint("tide verify --app customer-api --version 2.0");
  }
  TIDE_ASSIGN(auto session, store::Session::Open(*settings));
  TIDE_ASSIGN(auto result, gate::Check(session.conn(), g));
  nlohmann::json sessions = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : result.sessions) {
    sessions.push_back({{"server", s.server}, {"pid", s.pid},
                        {"application_name", s.application_name}, {"version", s.version},
                        {"host", s.host}, {"backend_start", s.backend_start}, {"old", s.old}});
    rows.push_back({s.server, s.pid ? std::to_string(s.pid) : "-", s.application_name, s.host,
                    s.backend_start, s.old ? "OLD" : "ok"});
  }
  nlohmann::json unchecked = nlohmann::json::array();
  for (const auto& d : result.unchecked) {
    unchecked.push_back({{"kind", d.logical ? "logical subscriber" : "standby"},
                         {"name", d.name},
                         {"client", d.client},
                         {"state", d.state},
                         {"slot", d.slot},
                         {"upstream", d.upstream}});
  }
  ctx.PrintJson({{"passed", result.passed},
                 {"summary", result.summary},
                 {"sessions", sessions},
                 {"check_exit", result.check_exit},
                 {"unchecked_replicas", unchecked},
                 {"unchecked_count", result.unchecked_count},
                 {"unchecked_waived", result.standbys_waived},
                 {"pooler_clients_unseen", result.pooler_unseen},
                 {"pooler_clients_waived", result.pooler_waived}});
  std::string text = fmt::format("{}: {}\n", result.passed ? "Gate passes" : "Gate refuses",
                                 result.summary);
  if (!rows.empty()) {
    text += FormatTable({"server", "pid", "application", "host", "connected since", ""}, rows);
  }
  ctx.Print(text);
  if (!result.passed) {
    return Error::Refused(result.Headline() + result.Describe())
        .WithHint(result.Hint() + " before the contract");
  }
  return Ok();
}

}  // namespace

void AddVerifyCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "verify", "the gate alone: is any instance of NAME older than V still connected?");
  auto flags = std::make_shared<VerifyFlags>();
  cmd->add_option("--app", flags->app, "application name (application_name NAME/VERSION)")
      ->type_name("NAME");
  cmd->add_option("--version", flags->version, "the release every instance must run")
      ->type_name("V");
  cmd->add_option("--standby", flags->standbys, "also check this standby (repeatable)")
      ->type_name("URL");
  cmd->add_option("--check-command", flags->check_command,
                  "a command that exits 0 when every replica runs the new release")
      ->type_name("CMD");
  cmd->add_option("--pooler-admin-url", flags->pooler_admins,
                  "a PgBouncer admin console whose clients are also checked, idle ones too "
                  "(repeatable; [gate] pooler_admin_urls)")
      ->type_name("URL");
  cmd->add_option("--skip-pooler-clients", flags->skip_pooler_clients,
                  "with --direct-url and no admin console: pass without seeing clients idle in "
                  "the pooler (says why)")
      ->type_name("REASON");
  cmd->add_option("--skip-standbys", flags->skip_standbys,
                  "pass although standbys stream that the gate did not check (says why)")
      ->type_name("REASON");
  cmd->footer(
      "\nReads pg_stat_activity on the primary and each standby. Sessions name their release in "
      "application_name:\n  JDBC:    jdbc:postgresql://db/app?ApplicationName=customer-api/2.0\n"
      "  libpq:   postgresql://db/app?application_name=customer-api/2.0 (or PGAPPNAME)\n"
      "  HikariCP: dataSourceProperties.ApplicationName=customer-api/2.0\n"
      "Standbys and logical subscribers streaming from a checked server (pg_stat_replication) "
      "must each be\nchecked too (--standby), or waived with --skip-standbys \"reason\".\n"
      "With --direct-url (tide bypasses a pooler), clients idle in the pooler hold no server "
      "session: the\ngate reads the pooler's SHOW CLIENTS (--pooler-admin-url), or refuses "
      "unless --skip-pooler-clients \"reason\".\n"
      "Exit 0: no older instance; 3: some are still connected, or a streaming server or the "
      "pooler's\nclients were not checked (listed).\n"
      "\nExample:\n  tide verify --app customer-api --version 2.0 --standby "
      "postgresql://replica1/app");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunVerify(ctx, *flags); }; });
}

}  // namespace tide::cli
