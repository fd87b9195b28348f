#pragma once
// Concurrent index operations. CREATE INDEX CONCURRENTLY can fail half-way and leave an INVALID
// index that slows every write and blocks a retry under the same name: tide drops such a
// leftover (concurrently) before each attempt and after a failed one, and takes a VALID index of
// the same name as the finished work of an earlier, interrupted run.

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "base/reporter.h"
#include "exec/lock_retry.h"
#include "pg/connection.h"
#include "plan/step.h"

namespace tide::exec {

class IndexBuilder {
 public:
  IndexBuilder(pg::Connection& conn, LockRetry& retry, Reporter& reporter)
      : conn_(conn), retry_(retry), reporter_(reporter) {}

  // step: a kCreateIndexConcurrently step. outputs holds what must survive a crash (the indexes
  // that existed before an unnamed build); save is called after outputs change.
  Status Create(const plan::Step& step, nlohmann::json& outputs, int step_index,
                const std::function<Status()>& save);
  // DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY, with their leftovers cleaned.
  Status Drop(const plan::Step& step);
  Status Reindex(const plan::Step& step);

 private:
  struct IndexInfo {
    std::string name;
    bool valid = false;
  };
  Result<std::vector<IndexInfo>> IndexesOf(const std::string& table);
  Status DropIndex(const std::string& schema_qualified_name);
  Result<std::string> SchemaOf(const std::string& table);

  pg::Connection& conn_;
  LockRetry& retry_;
  Reporter& reporter_;
};

}  // namespace tide::exec
