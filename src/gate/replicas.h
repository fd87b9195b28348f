#pragma once
// Which servers replicate from a server, so the gate can tell when it checked fewer servers than
// are streaming: an old release connected to a standby nobody named would otherwise pass unseen.

#include <string>
#include <vector>

#include "base/error.h"
#include "pg/connection.h"

namespace tide::gate {

// A replication connection seen in pg_stat_replication on a checked server.
struct Downstream {
  bool logical = false;  // a logical subscriber (its slot is logical); else a physical standby
  std::string upstream;  // the server it streams from ("primary" or a standby's address)
  std::string name;      // application_name (a standby's cluster_name, a subscription's name)
  std::string client;    // client address, or "local"
  std::string state;     // streaming, catchup, ... ("?" when the role may not read it)
  std::string slot;      // replication slot, or ""
  std::string Describe() const;
};

// What tide can tell about the server a connection reached.
struct ServerIdentity {
  std::string system_identifier;  // shared by a primary and its physical standbys
  std::string started;            // postmaster start time: tells servers of one system apart
  bool in_recovery = false;       // a physical standby
  bool SameServer(const ServerIdentity& other) const {
    return system_identifier == other.system_identifier && started == other.started;
  }
};

Result<ServerIdentity> Identify(pg::Connection& conn);

// Replication connections to conn's server, except base backups (pg_basebackup) in progress.
Status ListDownstream(pg::Connection& conn, const std::string& server,
                      std::vector<Downstream>& out);

}  // namespace tide::gate
