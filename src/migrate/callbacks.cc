#include "migrate/callbacks.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "source/script_config.h"
#include "sql/parser.h"

namespace tide::migrate {

using source::ReadScriptConfig;
using source::ScriptConfig;

namespace fs = std::filesystem;

namespace {

struct EventName {
  CallbackEvent event;
  const char* name;
};
constexpr EventName kEvents[] = {
    {CallbackEvent::kBeforeMigrate, "beforeMigrate"},
    {CallbackEvent::kBeforeRepeatables, "beforeRepeatables"},
    {CallbackEvent::kBeforeEachMigrate, "beforeEachMigrate"},
    {CallbackEvent::kAfterEachMigrate, "afterEachMigrate"},
    {CallbackEvent::kAfterEachMigrateError, "afterEachMigrateError"},
    {CallbackEvent::kAfterMigrate, "afterMigrate"},
    {CallbackEvent::kAfterMigrateApplied, "afterMigrateApplied"},
    {CallbackEvent::kAfterVersioned, "afterVersioned"},
    {CallbackEvent::kAfterMigrateError, "afterMigrateError"},
};

// Flyway events whose scripts tide finds but does not run.
constexpr const char* kOtherEvents[] = {"beforeEachMigrateStatement",
                                        "afterEachMigrateStatement",
                                        "afterEachMigrateStatementError",
                                        "beforeClean",
                                        "afterClean",
                                        "afterCleanError",
                                        "beforeValidate",
                                        "afterValidate",
                                        "afterValidateError",
                                        "beforeBaseline",
                                        "afterBaseline",
                                        "afterBaselineError",
                                        "beforeRepair",
                                        "afterRepair",
                                        "afterRepairError",
                                        "beforeInfo",
                                        "afterInfo",
                                        "afterInfoError",
                                        "beforeUndo",
                                        "beforeEachUndo",
                                        "afterEachUndo",
                                        "afterEachUndoError",
                                        "afterUndo",
                                        "afterUndoError",
                                        "createSchema",
                                        "beforeConnect",
                                        "afterConnect"};

Result<std::string> ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Input(fmt::format("cannot read callback {}", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

const char* CallbackEventName(CallbackEvent event) {
  for (const auto& e : kEvents) {
    if (e.event == event) return e.name;
  }
  return "?";
}

Result<std::vector<CallbackScript>> DiscoverCallbacks(const std::vector<fs::path>& locations,
                                                      std::vector<std::string>& warnings) {
  std::vector<CallbackScript> out;
  for (const auto& location : locations) {
    std::error_code ec;
    if (!fs::is_directory(location, ec)) continue;  // discovery reports missing locations
    for (auto it = fs::recursive_directory_iterator(location, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (it->is_directory(ec) || name.size() < 5 ||
          ToLower(name.substr(name.size() - 4)) != ".sql") {
        continue;
      }
      std::string stem = name.substr(0, name.size() - 4);
      size_t sep = stem.find("__");
      std::string id = stem.substr(0, sep);
      std::string description = sep == std::string::npos ? "" : stem.substr(sep + 2);
      const EventName* found = nullptr;
      for (const auto& e : kEvents) {
        if (id == e.name) found = &e;
      }
      if (!found) {
        for (const char* other : kOtherEvents) {
          if (id == other) {
            warnings.push_back(fmt::format("{}: tide does not run {} callbacks; skipped",
                                           it->path().string(), other));
          }
        }
        continue;
      }
      for (const auto& existing : out) {
        if (existing.file.path.filename() == name) {
          return Error::Input(fmt::format("two SQL callbacks are called {}: {} and {}", name,
                                          existing.file.path.string(), it->path().string()))
              .At({it->path().string(), 0, 0});
        }
      }
      CallbackScript script{found->event, ReplaceAll(description, "_", " "), {}};
      script.file.path = it->path();
      script.file.script = fs::relative(it->path(), location).generic_string();
      script.file.description = script.description;
      TIDE_ASSIGN(script.file.content, ReadAll(it->path()));
      TIDE_ASSIGN(ScriptConfig config, ReadScriptConfig(it->path(), warnings));
      script.file.execute_in_transaction = config.execute_in_transaction;
      script.file.placeholder_replacement = config.placeholder_replacement;
      out.push_back(std::move(script));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const CallbackScript& a, const CallbackScript& b) {
    if (a.event != b.event) return a.event < b.event;
    return a.description < b.description;  // "" (no description) first
  });
  return out;
}

CallbackRunner::CallbackRunner(std::vector<CallbackScript> scripts, pg::Connection& conn,
                               Reporter& reporter)
    : scripts_(std::move(scripts)), conn_(&conn), reporter_(&reporter) {}

Result<CallbackRunner> CallbackRunner::Load(const config::Settings& settings,
                                            const Placeholders& placeholders, pg::Connection& conn,
                                            Reporter& reporter) {
  std::vector<CallbackScript> scripts;
  if (settings.sql_callbacks) {
    std::vector<std::string> warnings;
    TIDE_ASSIGN(scripts, DiscoverCallbacks(settings.locations, warnings));
    for (const auto& w : warnings) reporter.Warn(w);
    for (auto& s : scripts) TIDE_TRY(ResolveSql(s.file, placeholders));
  }
  return CallbackRunner(std::move(scripts), conn, reporter);
}

Status CallbackRunner::Run(const CallbackScript& script, bool own_transaction) {
  bool transactional = own_transaction && script.file.execute_in_transaction.value_or(true);
  reporter_->Info(fmt::format("Executing SQL callback: {}{}{}", CallbackEventName(script.event),
                              script.description.empty() ? "" : " - " + script.description,
                              transactional || !own_transaction ? "" : " [non-transactional]"));
  auto fail = [&](Error e) {
    return std::move(e).Context(
        fmt::format("error while executing {} callback", CallbackEventName(script.event)));
  };
  auto statements = sql::ParseScript(script.file.SqlText(), script.file.path.string());
  if (!statements.ok()) return fail(std::move(statements).error());
  if (transactional) TIDE_TRY(conn_->Exec("BEGIN"));
  for (const auto& st : *statements) {
    auto ran = conn_->Exec(st.text);
    if (!ran.ok()) {
      if (transactional) (void)conn_->Exec("ROLLBACK");
      return fail(std::move(ran).error().At({script.file.path.string(), st.line, st.column}));
    }
  }
  if (transactional) TIDE_TRY(conn_->Exec("COMMIT"));
  return Ok();
}

Status CallbackRunner::Fire(CallbackEvent event) {
  for (const auto& s : scripts_) {
    if (s.event == event) TIDE_TRY(Run(s, /*own_transaction=*/true));
  }
  return Ok();
}

Status CallbackRunner::FireInline(CallbackEvent event) {
  for (const auto& s : scripts_) {
    if (s.event == event) TIDE_TRY(Run(s, /*own_transaction=*/false));
  }
  return Ok();
}

exec::FileHooks CallbackRunner::Hooks() {
  exec::FileHooks hooks;
  hooks.before_each = [this] { return FireInline(CallbackEvent::kBeforeEachMigrate); };
  hooks.after_each = [this] { return FireInline(CallbackEvent::kAfterEachMigrate); };
  hooks.after_each_error = [this] {
    Status s = FireInline(CallbackEvent::kAfterEachMigrateError);
    if (!s.ok()) reporter_->Warn(s.error().ToString());
  };
  return hooks;
}

}  // namespace tide::migrate
