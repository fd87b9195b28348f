#pragma once
// A server where tide may create and drop databases of its own: the one the user named (a
// URL; tide touches only the databases it creates there), or a throwaway cluster (LocalCluster)
// in a temporary folder, removed with this object. Rehearsals and the drift check's replay use it.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "pg/cluster.h"

namespace tide::pg {

class ScratchServer {
 public:
  // url empty: a throwaway cluster (durable: fsync on; settings: extra postgresql.conf lines).
  static Result<std::unique_ptr<ScratchServer>> Open(const std::string& url, bool durable = false,
                                                     std::vector<std::string> settings = {});
  ~ScratchServer();
  ScratchServer() = default;
  ScratchServer(const ScratchServer&) = delete;

  // conninfo of database name on this server.
  Result<std::string> Database(const std::string& name) const;
  const std::string& url() const { return url_; }
  bool throwaway() const { return cluster_.has_value(); }

 private:
  std::string url_;
  std::filesystem::path dir_;
  std::optional<LocalCluster> cluster_;
};

}  // namespace tide::pg
