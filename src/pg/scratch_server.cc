#include "pg/scratch_server.h"

#include <stdlib.h>

#include "pg/connection.h"

namespace tide::pg {

namespace fs = std::filesystem;

Result<std::unique_ptr<ScratchServer>> ScratchServer::Open(const std::string& url, bool durable,
                                                           std::vector<std::string> settings) {
  auto server = std::make_unique<ScratchServer>();
  if (!url.empty()) {
    server->url_ = url;
    return server;
  }
  char tmpl[] = "/tmp/tide-scratch-XXXXXX";
  const char* made = mkdtemp(tmpl);
  if (!made) return Error::Io("cannot make a temporary folder");
  server->dir_ = made;
  // The server account (as root: postgres) must reach the cluster folder inside.
  fs::permissions(server->dir_, fs::perms::others_exec, fs::perm_options::add);
  ClusterOptions co;
  co.dir = server->dir_ / "cluster";
  co.durable = durable;
  co.settings = std::move(settings);
  TIDE_ASSIGN(auto cluster, LocalCluster::Create(co));
  server->url_ = cluster.SocketUrl();
  server->cluster_ = std::move(cluster);
  return server;
}

ScratchServer::~ScratchServer() {
  if (cluster_) (void)cluster_->Destroy();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Result<std::string> ScratchServer::Database(const std::string& name) const {
  return WithDatabase(url_, name);
}

}  // namespace tide::pg
