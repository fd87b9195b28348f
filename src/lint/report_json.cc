// --format json: one document; "findings" holds one object per finding.
#include "lint/report.h"
#include "tide_version.h"

namespace tide::lint {

nlohmann::ordered_json JsonReport(const LintRun& run) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& file : run.files) {
    files.push_back({{"file", file.file},
                     {"statements", file.statements},
                     {"phase", sql::PhaseName(file.phase)},
                     {"phase_stated", file.phase_stated},
                     {"syntax_error", file.syntax_error},
                     {"allowed", file.suppressed}});
    for (const auto& f : file.findings) {
      findings.push_back({{"file", f.file},
                          {"line", f.line},
                          {"column", f.column},
                          {"end", {{"line", f.end_line}, {"column", f.end_column}}},
                          {"rule", f.rule},
                          {"severity", SeverityName(f.severity)},
                          {"rule_severity", SeverityName(f.rule_severity)},
                          {"message", f.message},
                          {"reason", f.reason},
                          {"help", f.help},
                          {"auto_safe", f.auto_safe},
                          {"migrate", f.migrate}});
    }
  }
  Counts n = Count(run);
  return {{"tool", "tide"},
          {"version", TIDE_VERSION},
          {"pg_version", run.options.pg_version},
          {"as_written", run.options.as_written},
          {"summary",
           {{"files", n.files},
            {"statements", n.statements},
            {"errors", n.errors},
            {"warnings", n.warnings},
            {"notes", n.notes},
            {"auto_safe", n.auto_safe},
            {"allowed", n.suppressed},
            {"assume_big_table", n.assume_big},
            {"exit_code", ExitCode(run)}}},
          {"assumption", BigTableAssumption(n)},
          {"input_errors", run.input_errors},
          {"files", files},
          {"findings", findings}};
}

}  // namespace tide::lint
