#include "gate/replicas.h"

#include <fmt/format.h>

namespace tide::gate {

std::string Downstream::Describe() const {
  std::string what = logical ? "logical subscriber" : "standby";
  std::string out = fmt::format("{} '{}' at {}, replicating from {} (state {}", what,
                                name.empty() ? "?" : name, client, upstream, state);
  if (!slot.empty()) out += ", slot " + slot;
  return out + ")";
}

Result<ServerIdentity> Identify(pg::Connection& conn) {
  auto full = conn.Exec("SELECT system_identifier::text, pg_postmaster_start_time()::text, "
                        "pg_is_in_recovery() FROM pg_control_system()");
  // Managed services often revoke pg_control_system() from PUBLIC: the start time alone still
  // tells servers apart (a primary and its standbys were not started in the same microsecond).
  if (!full.ok()) {
    full = conn.Exec("SELECT '', pg_postmaster_start_time()::text, pg_is_in_recovery()");
  }
  if (!full.ok()) return full.error();
  ServerIdentity id;
  if (full->rows() == 1) {
    id.system_identifier = full->Get(0, 0);
    id.started = full->Get(0, 1);
    id.in_recovery = full->GetBool(0, 2);
  }
  return id;
}

Status ListDownstream(pg::Connection& conn, const std::string& server,
                      std::vector<Downstream>& out) {
  // A role without pg_read_all_stats sees the rows but not their state: such a row counts (it
  // may be a standby), so the gate errs towards refusing.
  TIDE_ASSIGN(auto r, conn.Exec("SELECT coalesce(s.slot_type = 'logical', false), "
                                "coalesce(r.application_name, ''), "
                                "coalesce(r.client_addr::text, 'local'), coalesce(r.state, '?'), "
                                "coalesce(s.slot_name::text, '') "
                                "FROM pg_stat_replication r "
                                "LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid "
                                "WHERE r.state IS DISTINCT FROM 'backup' ORDER BY r.pid"));
  for (int i = 0; i < r.rows(); ++i) {
    Downstream d;
    d.logical = r.GetBool(i, 0);
    d.upstream = server;
    d.name = r.Get(i, 1);
    d.client = r.Get(i, 2);
    d.state = r.Get(i, 3);
    d.slot = r.Get(i, 4);
    out.push_back(std::move(d));
  }
  return Ok();
}

}  // namespace tide::gate
