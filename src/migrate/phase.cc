#include "migrate/phase.h"

#include <fmt/format.h>

namespace tide::migrate {

using source::MigrationFile;
using source::ScriptFormat;

const char* ScheduleName(sql::Phase phase) {
  return phase == sql::Phase::kContract ? "contract" : "expand";
}

namespace {

std::string List(const sql::ClassifiedScript& script, sql::Phase phase) {
  std::string out;
  for (const auto& c : script.classified) {
    bool expands = c.phase == sql::Phase::kExpand || c.mixed_phase;
    if (phase == sql::Phase::kExpand ? !expands : c.phase != phase) continue;
    out += fmt::format("\n    line {}: {}", c.line(), c.summary);
    if (phase == sql::Phase::kContract && !c.phase_note.empty()) out += " (" + c.phase_note + ")";
  }
  return out;
}

void AddTable(std::vector<sql::TableName>& tables, const sql::TableName& t) {
  for (const auto& have : tables) {
    if (have == t) return;
  }
  tables.push_back(t);
}

}  // namespace

Result<PhaseInfo> PhaseOfScript(const sql::ClassifiedScript& script, const std::string& file) {
  PhaseInfo info;
  info.phase = script.phase;
  for (const auto& c : script.classified) {
    if (c.phase != sql::Phase::kContract) continue;
    for (const auto& cmd : c.commands) {
      bool on_table = cmd.action != sql::Action::kDropOther &&
                      cmd.action != sql::Action::kRenameOther &&
                      cmd.action != sql::Action::kCreateView;
      if (on_table && !cmd.table.empty()) AddTable(info.contracted_tables, cmd.table);
    }
  }
  const auto& stated = script.directives.phase;
  if (!stated && script.mixed_phase) {
    info.mixed = true;
    info.phase = sql::Phase::kContract;
    info.statements = fmt::format(
        "\n  expand (the old release keeps working):{}\n  contract "
        "(breaks the old release):{}",
        List(script, sql::Phase::kExpand), List(script, sql::Phase::kContract));
    return info;
  }
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

Result<PhaseInfo> PhaseOf(const MigrationFile& file, const sql::PhaseFacts& facts) {
  if (file.format != ScriptFormat::kSql) {
    // Declarative migrations have both an expand and a contract half (see src/ops).
    PhaseInfo info;
    info.phase = sql::Phase::kExpand;
    return info;
  }
  TIDE_ASSIGN(auto script, file.Classified());
  std::vector<sql::ObjectRef> created;
  sql::JudgePhases(*script, facts, &created);
  TIDE_ASSIGN(PhaseInfo info, PhaseOfScript(*script, file.path.string()));
  info.created = std::move(created);
  return info;
}

}  // namespace tide::migrate
