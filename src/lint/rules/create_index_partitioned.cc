// create-index-partitioned: CREATE INDEX on a partitioned table builds every partition's index
// under SHARE locks, and PostgreSQL refuses CONCURRENTLY on a partitioned table. Offline, lint
// knows a table is partitioned when an earlier file created it with PARTITION BY.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class CreateIndexPartitioned : public Rule {
 public:
  CreateIndexPartitioned()
      : Rule({"create-index-partitioned", Severity::kError,
              "CREATE INDEX on a partitioned table blocks writes to every partition, and "
              "CONCURRENTLY is refused on it",
              "CREATE INDEX ... ON ONLY the parent (no build), CREATE INDEX CONCURRENTLY on each "
              "partition, then ALTER INDEX parent_index ATTACH PARTITION each partition's index; "
              "the parent's index becomes valid with the last attach"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kCreateIndex) return;
    const sql::Command& cmd = c.commands.at(0);
    if (cmd.only || !Existing(file, c, c.table) || !file.history().IsPartitioned(c.table)) return;
    Finding& f = out.Add(*this, c);
    std::string name = cmd.object_name.empty() ? "" : cmd.object_name + " ";
    if (cmd.concurrently) {
      f.message = fmt::format("CREATE {}INDEX CONCURRENTLY {}on the partitioned table {} fails",
                              cmd.unique ? "UNIQUE " : "", name, c.table.Display());
      f.reason = "PostgreSQL refuses CONCURRENTLY on a partitioned table (\"cannot create index "
                 "on partitioned table concurrently\"): the migration fails at this statement";
    } else {
      f.message = fmt::format("CREATE {}INDEX {}blocks writes to every partition of {} while it "
                              "builds",
                              cmd.unique ? "UNIQUE " : "", name, c.table.Display());
      f.reason = fmt::format(
          "on a partitioned table CREATE INDEX builds each partition's index in turn, holding {} "
          "on the parent and on each partition until the last is built: INSERT, UPDATE and "
          "DELETE on the whole table wait, longer the bigger it is",
          LockPhrase(sql::Lock::kShare));
    }
    Findings::MadeSafeBy(f, file.Note(c.index, {"create-index-partitioned"}));
  }
};

}  // namespace

std::unique_ptr<Rule> NewCreateIndexPartitioned() {
  return std::make_unique<CreateIndexPartitioned>();
}

}  // namespace tide::lint::rules
