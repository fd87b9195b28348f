#include "gate/gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "base/text.h"
#include "base/subprocess.h"
#include "gate/pooler_clients.h"

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
    out += fmt::format("\n  {} {}: {} (version {}) from {}, connected since {}", s.server,
                       s.pid ? "pid " + std::to_string(s.pid) : "client", s.application_name,
                       s.version.empty() ? "?" : s.version, s.host, s.backend_start);
  }
  if (unchecked_count > 0 && !standbys_waived) {
    for (const auto& d : unchecked) out += "\n  not checked: " + d.Describe();
  }
  if (pooler_unseen) out += "\n  not seen: clients idle in the pooler (no --pooler-admin-url)";
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
// A server session a pooler the gate read holds (pid and port match SHOW SERVERS) is left out:
// its application_name may be a gone client's, and the pooler's own clients stand for it.
Status ListSessions(pg::Connection& conn, const std::string& server, const std::string& dbname,
                    const GateOptions& options, const std::vector<PooledServer>& pooled,
                    std::vector<SessionInfo>& out) {
  TIDE_ASSIGN(auto r,
              conn.Query("SELECT pid, application_name, coalesce(client_addr::text, 'local'), "
                         "date_trunc('second', backend_start)::text, coalesce(client_port, -1) "
                         "FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                         "AND datname = $1 "
                         "AND backend_type = 'client backend' AND application_name <> '' "
                         "ORDER BY backend_start",
                         {dbname}));
  for (int i = 0; i < r.rows(); ++i) {
    PooledServer id(static_cast<int>(r.GetInt(i, 0)), static_cast<int>(r.GetInt(i, 4)));
    if (std::find(pooled.begin(), pooled.end(), id) != pooled.end()) continue;
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

// Replicas of each kind streaming beyond the ones the gate read. Which physical standby a URL
// reached cannot be matched to a pg_stat_replication row, so the counts decide, and a shortfall
// lists every replica of that kind.
void CountUnchecked(const std::vector<Downstream>& downstream, int physical, int logical,
                    GateResult& result) {
  for (bool kind : {false, true}) {
    int streaming =
        static_cast<int>(std::count_if(downstream.begin(), downstream.end(),
                                       [&](const Downstream& d) { return d.logical == kind; }));
    int missing = streaming - (kind ? logical : physical);
    if (missing <= 0) continue;
    result.unchecked_count += missing;
    for (const auto& d : downstream) {
      if (d.logical == kind) result.unchecked.push_back(d);
    }
  }
}

// The application's clients of each pooler (read first: see ListSessions), then its sessions on
// the primary and on each standby URL, and the replicas streaming from each of them that the
// gate did not read.
Status CheckServers(pg::Connection& primary, const GateOptions& options, GateResult& result,
                    int& servers) {
  TIDE_ASSIGN(auto found, primary.QueryValue("SELECT current_database()"));
  std::string dbname = found.value_or("");
  PoolerView pooler;
  for (const auto& url : options.pooler_admin_urls) {
    TIDE_TRY(ReadPooler(url, dbname, options, pooler));
  }
  result.pooled_clients = static_cast<int>(pooler.clients.size());
  result.sessions = std::move(pooler.clients);
  TIDE_TRY(ListSessions(primary, "primary", dbname, options, pooler.servers, result.sessions));
  for (const auto& url : options.standby_urls) TIDE_TRY(pg::ValidateConninfo(url));
  TIDE_ASSIGN(ServerIdentity primary_id, Identify(primary));
  std::vector<ServerIdentity> seen = {primary_id};
  std::vector<Downstream> downstream;
  TIDE_TRY(ListDownstream(primary, "primary", downstream));
  int physical = 0, logical = 0;
  for (const auto& url : options.standby_urls) {
    std::string name = pg::RedactConninfo(url);
    auto standby = pg::Connection::Open(url, "tide-gate");
    if (!standby.ok()) {
      return Error::Refused(
                 fmt::format("cannot check standby {}: {}", name, standby.error().message()))
          .WithHint(
              "a standby the gate cannot see might still serve the old release; fix the "
              "URL or remove it from [gate] standby_urls");
    }
    TIDE_ASSIGN(ServerIdentity id, Identify(*standby));
    bool again = std::any_of(seen.begin(), seen.end(),
                             [&](const ServerIdentity& s) { return s.SameServer(id); });
    if (again) continue;  // another URL of a server already read: it counts once
    seen.push_back(id);
    (id.in_recovery ? physical : logical)++;
    TIDE_TRY(ListSessions(*standby, name, dbname, options, pooler.servers, result.sessions));
    TIDE_TRY(ListDownstream(*standby, name, downstream));
  }
  servers = static_cast<int>(seen.size());
  CountUnchecked(downstream, physical, logical, result);
  return Ok();
}

std::string UncheckedText(const GateResult& result) {
  int n = result.unchecked_count;
  return fmt::format("{} replica{} streaming and not checked", n, n == 1 ? "" : "s");
}

}  // namespace

std::string GateResult::Headline() const {
  std::vector<std::string> parts;
  if (std::any_of(sessions.begin(), sessions.end(), [](const SessionInfo& s) { return s.old; })) {
    parts.push_back("old instances are still connected");
  }
  if (unchecked_count > 0 && !standbys_waived) {
    parts.push_back(
        fmt::format("{} server{} replicate{} from the database and the gate did not "
                    "read {}",
                    unchecked_count, unchecked_count == 1 ? "" : "s",
                    unchecked_count == 1 ? "s" : "", unchecked_count == 1 ? "it" : "them"));
  }
  if (pooler_unseen) {
    parts.push_back(
        "tide reaches the database past a connection pooler and cannot see the clients idle "
        "in it (in transaction mode they hold no server session)");
  }
  if (check_exit != 0) parts.push_back("the check command failed");
  return Join(parts, "; ");
}

std::string GateResult::Hint() const {
  std::vector<std::string> parts;
  if (unchecked_count > 0 && !standbys_waived) {
    parts.push_back(
        "name every standby the application can reach: --standby URL (repeatable) or "
        "[gate] standby_urls; when none of them can serve the old release, "
        "--skip-standbys \"reason\" (recorded)");
  }
  if (std::any_of(sessions.begin(), sessions.end(), [](const SessionInfo& s) { return s.old; }) ||
      check_exit != 0) {
    parts.push_back("finish the rollout (every instance on the new release) first");
  }
  if (pooler_unseen) {
    parts.push_back(
        "give the gate the pooler's admin console, where SHOW CLIENTS lists idle clients too: "
        "--pooler-admin-url postgresql://pgbouncer@pooler:6432/pgbouncer (repeatable) or "
        "[gate] pooler_admin_urls; when no instance of the application connects through a "
        "pooler, --skip-pooler-clients \"reason\" (recorded)");
  }
  return Join(parts, "; ");
}

namespace {

std::string Summary(const GateResult& result, const GateOptions& options, int old, int servers) {
  std::vector<std::string> parts;
  if (!options.app.empty()) {
    parts.push_back(fmt::format("{} session{} of {} older than {} ({} checked on {} server{})", old,
                                old == 1 ? "" : "s", options.app, options.version,
                                result.sessions.size(), servers, servers == 1 ? "" : "s"));
  }
  if (!options.pooler_admin_urls.empty() && !options.app.empty()) {
    size_t n = options.pooler_admin_urls.size();
    parts.push_back(fmt::format("{} client{} of {} pooler{} listed, idle ones included",
                                result.pooled_clients, result.pooled_clients == 1 ? "" : "s", n,
                                n == 1 ? "" : "s"));
  } else if (result.pooler_waived) {
    parts.push_back("clients idle in the pooler not seen, waived: " +
                    options.skip_pooler_clients_reason);
  } else if (result.pooler_unseen) {
    parts.push_back("clients idle in the pooler not seen (no --pooler-admin-url)");
  }
  if (result.standbys_waived) {
    parts.push_back(UncheckedText(result) + ", waived: " + options.skip_standbys_reason);
  } else if (result.unchecked_count > 0) {
    parts.push_back(UncheckedText(result));
  }
  if (!options.check_command.empty()) {
    parts.push_back(fmt::format("check command exited {}", result.check_exit));
  }
  return Join(parts, "; ");
}

}  // namespace

Result<GateResult> Check(pg::Connection& primary, const GateOptions& options) {
  GateResult result;
  int servers = 1;
  if (!options.app.empty()) {
    if (options.version.empty() || !CompareVersions(options.version, options.version)) {
      return Error::Usage(fmt::format("the gate needs the release every instance must run: "
                                      "--version (got '{}')",
                                      options.version))
          .WithHint("e.g. tide contract --app customer-api --version 2.0");
    }
    TIDE_TRY(CheckServers(primary, options, result, servers));
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
  result.standbys_waived = result.unchecked_count > 0 && !options.skip_standbys_reason.empty();
  // Past a pooler with no admin console to read, an idle client of the old release is invisible:
  // say so and refuse, unless waived with a reason (as for standbys the gate did not read).
  bool blind = !options.app.empty() && options.behind_pooler && options.pooler_admin_urls.empty();
  result.pooler_waived = blind && !options.skip_pooler_clients_reason.empty();
  result.pooler_unseen = blind && !result.pooler_waived;
  result.passed = old == 0 && result.check_exit == 0 &&
                  (result.unchecked_count == 0 || result.standbys_waived) &&
                  !result.pooler_unseen;
  result.summary = Summary(result, options, old, servers);
  return result;
}

}  // namespace tide::gate
