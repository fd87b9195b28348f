// backfill-in-ddl-transaction: a whole-table UPDATE or DELETE in the transaction of a statement
// that locked a table against writes: the lock is held for the whole data change (the seed's
// V1.1: ADD COLUMN, then UPDATE of every row, in one transaction: a 9 s stall at 2M rows).
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {

// The statement before c, in its transaction, that holds a write-blocking lock on a table that
// existed before the file; nullptr when none. Shared with unbatched-backfill.
const sql::Classified* LockingStatementBefore(const FileContext& file, const sql::Classified& c,
                                              const sql::Command** locked);

const sql::Classified* LockingStatementBefore(const FileContext& file, const sql::Classified& c,
                                              const sql::Command** locked) {
  for (size_t index : file.WriteLockingStatements()) {
    if (index >= c.index) break;
    if (file.Segment(index) != file.Segment(c.index)) continue;
    const sql::Classified& earlier = file.script().classified[index];
    for (const auto& cmd : earlier.commands) {
      if (sql::BlocksWrites(cmd.lock) && !cmd.table.empty() && Existing(file, earlier, cmd.table)) {
        *locked = &cmd;
        return &earlier;
      }
    }
  }
  return nullptr;
}

namespace {

class BackfillInDdlTransaction : public Rule {
 public:
  BackfillInDdlTransaction()
      : Rule({"backfill-in-ddl-transaction", Severity::kError,
              "a whole-table UPDATE or DELETE in the transaction of a statement that locked a "
              "table",
              "give the backfill its own migration (or COMMIT before it), in batches of a few "
              "thousand rows, each committed on its own"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (!WholeTableDml(c) || !Existing(file, c, c.table)) return;
    const sql::Command* locked = nullptr;
    const sql::Classified* ddl = LockingStatementBefore(file, c, &locked);
    if (!ddl) return;
    std::string verb = c.action == sql::Action::kUpdate ? "UPDATE" : "DELETE";
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("whole-table {} of {} in the same transaction as line {} ({})", verb,
                            c.table.Display(), ddl->line(), ddl->summary);
    f.reason = fmt::format(
        "line {} holds {} on {} until the migration commits, so the application waits for the "
        "whole {}; the {} also keeps every row it changed locked until then",
        ddl->line(), LockPhrase(locked->lock), locked->table.Display(), verb, verb);
    Findings::MadeSafeBy(f, file.Note(c.index, {"batched-backfill"}));
  }
};

}  // namespace

std::unique_ptr<Rule> NewBackfillInDdlTransaction() {
  return std::make_unique<BackfillInDdlTransaction>();
}

}  // namespace tide::lint::rules
