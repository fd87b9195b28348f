#pragma once
// A Flyway JDBC URL for PostgreSQL (jdbc:postgresql://host:port/db?user=..&ssl=..) turned into
// the libpq key=value connection string that means the same connection. pgjdbc properties that
// have a libpq equivalent are translated; the others are named in warnings, never dropped in
// silence.

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tide::config {

struct JdbcConversion {
  std::string conninfo;               // key=value pairs, values quoted as libpq wants
  std::vector<std::string> warnings;  // pgjdbc properties tide cannot honour
};

// user and password (flyway.user / flyway.password) apply unless the URL sets them itself, as
// with pgjdbc, where the URL's properties win. Input error for a non-PostgreSQL or malformed URL;
// its message never contains the password.
Result<JdbcConversion> JdbcToConninfo(const std::string& jdbc_url,
                                      const std::optional<std::string>& user,
                                      const std::optional<std::string>& password);

// A value quoted for a libpq key=value string: 'it''s' becomes 'it\'s'.
std::string QuoteConninfoValue(const std::string& value);

}  // namespace tide::config
