// truncate: TRUNCATE of an existing table deletes its rows under ACCESS EXCLUSIVE.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class Truncate : public Rule {
 public:
  Truncate()
      : Rule({"truncate", Severity::kError,
              "TRUNCATE of an existing table deletes every row under ACCESS EXCLUSIVE",
              "delete in batches (DELETE ... WHERE, which tide migrate batches), or drop the "
              "table in a contract migration once nothing uses it"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kTruncate) return;
    std::vector<std::string> tables;
    for (const auto& cmd : c.commands) {
      if (Existing(file, c, cmd.table)) tables.push_back(cmd.table.Display());
    }
    if (tables.empty()) return;
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("TRUNCATE deletes every row of {}", fmt::join(tables, ", "));
    f.reason = fmt::format(
        "the running release loses the rows it reads, and waits for {} meanwhile; every "
        "environment that replays the migration loses them too",
        LockPhrase(sql::Lock::kAccessExclusive));
  }
};

}  // namespace

std::unique_ptr<Rule> NewTruncate() { return std::make_unique<Truncate>(); }

}  // namespace tide::lint::rules
