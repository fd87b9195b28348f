#pragma once
// A real PgBouncer (Debian's pgbouncer) in front of a test server: its own configuration in a
// temp folder, on a free loopback port, run as the server account when the tests run as root,
// stopped (by the pid it wrote) when the object dies. Its admin console is open to "postgres".

#include <filesystem>
#include <memory>
#include <string>

#include "base/error.h"
#include "pg/cluster.h"

namespace tide::testing {

struct PgBouncerOptions {
  std::string pool_mode = "transaction";  // session, transaction or statement
  int pool_size = 5;                      // server sessions per database and user
};

class PgBouncer {
 public:
  // Fails when pgbouncer is not installed or does not come up.
  static Result<std::unique_ptr<PgBouncer>> Start(const pg::LocalCluster& server,
                                                  const PgBouncerOptions& options = {});
  ~PgBouncer();
  PgBouncer(const PgBouncer&) = delete;

  // key=value conninfo of dbname through the pooler.
  std::string Url(const std::string& dbname) const;
  // The admin console (SHOW CLIENTS, SHOW POOLS).
  std::string AdminUrl() const { return Url("pgbouncer"); }
  int port() const { return port_; }
  std::string LogTail() const;

 private:
  PgBouncer(std::filesystem::path dir, int port) : dir_(std::move(dir)), port_(port) {}
  std::filesystem::path dir_;
  int port_;
};

}  // namespace tide::testing
