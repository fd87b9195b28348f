// tide lint [PATH...]: static safety analysis of migration files, no database needed.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json_text.h"
#include "base/strings.h"
#include "base/text.h"
#include "cli/context.h"
#include "lint/report.h"
#include "source/discovery.h"

namespace tide::cli {

namespace {

namespace fs = std::filesystem;

struct LintFlags {
  std::vector<std::string> paths;
  std::string format = "text";
  int pg_version = 15;
  bool as_written = false;
  std::string color = "auto";
  bool list_rules = false;
};

// Files linted as one sequence: each sees what the ones before it did.
using Sequence = std::vector<lint::SourceFile>;

// A folder with no migration in it: an empty one (tide init's) is said on stderr; one whose
// .sql files all miss the naming rule is unusable input (exit 2), not "0 files, no findings".
void NoMigrationIn(const fs::path& dir, lint::LintRun& run) {
  std::vector<std::string> sql;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string ext = ToLower(it->path().extension().string());
    if (it->is_regular_file(ec) && ext == ".sql") {
      sql.push_back(it->path().lexically_relative(dir).string());
    }
  }
  if (sql.empty()) {
    std::fprintf(stderr, "warning: %s holds no migration (V<version>__<description>.sql)\n",
                 dir.string().c_str());
    return;
  }
  std::sort(sql.begin(), sql.end());
  std::string examples;
  for (size_t i = 0; i < sql.size() && i < 3; ++i) examples += (i ? ", " : "") + sql[i];
  run.input_errors.push_back(fmt::format(
      "{}: none of its {} SQL file{} is named like a migration (V<version>__<description>.sql, "
      "as Flyway names them), so there is nothing to lint: {}{}; rename them (V1__init.sql, "
      "V2__add_email.sql, ...) so that tide knows their order",
      dir.string(), sql.size(), sql.size() == 1 ? "" : "s", examples,
      sql.size() > 3 ? ", ..." : ""));
}

void AddFolder(const fs::path& dir, std::vector<Sequence>& out, lint::LintRun& run) {
  auto discovery = source::Discover({dir});
  if (!discovery.ok()) {
    run.input_errors.push_back(discovery.error().ToString());
    return;
  }
  for (const auto& w : discovery->warnings) {
    std::fprintf(stderr, "warning: %s\n", EscapeForTerminal(w).c_str());
  }
  if (discovery->migrations.empty()) {
    NoMigrationIn(dir, run);
    return;
  }
  Sequence files;
  for (const auto& m : discovery->migrations) {
    if (m.format != source::ScriptFormat::kSql) continue;  // declarative: tide plans those
    files.push_back({m.path.string(), m.content});
  }
  out.push_back(std::move(files));
}

// Files named on the command line form one sequence, in version order when every one is named
// like a migration (so `tide lint V1.1__a.sql V1.2__b.sql` sees V1.1 before V1.2), else as given.
void AddFiles(const std::vector<fs::path>& paths, std::vector<Sequence>& out, lint::LintRun& run) {
  struct Named {
    lint::SourceFile file;
    std::optional<source::MigrationFile> name;
  };
  std::vector<Named> files;
  bool all_named = true;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || in.bad()) {
      run.input_errors.push_back(fmt::format("cannot read {}", path.string()));
      continue;
    }
    auto name = source::ParseMigrationName(path.filename().string());
    std::optional<source::MigrationFile> parsed;
    if (name.ok() && name->has_value()) parsed = std::move(**name);
    all_named = all_named && parsed.has_value();
    files.push_back({{path.string(), text.str()}, std::move(parsed)});
  }
  if (all_named) {
    std::stable_sort(files.begin(), files.end(), [](const Named& a, const Named& b) {
      if (a.name->kind != b.name->kind) return a.name->kind == source::MigrationKind::kVersioned;
      if (a.name->version && b.name->version) return *a.name->version < *b.name->version;
      return a.name->description < b.name->description;
    });
  }
  Sequence sequence;
  for (auto& f : files) sequence.push_back(std::move(f.file));
  if (!sequence.empty()) out.push_back(std::move(sequence));
}

Result<std::vector<fs::path>> Paths(Context& ctx, const LintFlags& flags) {
  std::vector<fs::path> paths(flags.paths.begin(), flags.paths.end());
  if (paths.empty()) {
    TIDE_ASSIGN(const config::Settings* settings, ctx.Settings());
    paths = settings->locations;
  }
  return paths;
}

bool UseColor(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* term = std::getenv("TERM");
  return isatty(fileno(stdout)) && !std::getenv("NO_COLOR") &&
         !(term && std::string_view(term) == "dumb");
}

void Write(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void ListRules(const std::string& format) {
  if (format != "text") {
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& rule : lint::AllRules()) {
      const lint::RuleInfo& info = rule->info();
      rules.push_back({{"id", info.id},
                       {"severity", lint::SeverityName(info.severity)},
                       {"summary", info.summary},
                       {"recipe", info.recipe}});
    }
    Write(DumpJson(rules, 2) + "\n");
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& rule : lint::AllRules()) {
    const lint::RuleInfo& info = rule->info();
    rows.push_back({info.id, lint::SeverityName(info.severity), info.summary});
  }
  Write(FormatTable({"Rule", "Severity", "Catches"}, rows));
}

