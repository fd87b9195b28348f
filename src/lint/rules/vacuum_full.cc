// vacuum-full: VACUUM FULL rewrites the table under ACCESS EXCLUSIVE.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class VacuumFull : public Rule {
 public:
  VacuumFull()
      : Rule({"vacuum-full", Severity::kError,
              "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
              "use pg_repack, or plain VACUUM (which does not block); schema migrations are the "
              "wrong place for table maintenance"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kVacuumFull) return;
    std::string what = c.table.empty() ? "every table of the database" : c.table.Display();
    if (!c.table.empty() && !Existing(file, c, c.table)) return;
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("VACUUM FULL rewrites {} under ACCESS EXCLUSIVE", what);
    f.reason = fmt::format("it writes a new copy of {} and its indexes while it holds {}", what,
                           LockPhrase(sql::Lock::kAccessExclusive));
  }
};

}  // namespace

std::unique_ptr<Rule> NewVacuumFull() { return std::make_unique<VacuumFull>(); }

}  // namespace tide::lint::rules
