#include "migrate/session.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tide::migrate {

Result<Session> Session::Open(const config::Settings& settings) {
  TIDE_ASSIGN(std::string url, settings.RequireUrl());
  TIDE_ASSIGN(pg::Connection conn, pg::Connection::Open(url));
  std::string schema = settings.schema;
  std::string search_path;
  if (schema.empty()) {
    TIDE_ASSIGN(auto current, conn.QueryValue("SELECT current_schema()"));
    if (!current) {
      return Error::Usage("the connection has no current schema (search_path is empty)")
          .WithHint("pass --schema NAME");
    }
    schema = *current;
  } else {
    // As Flyway does with its default schema: unqualified names in migrations land in it.
    search_path = QuoteIdent(schema);
    TIDE_TRY(conn.Query("SELECT set_config('search_path', $1, false)", {search_path}));
  }
  return Session(std::move(conn), HistoryTable(schema, settings.history_table), search_path);
}

Status Session::Reconnect() {
  TIDE_TRY(conn_.Reconnect());
  if (!search_path_.empty()) {
    TIDE_TRY(conn_.Query("SELECT set_config('search_path', $1, false)", {search_path_}));
  }
  return Ok();
}

Result<Discovery> DiscoverMigrations(const config::Settings& settings, exec::Reporter& reporter) {
  TIDE_ASSIGN(Discovery found, Discover(settings.locations));
  for (const auto& w : found.warnings) reporter.Warn(w);
  return found;
}

}  // namespace tide::migrate
