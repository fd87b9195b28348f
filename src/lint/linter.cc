#include "lint/linter.h"

#include <algorithm>
#include <filesystem>

namespace tide::lint {

namespace {

Finding SyntaxError(const std::string& file, const Error& error) {
  Finding f;
  f.file = file;
  if (error.location()) {
    f.line = f.end_line = error.location()->line;
    f.column = f.end_column = error.location()->column;
  }
  f.rule = "syntax-error";
  f.severity = f.rule_severity = Severity::kError;
  f.message = error.message();
  f.reason = "PostgreSQL would reject the file at this point; lint checked nothing in it";
  f.help = error.hint();
  return f;
}

}  // namespace

bool Unsuppressible(std::string_view rule) {
  return rule == "allow-without-reason" || rule == "unknown-directive" || rule == "syntax-error" ||
         rule == "internal-error";
}

Linter::Linter(LintOptions options) : options_(options), planner_(catalog_, {}) {
  // Offline, a table is known to be partitioned when an earlier file created it so.
  catalog_.is_partitioned = [this](const sql::TableName& t) { return history_.IsPartitioned(t); };
}

FileReport Linter::Lint(const SourceFile& file) {
  FileReport report;
  report.file = file.path;
  report.text = file.text;
  auto script = sql::ClassifyScript(file.text, file.path);
  if (!script.ok()) {
    report.syntax_error = true;
    report.findings.push_back(SyntaxError(file.path, script.error()));
    return report;
  }
  // Judged with what earlier files said of the views this one replaces.
  sql::PhaseFacts facts;
  facts.view = [this](const sql::TableName& name) { return history_.View(name); };
  sql::JudgePhases(*script, facts);
  report.statements = script->statements.size();
  auto plan = planner_.PlanScript(*script);
  plan::Plan offline = plan.ok() ? std::move(plan).value() : plan::Plan();
  FileContext ctx(file.path, *script, offline, history_, options_);
  Findings out(ctx);
  RunRules(ctx, *script, out);
  if (!plan.ok()) {
    // A planner bug, not the file's fault: say so, and trust no auto-safe claim for the file.
    Finding f;
    f.file = file.path;
    f.rule = "internal-error";
    f.severity = f.rule_severity = Severity::kWarning;
    f.message = "tide could not plan this file, so no finding says tide migrate makes it safe: " +
                plan.error().message();
    out.all().push_back(std::move(f));
  }
  // What this file's whole-table UPDATEs fill, a later contract SET NOT NULL catches up on.
  planner_.RememberPriorUpdates(*script, std::filesystem::path(file.path).filename().string());
  auto stated = ctx.StatedPhase();
  report.phase_stated = stated.has_value();
  report.phase = stated.value_or(script->phase);
  Finish(*script, out.all(), report);
  return report;
}

void Linter::RunRules(const FileContext& ctx, const sql::ClassifiedScript& script, Findings& out) {
  const auto& rules = AllRules();
  for (const auto& c : script.classified) {
    for (const auto& rule : rules) rule->CheckStatement(ctx, c, out);
    history_.Apply(c, ctx.file());
  }
  for (const auto& rule : rules) rule->CheckFile(ctx, out);
}

void Linter::Finish(const sql::ClassifiedScript& script, std::deque<Finding>& raw,
                    FileReport& report) {
  for (auto& f : raw) {
    if (!Unsuppressible(f.rule)) {
      // A statement's allow, or the file's; findings about the file take the file's only.
      size_t statement = f.statement >= 0 ? static_cast<size_t>(f.statement) : SIZE_MAX;
      if (script.directives.Find(statement, f.rule)) {
        ++report.suppressed;
        continue;
      }
    }
    if (f.auto_safe && !options_.as_written) f.severity = Severity::kNote;
    report.findings.push_back(std::move(f));
  }
  std::stable_sort(report.findings.begin(), report.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
}

}  // namespace tide::lint