Status RunLint(Context& ctx, LintFlags flags) {
  if (ctx.json) flags.format = "json";
  if (flags.list_rules) {
    ListRules(flags.format);
    return Ok();
  }
  lint::LintRun run;
  run.options.pg_version = flags.pg_version;
  run.options.as_written = flags.as_written;
  TIDE_ASSIGN(auto paths, Paths(ctx, flags));
  std::vector<Sequence> sequences;
  std::vector<fs::path> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      AddFolder(path, sequences, run);
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      run.input_errors.push_back(fmt::format("{}: no such file or folder", path.string()));
    }
  }
  AddFiles(files, sequences, run);
  for (const auto& sequence : sequences) {
    lint::Linter linter(run.options);
    for (const auto& file : sequence) run.files.push_back(linter.Lint(file));
  }
  if (flags.format == "json") {
    Write(DumpJson(lint::JsonReport(run), 2) + "\n");
  } else if (flags.format == "sarif") {
    Write(DumpJson(lint::SarifReport(run), 2) + "\n");
  } else {
    Write(lint::TextReport(run, UseColor(flags.color), ctx.quiet));
  }
  ctx.exit_code = lint::ExitCode(run);
  return Ok();
}

const char* kLintFooter =
    "\nEach finding names its rule, why the statement is dangerous (which lock, which scan or\n"
    "rewrite, which release breaks) and the safe recipe. When tide migrate makes the statement\n"
    "safe by itself (CREATE INDEX -> CONCURRENTLY, a batched backfill, NOT VALID then VALIDATE,\n"
    "SET NOT NULL through a check, ...) the finding is a note that says what tide does; with\n"
    "--as-written it keeps its rule's severity (for files a plain runner such as Flyway runs).\n"
    "\nWhat lint assumes:\n"
    "  - every table not created earlier in the same file is large and in use (no database;\n"
    "    the report says so once when a finding depends on it);\n"
    "  - a plain runner runs each file in one transaction, split where the file says COMMIT;\n"
    "  - a folder is linted in version order: a file sees what earlier ones did (column types,\n"
    "    nullable columns and their backfills, validated checks, functions); files named\n"
    "    together on the command line are one sequence too, in version order;\n"
    "  - declarative .yaml migrations are tide's own plans and are not linted.\n"
    "\nPhases: a file's phase is what '-- tide:phase expand|contract' states, else inferred:\n"
    "contract when a statement drops, renames, narrows or tightens something the old release\n"
    "uses, expand otherwise. Statements on an object the file itself creates count for nothing;\n"
    "a view, function, trigger or type dropped and re-created in one file is a replacement,\n"
    "judged on what the new definition removes (a view's columns as an earlier file wrote them;\n"
    "unknown or SELECT *: counted as a contract).\n"
    "  mixed-phases         error: a file without a stated phase does both\n"
    "  contract-in-expand   error: a contract statement (DROP COLUMN/TABLE...) in a file stated "
    "expand\n"
    "  expand-in-contract   warning: an additive statement in a file stated contract\n"
    "  A DROP in a file that is contract (stated or inferred) is fine: tide runs it after the "
    "gate.\n"
    "\nSuppression: '-- tide:allow <rule> <reason>' on the line(s) right above a statement, or\n"
    "'-- tide:allow-file <rule> <reason>' anywhere in the file ('all' matches every rule). An\n"
    "allow without a reason still applies, and is itself an error (allow-without-reason).\n"
    "\nExit codes: 0 no error-level finding, 1 at least one, 2 unreadable input (also a folder\n"
    "whose .sql files are none of them named like a migration) or a syntax error.\n"
    "\nExamples:\n"
    "  tide lint                                      the configured migration folders\n"
    "  tide lint migrations/V1.2__contract.sql        one file\n"
    "  tide lint --format sarif migrations > tide.sarif   for code-scanning upload\n"
    "  tide lint --list-rules";

}  // namespace

void AddLintCommand(CLI::App& app, Context& ctx) {
  auto* cmd =
      app.add_subcommand("lint", "static safety analysis of migration files, no database needed");
  auto flags = std::make_shared<LintFlags>();
  cmd->add_option("paths", flags->paths,
                  "migration files or folders (default: the configured locations)")
      ->type_name("PATH...");
  cmd->add_option("--format", flags->format, "text (default), json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  cmd->add_option("--pg-version", flags->pg_version,
                  "the PostgreSQL major version the files run on, 12 to 17 (default 15)")
      ->check(CLI::Range(12, 17));
  cmd->add_flag("--as-written", flags->as_written,
                "judge the files as a plain runner runs them: what tide migrate would make "
                "safe keeps its rule's severity");
  cmd->add_option("--color", flags->color, "auto (default: on a terminal), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_flag("--list-rules", flags->list_rules, "print every rule and exit");
  cmd->footer(kLintFooter);
  cmd->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return RunLint(ctx, *flags); }; });
}

}  // namespace tide::cli
