// lock-table: an explicit LOCK TABLE that blocks writes (or reads) until the migration commits.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class LockTable : public Rule {
 public:
  LockTable()
      : Rule({"lock-table", Severity::kError,
              "LOCK TABLE in a mode that blocks writes holds it until the migration commits",
              "remove it: tide takes each lock itself, briefly, with a timeout"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kLockTable || !sql::BlocksWrites(c.lock)) return;
    for (const auto& cmd : c.commands) {
      if (!Existing(file, c, cmd.table)) continue;
      Finding& f = out.Add(*this, c);
      f.message = fmt::format("LOCK TABLE {} IN {} MODE {} until the migration commits",
                              cmd.table.Display(), sql::LockName(c.lock), sql::LockEffect(c.lock));
      f.reason =
          "the lock is held for the rest of the transaction, and while it waits for "
          "running queries every later query on the table waits behind it";
      return;
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewLockTable() { return std::make_unique<LockTable>(); }

}  // namespace tide::lint::rules
