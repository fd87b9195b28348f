// tide demo: the customers scenario on a throwaway PostgreSQL.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cli/context.h"
#include "migrate/placeholders.h"
#include "migrate/migrator.h"
#include "pg/cluster.h"

namespace tide::cli {

namespace fs = std::filesystem;

namespace {

struct DemoFlags {
  std::string examples;
  bool keep = false;
};

// The example folder: next to the binary's source tree, or installed under share/tide.
fs::path FindExample(const std::string& flag) {
  if (!flag.empty()) return flag;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (fs::exists(p / "examples/customers/migrations")) return p / "examples/customers";
    if (fs::exists(p / "share/tide/examples/customers/migrations")) {
      return p / "share/tide/examples/customers";
    }
  }
  return "examples/customers";
}

Status RunDemo(Context& ctx, const DemoFlags& flags) {
  fs::path example = FindExample(flags.examples);
  if (!fs::exists(example / "migrations")) {
    return Error::Input("cannot find the customers example (examples/customers)")
        .WithHint("run from the tide source folder, or pass --examples DIR");
  }
  char tmpl[] = "/tmp/tide-demo-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  fs::permissions(dir, fs::perms::others_exec, fs::perm_options::add);
  ctx.reporter().Info("Starting a throwaway PostgreSQL in " + dir.string() + " ...");
  pg::ClusterOptions options;
  options.dir = dir / "cluster";
  TIDE_ASSIGN(auto cluster, pg::LocalCluster::Create(options));
  auto cleanup = [&] {
    if (!flags.keep) {
      (void)cluster.Destroy();
      fs::remove_all(dir);
    }
  };
  config::Flags cfg;
  cfg.url = cluster.SocketUrl();
  cfg.locations = {(example / "migrations").string()};
  auto settings = config::Load(cfg);
  if (!settings.ok()) {
    cleanup();
    return settings.error();
  }
  Status result = [&]() -> Status {
    TIDE_ASSIGN(auto discovery, migrate::DiscoverMigrations(*settings, ctx.reporter()));
    for (const char* target : {"1", "1.1", "latest"}) {
      TIDE_ASSIGN(auto session, migrate::Session::Open(*settings));
      TIDE_TRY(migrate::ResolveRepeatables(*settings, session.conn(), session.schema(),
                                           discovery));
      migrate::MigrateOptions mo;
      mo.target = target;
      ctx.reporter().Info(fmt::format("\n$ tide migrate --target {}", target));
      TIDE_TRY(migrate::Migrate(session, *settings, discovery, mo, ctx.reporter()));
    }
    return Ok();
  }();
  if (flags.keep) {
    ctx.reporter().Info("The cluster stays: " + cluster.Url());
  }
  cleanup();
  return result;
}

}  // namespace

void AddDemoCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "demo", "the seed's customers scenario, whole cycle, on a throwaway PostgreSQL");
  auto flags = std::make_shared<DemoFlags>();
  cmd->add_option("--examples", flags->examples, "folder of the customers example")
      ->type_name("DIR");
  cmd->add_flag("--keep", flags->keep, "leave the throwaway cluster running afterwards");
  cmd->footer("\nExample:\n  tide demo");
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunDemo(ctx, *flags); }; });
}

}  // namespace tide::cli
