#pragma once
// A script's own settings, in a file beside it named like it plus ".conf" (V1__x.sql.conf), as
// Flyway reads them: executeInTransaction=false runs the script outside a transaction (each
// statement on its own), placeholderReplacement=false leaves its ${...} as written. A key Flyway
// does not know, or shouldExecute (a Flyway Teams feature), is an input error at its line, as
// it is in Flyway.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tide::source {

struct ScriptConfig {
  std::optional<bool> execute_in_transaction;  // nullopt: decided by the statements
  bool placeholder_replacement = true;
};

// Reads script.conf when it exists (defaults otherwise). warnings: settings read but not
// honoured (an encoding other than UTF-8).
Result<ScriptConfig> ReadScriptConfig(const std::filesystem::path& script,
                                      std::vector<std::string>& warnings);

}  // namespace tide::source
