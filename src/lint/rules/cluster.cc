// cluster: CLUSTER rewrites the table in index order under ACCESS EXCLUSIVE.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class Cluster : public Rule {
 public:
  Cluster()
      : Rule({"cluster", Severity::kError, "CLUSTER rewrites the table under ACCESS EXCLUSIVE",
              "use pg_repack --order-by, which reorders without blocking; schema migrations are "
              "the wrong place for table maintenance"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kCluster) return;
    if (!c.table.empty() && !Existing(file, c, c.table)) return;
    std::string what = c.table.empty() ? "every table clustered before" : c.table.Display();
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("CLUSTER rewrites {} under ACCESS EXCLUSIVE", what);
    f.reason = fmt::format("it writes a new, sorted copy of {} and its indexes while it holds {}",
                           what, LockPhrase(sql::Lock::kAccessExclusive));
  }
};

}  // namespace

std::unique_ptr<Rule> NewCluster() { return std::make_unique<Cluster>(); }

}  // namespace tide::lint::rules
