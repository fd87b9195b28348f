#include "drift/report.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "lint/report.h"
#include "tide_version.h"

namespace tide::drift {

namespace {

// Statements and long values indented under their label, one line each.
std::string Indented(const std::string& text, const std::string& indent) {
  std::string out;
  for (const auto& line : Split(text, '\n')) out += indent + line + "\n";
  return out;
}

std::string OrNone(const std::string& s) { return s.empty() ? "(none)" : s; }

std::string Statement(const std::string& sql) {
  if (sql.empty()) return "(no statement: see the note)\n";
  std::string text = sql;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!text.empty() && text.back() != ';') text += ";";
  return "\n" + Indented(text, "        ");
}

std::string Headline(const Finding& f) {
  return fmt::format("  {} {} {}\n", DriftKindName(f.kind), KindName(f.object_kind), f.object);
}

std::string Message(const Finding& f) {
  switch (f.kind) {
    case DriftKind::kMissing:
      return fmt::format("{} {} is missing: the history builds it, the database does not have it",
                         KindName(f.object_kind), f.object);
    case DriftKind::kExtra:
      return fmt::format("{} {} is extra: the database has it, no applied migration built it",
                         KindName(f.object_kind), f.object);
    case DriftKind::kChanged: {
      std::vector<std::string> facts;
      for (const auto& d : f.differences) facts.push_back(d.fact);
      return fmt::format("{} {} differs from its history: {}", KindName(f.object_kind), f.object,
                         Join(facts, ", "));
    }
  }
  return f.object;
}

}  // namespace

std::string TextReport(const DriftReport& r) {
  std::string out;
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  if (r.findings.empty()) {
    return out + fmt::format("No drift: {} matches its history ({}); {} objects compared.\n",
                             r.database, r.history, r.database_objects);
  }
  out += fmt::format("Drift: {} difference{} between the history ({}) and {}.\n", r.findings.size(),
                     r.findings.size() == 1 ? "" : "s", r.history, r.database);
  std::string schema = "\x01";
  for (const auto& f : r.findings) {
    if (f.schema != schema) {
      schema = f.schema;
      out += "\n" + (schema.empty() ? std::string("database-wide") : "schema " + schema) + "\n";
    }
    out += Headline(f);
    if (f.kind == DriftKind::kChanged) {
      for (const auto& d : f.differences) {
        out += fmt::format("    {}:\n", d.fact);
        out += Indented("history:  " + OrNone(d.history), "      ");
        out += Indented("database: " + OrNone(d.database), "      ");
      }
    } else if (f.kind == DriftKind::kMissing) {
      out += Indented("history:  " + f.history, "    ");
    } else {
      out += Indented("database: " + f.database, "    ");
    }
    for (const auto& n : f.notes) out += "    note: " + n + "\n";
    out += "    to match the history:" + Statement(f.to_history);
    out += "    to adopt it in a migration:" + Statement(f.to_migration);
  }
  return out;
}

nlohmann::ordered_json JsonReport(const DriftReport& r) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const auto& f : r.findings) {
    nlohmann::ordered_json diffs = nlohmann::ordered_json::array();
    for (const auto& d : f.differences) {
      diffs.push_back({{"fact", d.fact}, {"history", d.history}, {"database", d.database}});
    }
    findings.push_back({{"kind", DriftKindName(f.kind)},
                        {"object_kind", KindName(f.object_kind)},
                        {"object", f.object},
                        {"schema", f.schema},
                        {"history", f.history},
                        {"database", f.database},
                        {"differences", diffs},
                        {"to_history", f.to_history},
                        {"to_migration", f.to_migration},
                        {"notes", f.notes}});
  }
  return {{"ok", true},
          {"drift", !r.findings.empty()},
          {"database", r.database},
          {"history", r.history},
          {"scratch", r.scratch},
          {"warnings", r.warnings},
          {"findings", findings},
          {"objects", {{"history", r.history_objects}, {"database", r.database_objects}}},
          {"seconds", {{"replay", r.replay_seconds}, {"compare", r.compare_seconds}}}};
}

nlohmann::ordered_json SarifReport(const DriftReport& r) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  const char* kSummaries[] = {"the history builds an object the database does not have",
                              "the database has an object no applied migration built",
                              "an object differs from what the history builds"};
  for (int k = 0; k < 3; ++k) {
    rules.push_back({{"id", fmt::format("drift-{}", DriftKindName(static_cast<DriftKind>(k)))},
                     {"shortDescription", {{"text", kSummaries[k]}}},
                     {"help",
                      {{"text",
                        "run the statement that matches the history, or add the "
                        "one that adopts the change to a migration"}}},
                     {"defaultConfiguration", {{"level", "error"}}}});
  }
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& f : r.findings) {
    std::string text = Message(f) + ". To match the history: " + OrNone(f.to_history) +
                       ". To adopt it in a migration: " + OrNone(f.to_migration) + ".";
    results.push_back(
        {{"ruleId", fmt::format("drift-{}", DriftKindName(f.kind))},
         {"ruleIndex", static_cast<int>(f.kind)},
         {"level", "error"},
         {"message", {{"text", text}}},
         {"locations",
          {{{"physicalLocation", {{"artifactLocation", {{"uri", lint::SarifUri(r.artifact)}}}}},
            {"logicalLocations",
             {{{"fullyQualifiedName", f.object}, {"kind", KindName(f.object_kind)}}}}}}},
         {"properties",
          {{"to_history", f.to_history}, {"to_migration", f.to_migration}, {"notes", f.notes}}}});
  }
  return {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       {{{"tool", {{"driver", {{"name", "tide"}, {"version", TIDE_VERSION}, {"rules", rules}}}}},
         {"invocations", {{{"executionSuccessful", true}}}},
         {"results", results}}}}};
}

}  // namespace tide::drift
