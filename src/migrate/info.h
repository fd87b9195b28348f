#pragma once
// What `tide info` shows, computed: each migration's Flyway state with tide's own (a run that
// stopped half-way, a declarative migration between its halves), the schema version, and the
// recent runs from the audit log. The command only prints it.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "config/settings.h"
#include "source/discovery.h"
#include "store/audit.h"
#include "store/session.h"

namespace tide::migrate {

struct InfoRow {
  // Category, Version, Description, Phase, Installed On, State, Time.
  std::vector<std::string> cells;
  nlohmann::json json;  // the row of `tide --json info`
};

struct InfoReport {
  std::string schema_version;  // empty: no migration applied
  std::string history_table;   // quoted
  std::vector<InfoRow> migrations;
  // Newest first. A run still 'running' while no session holds the migration lock was killed
  // or lost its connection: it reads as interrupted.
  std::vector<store::AuditEntry> runs;
};

Result<InfoReport> BuildInfo(store::Session& session, const config::Settings& settings,
                             source::Discovery& discovery, const std::string& target,
                             bool out_of_order);

}  // namespace tide::migrate
