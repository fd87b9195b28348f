#include "source/script_config.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "config/flyway_conf.h"
#include "config/settings.h"

namespace tide::source {

namespace fs = std::filesystem;

Result<ScriptConfig> ReadScriptConfig(const fs::path& script, std::vector<std::string>& warnings) {
  ScriptConfig out;
  fs::path conf = script;
  conf += ".conf";
  std::error_code ec;
  if (!fs::is_regular_file(conf, ec)) return out;
  TIDE_ASSIGN(auto props, config::ReadProperties(conf, &config::ProcessEnv));
  for (const auto& p : props) {
    auto where = SourceLocation{conf.string(), p.line, 1};
    if (p.key == "executeInTransaction") {
      if (p.value != "true" && p.value != "false") {
        return Error::Input(
                   fmt::format("executeInTransaction must be true or false, not '{}'", p.value))
            .At(where);
      }
      out.execute_in_transaction = p.value == "true";
    } else if (p.key == "placeholderReplacement") {
      out.placeholder_replacement = ToLower(p.value) == "true";  // Boolean.parseBoolean
    } else if (p.key == "encoding") {
      std::string e = ToLower(p.value);
      if (e != "utf-8" && e != "utf8") {
        warnings.push_back(
            fmt::format("{}:{}: encoding={} is not supported; tide reads the "
                        "script as UTF-8",
                        conf.string(), p.line, p.value));
      }
    } else if (p.key == "shouldExecute") {
      return Error::Input("shouldExecute is a Flyway Teams setting that tide does not support")
          .At(where)
          .WithHint("remove it, or move the script out of the migration locations");
    } else {
      return Error::Input(fmt::format("unknown script setting '{}'", p.key))
          .At(where)
          .WithHint("known: executeInTransaction, placeholderReplacement, encoding");
    }
  }
  return out;
}

}  // namespace tide::source
