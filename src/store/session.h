#pragma once
// A connection to the target database with what every command resolves first: the schema that
// holds the history table (search_path set to it when one is configured) and the history table.

#include <string>

#include "base/error.h"
#include "base/reporter.h"
#include "config/settings.h"
#include "pg/connection.h"
#include "source/discovery.h"
#include "store/history.h"

namespace tide::store {

class Session {
 public:
  static Result<Session> Open(const config::Settings& settings);

  pg::Connection& conn() { return conn_; }
  const HistoryTable& history() const { return history_; }
  const std::string& schema() const { return history_.schema(); }
  // Opens the connection again after it was lost (exec/reconnect.h) and restores what Open
  // set on it. Session state the server dropped with it (locks, SET) is the caller's.
  Status Reconnect();

 private:
  Session(pg::Connection conn, HistoryTable history, std::string search_path)
      : conn_(std::move(conn)),
        history_(std::move(history)),
        search_path_(std::move(search_path)) {}
  pg::Connection conn_;
  HistoryTable history_;
  std::string search_path_;  // set by Open from --schema; empty: the server's default
};

}  // namespace tide::store
