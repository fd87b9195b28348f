#include "gate/gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "base/text.h"
#include "base/subprocess.h"

namespace tide::gate {

std::optional<std::pair<std::string, std::string>> SplitApplicationName(const std::string& name) {
  size_t at = name.find_last_of("/@");
  if (at == std::string::npos || at == 0 || at + 1 >= name.size()) return std::nullopt;
  return std::make_pair(name.substr(0, at), name.substr(at + 1));
}

namespace {

struct Parsed {
  std::vector<int64_t> parts;
  bool suffix = false;
};

std::optional<Parsed> Parse(const std::string& v) {
  Parsed p;
  std::string t(Trim(v));
  if (!t.empty() && (t[0] == 'v' || t[0] == 'V')) t = t.substr(1);
  size_t i = 0;
  while (i < t.size()) {
    if (!std::isdigit(static_cast<unsigned char>(t[i]))) break;
    int64_t n = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      n = n * 10 + (t[i] - '0');
      ++i;
    }
    p.parts.push_back(n);
    if (i < t.size() && t[i] == '.' && i + 1 < t.size() &&
        std::isdigit(static_cast<unsigned char>(t[i + 1]))) {
      ++i;
    } else {
      break;
    }
  }
  if (p.parts.empty()) return std::nullopt;
  p.suffix = i < t.size();
  while (p.parts.size() > 1 && p.parts.back() == 0) p.parts.pop_back();
  return p;
}

}  // namespace

std::optional<int> CompareVersions(const std::string& a, const std::string& b) {
  auto x = Parse(a), y = Parse(b);
  if (!x || !y) return std::nullopt;
  size_t n = std::max(x->parts.size(), y->parts.size());
  for (size_t i = 0; i < n; ++i) {
    int64_t p = i < x->parts.size() ? x->parts[i] : 0;
    int64_t q = i < y->parts.size() ? y->parts[i] : 0;
    if (p != q) return p < q ? -1 : 1;
  }
  if (x->suffix != y->suffix) return x->suffix ? -1 : 1;  // 2.0-rc1 < 2.0
  return 0;
}

std::string GateResult::Describe() const {
  std::string out;
  for (const auto& s : sessions) {
    if (!s.old) continue;
    out += fmt::format("\n  {} pid {}: {} (version {}) from {}, connected since {}", s.server,
                       s.pid, s.application_name, s.version.empty() ? "?" : s.version, s.host,
                       s.backend_start);
  }
  if (check_exit != 0) {
    out += fmt::format("\n  check command exited {}: {}", check_exit,
                       Abbreviate(Trim(check_output), 500));
  }
  return out;
}

namespace {

// Sessions of the application in the migrated database, named by the primary: a standby URL
// may name another database (or none), and the old release that matters is the one using this
// database, not an instance of the same application on another database of the cluster.
Status ListSessions(pg::Connection& conn, const std::string& server, const std::string& dbname,
                    const GateOptions& options, std::vector<SessionInfo>& out) {
  TIDE_ASSIGN(auto r,
              conn.Query("SELECT pid, application_name, coalesce(client_addr::text, 'local'), "
                         "date_trunc('second', backend_start)::text "
                         "FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                         "AND datname = $1 "
                         "AND backend_type = 'client backend' AND application_name <> '' "
                         "ORDER BY backend_start",
                         {dbname}));
  for (int i = 0; i < r.rows(); ++i) {
    std::string app_name = r.Get(i, 1);
    auto split = SplitApplicationName(app_name);
    if (!split || split->first != options.app) continue;
    SessionInfo s;
    s.server = server;
    s.pid = static_cast<int>(r.GetInt(i, 0));
    s.application_name = app_name;
    s.version = split->second;
    s.host = r.Get(i, 2);
    s.backend_start = r.Get(i, 3);
    auto cmp = CompareVersions(s.version, options.version);
    s.old = !cmp || *cmp < 0;  // a version tide cannot read counts as old: refuse, do not guess
    out.push_back(std::move(s));
  }
  return Ok();
}

}  // namespace

Result<GateResult> Check(pg::Connection& primary, const GateOptions& options) {
  GateResult result;
  if (!options.app.empty()) {
    if (options.version.empty() || !CompareVersions(options.version, options.version)) {
      return Error::Usage(fmt::format("the gate needs the release every instance must run: "
                                      "--version (got '{}')",
                                      options.version))
          .WithHint("e.g. tide contract --app customer-api --version 2.0");
    }
    TIDE_ASSIGN(auto dbname, primary.QueryValue("SELECT current_database()"));
    TIDE_TRY(ListSessions(primary, "primary", dbname.value_or(""), options, result.sessions));
    for (const auto& url : options.standby_urls) TIDE_TRY(pg::ValidateConninfo(url));
    for (const auto& url : options.standby_urls) {
      auto standby = pg::Connection::Open(url, "tide-gate");
      if (!standby.ok()) {
        return Error::Refused(fmt::format("cannot check standby {}: {}", pg::RedactConninfo(url),
                                          standby.error().message()))
            .WithHint("a standby the gate cannot see might still serve the old release; fix the "
                      "URL or remove it from [gate] standby_urls");
      }
      TIDE_TRY(ListSessions(*standby, pg::RedactConninfo(url), dbname.value_or(""), options,
                            result.sessions));
    }
  }
  if (!options.check_command.empty()) {
    TIDE_ASSIGN(auto run, RunCommand({"/bin/sh", "-c", options.check_command}));
    result.check_exit = run.exit_code;
    result.check_output = run.output;
  }
  std::stable_sort(result.sessions.begin(), result.sessions.end(),
                   [](const SessionInfo& a, const SessionInfo& b) { return a.old > b.old; });
  int old = static_cast<int>(std::count_if(result.sessions.begin(), result.sessions.end(),
                                           [](const SessionInfo& s) { return s.old; }));
  result.passed = old == 0 && result.check_exit == 0;
  std::vector<std::string> parts;
  if (!options.app.empty()) {
    parts.push_back(fmt::format("{} session{} of {} older than {} ({} checked on {} server{})", old,
                                old == 1 ? "" : "s", options.app, options.version,
                                result.sessions.size(), 1 + options.standby_urls.size(),
                                options.standby_urls.empty() ? "" : "s"));
  }
  if (!options.check_command.empty()) {
    parts.push_back(fmt::format("check command exited {}", result.check_exit));
  }
  result.summary = Join(parts, "; ");
  return result;
}

}  // namespace tide::gate
