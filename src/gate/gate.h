#pragma once
// The replica gate: before a contract, is any instance of the old release still connected?
// Applications name themselves in application_name as NAME/VERSION (or NAME@VERSION); the gate
// reads pg_stat_activity on the primary and on each standby and passes only when no session of
// NAME is older than the required version. Apps that cannot set application_name use a check
// command instead (as the seed's verify-all-replicas.sh does): exit 0 passes.
// Sessions on a server the gate did not read cannot be seen, so a session check also counts the
// standbys and logical subscribers streaming from every server it read (pg_stat_replication) and
// refuses when it read fewer, unless that was waived with a reason. Clients of a PgBouncer come
// from its admin console (gate/pooler_clients.h); past a pooler without one, the gate refuses
// unless that was waived too.

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "gate/replicas.h"
#include "pg/connection.h"

namespace tide::gate {

// "customer-api/1.4.2" -> {"customer-api", "1.4.2"}; nullopt when there is no separator.
std::optional<std::pair<std::string, std::string>> SplitApplicationName(const std::string& name);

// Compares dotted numeric versions ("1.10" > "1.9", "2" == "2.0"); a suffix after the numbers
// ("1.4.2-rc1") sorts before the plain version. nullopt when a is not a version.
std::optional<int> CompareVersions(const std::string& a, const std::string& b);

struct GateOptions {
  std::string app;                        // NAME in application_name
  std::string version;                    // the release every instance must run (or newer)
  std::vector<std::string> standby_urls;  // also checked
  std::string check_command;              // run by /bin/sh -c; exit 0 passes
  // PgBouncer admin consoles (dbname=pgbouncer) whose SHOW CLIENTS lists the application's
  // clients, idle ones included: in transaction mode an idle client has no server session.
  std::vector<std::string> pooler_admin_urls;
  // tide itself was given a pooled URL (--direct-url is set): with no pooler_admin_urls the gate
  // cannot see clients idle in the pooler, says so and refuses, unless this reason waives it.
  bool behind_pooler = false;
  std::string skip_pooler_clients_reason;
  // Set: streaming standbys the gate did not check do not make it refuse; the reason is part of
  // the summary (recorded in tide_run_log).
  std::string skip_standbys_reason;
  bool configured() const { return !app.empty() || !check_command.empty(); }
};

struct SessionInfo {
  std::string server;  // "primary" or the standby's redacted address
  int pid = 0;
  std::string application_name;
  std::string version;  // from application_name
  std::string host;     // client address, or "local"
  std::string backend_start;
  bool old = false;     // older than the required version (or no readable version)
};

struct GateResult {
  bool passed = false;
  std::vector<SessionInfo> sessions;  // every session of the app, old ones first
  int check_exit = 0;
  std::string check_output;
  // Replicas streaming from a checked server beyond the servers the gate read (all of one kind
  // when it read fewer of that kind than stream: it cannot tell which one it missed).
  std::vector<Downstream> unchecked;
  int unchecked_count = 0;       // how many of them the gate is short
  bool standbys_waived = false;  // unchecked ones, allowed by skip_standbys_reason
  int pooled_clients = 0;        // the application's clients listed by pooler admin consoles
  bool pooler_unseen = false;    // past a pooler with no admin console: idle clients unseen
  bool pooler_waived = false;    // ... allowed by skip_pooler_clients_reason
  std::string summary;           // one line for logs and the audit table
  std::string Headline() const;  // why it refused, in one line
  std::string Hint() const;      // what to do about it
  std::string Describe() const;  // the refusal text: the old sessions, one per line
};

Result<GateResult> Check(pg::Connection& primary, const GateOptions& options);

}  // namespace tide::gate
