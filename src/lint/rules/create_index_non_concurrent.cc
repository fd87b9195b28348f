// create-index-non-concurrent: CREATE INDEX holds SHARE for the whole build, blocking writes.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class CreateIndexNonConcurrent : public Rule {
 public:
  CreateIndexNonConcurrent()
      : Rule({"create-index-non-concurrent", Severity::kError,
              "CREATE INDEX without CONCURRENTLY on an existing table blocks its writes",
              "CREATE INDEX CONCURRENTLY, outside a transaction block"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kCreateIndex) return;
    const sql::Command& cmd = c.commands.at(0);
    if (cmd.concurrently || !Existing(file, c, c.table)) return;
    // On a partitioned table CONCURRENTLY is refused: create-index-partitioned says what to do.
    if (file.history().IsPartitioned(c.table)) return;
    Finding& f = out.Add(*this, c);
    std::string name = cmd.object_name.empty() ? "" : cmd.object_name + " ";
    f.message = fmt::format("CREATE {}INDEX {}blocks writes to {} while it builds",
                            cmd.unique ? "UNIQUE " : "", name, c.table.Display());
    f.reason = fmt::format(
        "CREATE INDEX holds {} on {} for the whole build, which reads every row: INSERT, "
        "UPDATE and DELETE wait until it ends, longer the bigger the table",
        LockPhrase(sql::Lock::kShare), c.table.Display());
    f.help =
        "CREATE INDEX CONCURRENTLY, outside a transaction block: it takes SHARE UPDATE "
        "EXCLUSIVE, so reads and writes go on while it builds";
    Findings::MadeSafeBy(f, file.Note(c.index, {"create-index-concurrently"}));
  }
};

}  // namespace

std::unique_ptr<Rule> NewCreateIndexNonConcurrent() {
  return std::make_unique<CreateIndexNonConcurrent>();
}

}  // namespace tide::lint::rules
