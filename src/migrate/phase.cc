#include "migrate/phase.h"

#include <fmt/format.h>

namespace tide::migrate {

const char* ScheduleName(sql::Phase phase) {
  return phase == sql::Phase::kContract ? "contract" : "expand";
}

namespace {

std::string List(const sql::ClassifiedScript& script, sql::Phase phase) {
  std::string out;
  for (const auto& c : script.classified) {
    if (c.phase != phase) continue;
    out += fmt::format("\n    line {}: {}", c.line(), c.summary);
  }
  return out;
}

}  // namespace

Result<PhaseInfo> PhaseOfScript(const sql::ClassifiedScript& script, const std::string& file) {
  PhaseInfo info;
  info.phase = script.phase;
  if (script.mixed_phase) {
    return Error::Input(fmt::format("{} mixes expand and contract statements, which must run in "
                                    "separate deployments:\n  expand (the old release keeps "
                                    "working):{}\n  contract (breaks the old release):{}",
                                    file, List(script, sql::Phase::kExpand),
                                    List(script, sql::Phase::kContract)))
        .At({file, 0, 0})
        .WithHint("split it: the expand statements in this version, the contract statements in a "
                  "later one, applied with tide contract once every instance runs the new release");
  }
  const auto& stated = script.directives.phase;
  if (!stated) return info;
  info.stated = true;
  if (*stated == "contract") {
    // Deferring expand or neutral statements to the contract phase is always allowed.
    info.phase = sql::Phase::kContract;
    return info;
  }
  if (*stated != "expand") {
    return Error::Input(fmt::format("unknown phase '{}' in the tide:phase comment", *stated))
        .At({file, script.directives.phase_line, 0})
        .WithHint("write -- tide:phase expand or -- tide:phase contract");
  }
  if (script.phase == sql::Phase::kContract) {
    return Error::Input(fmt::format("{} says it is an expand migration, but these statements "
                                    "break the old release:{}",
                                    file, List(script, sql::Phase::kContract)))
        .At({file, script.directives.phase_line, 0})
        .WithHint("move them to a contract migration, or state -- tide:phase contract");
  }
  info.phase = sql::Phase::kExpand;
  return info;
}

Result<PhaseInfo> PhaseOf(const MigrationFile& file) {
  if (file.format != ScriptFormat::kSql) {
    // Declarative migrations have both an expand and a contract half (see src/ops).
    return PhaseInfo{sql::Phase::kExpand, false};
  }
  TIDE_ASSIGN(auto script, sql::ClassifyScript(file.SqlText(), file.path.string()));
  return PhaseOfScript(script, file.path.string());
}

}  // namespace tide::migrate
