// reindex-non-concurrent: REINDEX blocks writes to the table and locks the indexes it rebuilds.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class ReindexNonConcurrent : public Rule {
 public:
  ReindexNonConcurrent()
      : Rule({"reindex-non-concurrent", Severity::kError,
              "REINDEX without CONCURRENTLY blocks writes while it rebuilds",
              "REINDEX ... CONCURRENTLY, outside a transaction block"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.action != sql::Action::kReindex) return;
    const sql::Command& cmd = c.commands.at(0);
    if (cmd.concurrently || !Existing(file, c, c.table)) return;
    Finding& f = out.Add(*this, c);
    std::string what = !c.table.empty()           ? "table " + c.table.Display()
                       : !cmd.object_name.empty() ? "index " + cmd.object_name
                                                  : "a whole schema or database";
    f.message = fmt::format("REINDEX of {} blocks writes while it rebuilds", what);
    f.reason =
        "REINDEX holds SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each "
        "index it rebuilds (queries that would use it wait too), for the whole rebuild";
    f.help =
        "REINDEX ... CONCURRENTLY, outside a transaction block: it builds a new copy of the "
        "index beside the old one under SHARE UPDATE EXCLUSIVE";
    Findings::MadeSafeBy(f, file.Note(c.index, {"reindex-concurrently"}));
  }
};

}  // namespace

std::unique_ptr<Rule> NewReindexNonConcurrent() { return std::make_unique<ReindexNonConcurrent>(); }

}  // namespace tide::lint::rules
