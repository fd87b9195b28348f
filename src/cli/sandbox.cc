// tide sandbox start|stop|status|url: a throwaway local PostgreSQL for trying tide.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "cli/context.h"
#include "pg/cluster.h"
#include "pg/connection.h"

namespace tide::cli {

namespace {

struct SandboxFlags {
  std::string dir;
  bool durable = false;
  bool keep = false;
};

std::string DefaultDir() {
  if (const char* env = std::getenv("TIDE_SANDBOX_DIR"); env && *env) return env;
  return fmt::format("/tmp/tide-sandbox-{}", getuid());
}

std::string DirOf(const SandboxFlags& f) { return f.dir.empty() ? DefaultDir() : f.dir; }

Result<std::string> ServerVersion(const pg::LocalCluster& cluster) {
  TIDE_ASSIGN(auto conn, pg::Connection::Open(cluster.SocketUrl()));
  TIDE_ASSIGN(auto v, conn.QueryValue("SHOW server_version"));
  return v.value_or("?");
}

Status Start(Context& ctx, const SandboxFlags& f) {
  std::string dir = DirOf(f);
  bool created = false;
  std::optional<pg::LocalCluster> got;
  if (pg::LocalCluster::Exists(dir)) {
    TIDE_ASSIGN(auto opened, pg::LocalCluster::Open(dir));
    TIDE_TRY(opened.Start());
    got = std::move(opened);
  } else {
    ctx.reporter().Info(fmt::format("creating a sandbox PostgreSQL in {} ...", dir));
    pg::ClusterOptions options;
    options.dir = dir;
    options.durable = f.durable;
    TIDE_ASSIGN(auto made, pg::LocalCluster::Create(options));
    got = std::move(made);
    created = true;
  }
  TIDE_ASSIGN(std::string version, ServerVersion(*got));
  ctx.Print(fmt::format("{} sandbox PostgreSQL {} in {}\nurl: {}\n\nUse it:\n  export TIDE_URL=\"{}\"",
                        created ? "Started a new" : "Running:", version, dir, got->Url(),
                        got->Url()));
  ctx.PrintJson({{"ok", true}, {"dir", dir}, {"url", got->Url()}, {"socket_url", got->SocketUrl()},
                 {"port", got->port()}, {"server_version", version}, {"created", created}});
  return Ok();
}

}  // namespace

// Long by design: the subcommands' flags and help text, as --help shows them.
void AddSandboxCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "sandbox", "a throwaway local PostgreSQL (start|stop|status|url) for trying tide");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<SandboxFlags>();
  cmd->add_option("--dir", flags->dir,
                  "where the sandbox lives (default $TIDE_SANDBOX_DIR or /tmp/tide-sandbox-UID)")
      ->type_name("DIR");
  cmd->footer(
      "\nThe sandbox is made with the installed server's initdb and pg_ctl (apt-get install "
      "postgresql-15),\nlistens on a free 127.0.0.1 port and on a socket in its own folder, and "
      "trusts local connections.\nAs root, the server runs as the 'postgres' account.\n"
      "\nExample:\n"
      "  tide sandbox start && export TIDE_URL=\"$(tide sandbox url)\"\n"
      "  tide migrate\n"
      "  tide sandbox stop        # stops it and deletes its data");

  auto* start = cmd->add_subcommand("start", "create the sandbox if needed and start it");
  start->add_flag("--durable", flags->durable,
                  "keep fsync on (slower; default off, it is throwaway)");
  start->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Start(ctx, *flags); }; });

  auto* stop = cmd->add_subcommand("stop", "stop the sandbox and delete it");
  stop->add_flag("--keep", flags->keep, "keep its data for the next start");
  stop->callback([&ctx, flags] {
    ctx.action = [&ctx, flags]() -> Status {
      std::string dir = DirOf(*flags);
      if (!pg::LocalCluster::Exists(dir)) {
        ctx.Print("No sandbox in " + dir);
        ctx.PrintJson({{"ok", true}, {"existed", false}});
        return Ok();
      }
      TIDE_ASSIGN(auto cluster, pg::LocalCluster::Open(dir));
      if (flags->keep) {
        TIDE_TRY(cluster.Stop());
      } else {
        TIDE_TRY(cluster.Destroy());
      }
      ctx.Print(flags->keep ? "Stopped the sandbox; its data stays in " + dir
                            : "Stopped and deleted the sandbox in " + dir);
      ctx.PrintJson({{"ok", true}, {"existed", true}, {"kept", flags->keep}});
      return Ok();
    };
  });

  auto* status = cmd->add_subcommand("status", "is the sandbox running, and where");
  status->callback([&ctx, flags] {
    ctx.action = [&ctx, flags]() -> Status {
      std::string dir = DirOf(*flags);
      if (!pg::LocalCluster::Exists(dir)) {
        ctx.Print("No sandbox in " + dir + " (tide sandbox start makes one)");
        ctx.PrintJson({{"running", false}, {"exists", false}, {"dir", dir}});
        return Error::Failed("no sandbox");
      }
      TIDE_ASSIGN(auto cluster, pg::LocalCluster::Open(dir));
      bool running = cluster.IsRunning();
      ctx.Print(fmt::format("Sandbox in {}: {}\nurl: {}", dir, running ? "running" : "stopped",
                            cluster.Url()));
      ctx.PrintJson({{"running", running}, {"exists", true}, {"dir", dir}, {"url", cluster.Url()},
                     {"pid", cluster.ServerPid()}});
      if (!running) return Error::Failed("the sandbox is stopped");
      return Ok();
    };
  });

  auto* url = cmd->add_subcommand("url", "print the sandbox's connection URL");
  url->callback([&ctx, flags] {
    ctx.action = [&ctx, flags]() -> Status {
      std::string dir = DirOf(*flags);
      if (!pg::LocalCluster::Exists(dir)) {
        return Error::Failed("no sandbox in " + dir).WithHint("tide sandbox start");
      }
      TIDE_ASSIGN(auto cluster, pg::LocalCluster::Open(dir));
      ctx.Print(cluster.Url());
      ctx.PrintJson({{"url", cluster.Url()}, {"socket_url", cluster.SocketUrl()}});
      return Ok();
    };
  });
}

}  // namespace tide::cli
