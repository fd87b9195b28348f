// --format sarif: SARIF 2.1.0, as code-scanning services (GitHub, GitLab) take it. Columns are
// Unicode code points; a region's end column is exclusive.
#include <fmt/format.h>

#include "lint/report.h"
#include "tide_version.h"

namespace tide::lint {

namespace {

const char* Level(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "none";
}

nlohmann::ordered_json Descriptor(const char* id, Severity severity, const char* summary,
                                  const char* recipe) {
  return {{"id", id},
          {"shortDescription", {{"text", summary}}},
          {"help", {{"text", recipe}}},
          {"defaultConfiguration", {{"level", Level(severity)}}}};
}

nlohmann::ordered_json Result(const Finding& f, const LineIndex& lines, int rule_index) {
  std::string message = f.message + ". " + f.reason + ".";
  if (f.auto_safe) message += " tide migrate makes it safe: " + f.migrate + ".";
  if (!f.auto_safe || f.severity != Severity::kNote) message += " Fix: " + f.help + ".";
  nlohmann::ordered_json location = {{"artifactLocation", {{"uri", SarifUri(f.file)}}}};
  if (f.line > 0) {
    nlohmann::ordered_json region = {{"startLine", f.line},
                                     {"startColumn", CodePointColumn(lines[f.line], f.column)}};
    if (f.end_line >= f.line && f.end_column > 0) {
      region["endLine"] = f.end_line;
      region["endColumn"] = CodePointColumn(lines[f.end_line], f.end_column) + 1;
    }
    location["region"] = region;
  }
  nlohmann::ordered_json result = {
      {"ruleId", f.rule},
      {"level", Level(f.severity)},
      {"message", {{"text", message}}},
      {"locations", {{{"physicalLocation", location}}}},
      {"properties",
       {{"auto_safe", f.auto_safe}, {"rule_severity", SeverityName(f.rule_severity)}}}};
  if (rule_index >= 0) result["ruleIndex"] = rule_index;
  return result;
}

}  // namespace

// The path as a URI: relative paths stay relative (code scanning resolves them against the
// repository), absolute ones become file:// URIs; what RFC 3986 does not allow is %-encoded.
std::string SarifUri(const std::string& path) {
  std::string out = !path.empty() && path[0] == '/' ? "file://" : "";
  for (unsigned char c : path) {
    if (std::isalnum(c) ||
        std::string_view("-._~/").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

nlohmann::ordered_json SarifReport(const LintRun& run) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  for (const auto& rule : AllRules()) {
    const RuleInfo& info = rule->info();
    rules.push_back(Descriptor(info.id, info.severity, info.summary, info.recipe));
  }
  int syntax_index = static_cast<int>(rules.size());
  rules.push_back(Descriptor("syntax-error", Severity::kError, "the file is not valid PostgreSQL",
                             "fix the SQL"));
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& file : run.files) {
    LineIndex lines(file.text);
    for (const auto& f : file.findings) {
      int index = -1;
      for (size_t i = 0; i < AllRules().size(); ++i) {
        if (AllRules()[i]->info().id == f.rule) index = static_cast<int>(i);
      }
      if (f.rule == "syntax-error") index = syntax_index;
      results.push_back(Result(f, lines, index));
    }
  }
  nlohmann::ordered_json notifications = nlohmann::ordered_json::array();
  for (const auto& error : run.input_errors) {
    notifications.push_back({{"level", "error"}, {"message", {{"text", error}}}});
  }
  nlohmann::ordered_json invocation = {{"executionSuccessful", run.input_errors.empty()}};
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = notifications;
  return {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       {{{"tool", {{"driver", {{"name", "tide"}, {"version", TIDE_VERSION}, {"rules", rules}}}}},
         {"columnKind", "unicodeCodePoints"},
         {"invocations", {invocation}},
         {"results", results}}}}};
}

}  // namespace tide::lint
