// tide init: a tide.toml and a migrations/ folder in the current directory.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "cli/context.h"

namespace tide::cli {

namespace fs = std::filesystem;

void AddInitCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("init", "write tide.toml and migrations/ in the current folder");
  cmd->footer(
      "\nExample:\n"
      "  mkdir myapp-db && cd myapp-db && tide init\n"
      "An existing tide.toml is left as it is; migrations/ is created if missing.");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> Status {
      bool wrote_config = false;
      if (!fs::exists("tide.toml")) {
        std::ofstream out("tide.toml");
        out << config::DefaultConfigText();
        if (!out) return Error::Io("cannot write tide.toml");
        wrote_config = true;
      }
      std::error_code ec;
      bool made_dir = fs::create_directories("migrations", ec);
      if (ec) return Error::Io("cannot create migrations/: " + ec.message());
      ctx.Print(fmt::format(
          "{}\n{}\nNext: put V1__<description>.sql files in migrations/, set TIDE_URL (or url in "
          "tide.toml), then run tide info and tide migrate.",
          wrote_config ? "wrote tide.toml" : "tide.toml exists, left as it is",
          made_dir ? "created migrations/" : "migrations/ exists"));
      ctx.PrintJson({{"ok", true}, {"config_written", wrote_config}, {"migrations_created", made_dir}});
      return Ok();
    };
  });
}

}  // namespace tide::cli
