#include "gate/pooler_clients.h"

#include <fmt/format.h>

#include <cstdlib>
#include <map>

#include "pg/connection.h"

namespace tide::gate {

namespace {

int Column(const pg::PgResult& r, const std::string& name) {
  for (int c = 0; c < r.columns(); ++c) {
    if (r.ColumnName(c) == name) return c;
  }
  return -1;
}

Error Unreadable(const std::string& name, const std::string& what) {
  return Error::Refused(fmt::format("{}: {}, so the gate cannot tell which release its clients "
                                    "run",
                                    name, what))
      .WithHint("the gate reads PgBouncer 1.18 or newer (SHOW CLIENTS with application_name)");
}

// Pooler database name -> the server database it reaches (SHOW DATABASES).
Result<std::map<std::string, std::string>> PoolerDatabases(pg::Connection& admin,
                                                           const std::string& name) {
  TIDE_ASSIGN(auto r, admin.Exec("SHOW DATABASES"));
  int pooled = Column(r, "name"), real = Column(r, "database");
  if (pooled < 0 || real < 0) return Unreadable(name, "SHOW DATABASES has no database column");
  std::map<std::string, std::string> out;
  for (int i = 0; i < r.rows(); ++i) out[r.Get(i, pooled)] = r.Get(i, real);
  return out;
}

Status ReadServers(pg::Connection& admin, const std::string& name, PoolerView& view) {
  TIDE_ASSIGN(auto r, admin.Exec("SHOW SERVERS"));
  int pid = Column(r, "remote_pid"), addr = Column(r, "addr"), port = Column(r, "local_port");
  if (pid < 0 || port < 0 || addr < 0) {
    return Unreadable(name, "SHOW SERVERS has no remote_pid or local_port column");
  }
  for (int i = 0; i < r.rows(); ++i) {
    bool unix_socket = r.Get(i, addr) == "unix" || r.Get(i, addr).starts_with("/");
    view.servers.emplace_back(static_cast<int>(r.GetInt(i, pid)),
                              unix_socket ? -1 : static_cast<int>(r.GetInt(i, port)));
  }
  return Ok();
}

}  // namespace

Status ReadPooler(const std::string& url, const std::string& dbname, const GateOptions& options,
                  PoolerView& view) {
  std::string name = "pooler " + pg::RedactConninfo(url);
  auto admin = pg::Connection::Open(url, "tide-gate");
  if (!admin.ok()) {
    return Error::Refused(fmt::format("cannot read the clients of {}: {}", name,
                                      pg::ScrubSecrets(admin.error().message())))
        .WithHint(
            "the URL must reach the pooler's admin console (dbname=pgbouncer) as one of "
            "its admin_users or stats_users");
  }
  TIDE_ASSIGN(auto databases, PoolerDatabases(*admin, name));
  // Servers before clients: a server session that appears in between is read in
  // pg_stat_activity under its own name (on the safe side), never missed.
  TIDE_TRY(ReadServers(*admin, name, view));
  TIDE_ASSIGN(auto r, admin->Exec("SHOW CLIENTS"));
  int app = Column(r, "application_name"), addr = Column(r, "addr"), port = Column(r, "port"),
      since = Column(r, "connect_time"), db = Column(r, "database");
  if (app < 0 || addr < 0 || since < 0 || db < 0) {
    return Unreadable(name, "SHOW CLIENTS has no application_name column");
  }
  for (int i = 0; i < r.rows(); ++i) {
    auto reached = databases.find(r.Get(i, db));
    if (reached != databases.end() && !reached->second.empty() && reached->second != dbname) {
      continue;  // a client of another database behind the same pooler
    }
    auto split = SplitApplicationName(r.Get(i, app));
    if (!split || split->first != options.app) continue;
    SessionInfo s;
    s.server = name;
    s.application_name = r.Get(i, app);
    s.version = split->second;
    s.host = r.Get(i, addr) + (port >= 0 ? ":" + r.Get(i, port) : "");
    s.backend_start = r.Get(i, since);
    auto cmp = CompareVersions(s.version, options.version);
    s.old = !cmp || *cmp < 0;  // a version tide cannot read counts as old
    view.clients.push_back(std::move(s));
  }
  return Ok();
}

}  // namespace tide::gate
