#pragma once
// The gate's view through a PgBouncer admin console. In transaction mode a client that is idle
// between transactions holds no server session, so pg_stat_activity cannot show it; SHOW CLIENTS
// lists it with its application_name. The other way round, PgBouncer leaves the last client's
// application_name on a server session it took back, so pg_stat_activity shows idle pooled
// server sessions under names of clients that may be long gone: those sessions are read
// through the pooler's clients instead (SHOW SERVERS gives their pid and local port).
// The admin console speaks the simple query protocol only.

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "gate/gate.h"

namespace tide::gate {

// A server session a pooler holds: its server pid and the pooler's port on it (-1: a Unix
// socket), as pg_stat_activity shows pid and client_port.
using PooledServer = std::pair<int, int>;

struct PoolerView {
  std::vector<SessionInfo> clients;   // the application's clients, idle ones included
  std::vector<PooledServer> servers;  // every server session of the pooler(s)
};

// Reads SHOW DATABASES, SHOW SERVERS and SHOW CLIENTS of the admin console at url: the
// application's clients of the database dbname (a pooler database that names another database,
// or none, counts too: the gate does not guess which database it reaches).
Status ReadPooler(const std::string& url, const std::string& dbname, const GateOptions& options,
                  PoolerView& view);

}  // namespace tide::gate
