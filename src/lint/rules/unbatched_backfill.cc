// unbatched-backfill: a whole-table UPDATE or DELETE as one statement (when no lock of the
// same transaction makes it worse: that is backfill-in-ddl-transaction).
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {

const sql::Classified* LockingStatementBefore(const FileContext& file, const sql::Classified& c,
                                              const sql::Command** locked);

namespace {

class UnbatchedBackfill : public Rule {
 public:
  UnbatchedBackfill()
      : Rule({"unbatched-backfill", Severity::kWarning,
              "a whole-table UPDATE or DELETE as one statement",
              "batch it by key range, each batch committed on its own"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (!WholeTableDml(c) || !Existing(file, c, c.table)) return;
    const sql::Command* locked = nullptr;
    if (LockingStatementBefore(file, c, &locked)) return;
    std::string verb = c.action == sql::Action::kUpdate ? "UPDATE" : "DELETE";
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("whole-table {} of {} in one statement", verb, c.table.Display());
    f.reason = fmt::format(
        "one {} keeps every row it changed locked until it commits (application writes to them "
        "wait), writes its WAL in one burst that standbys replay late, and leaves a dead copy "
        "of every row",
        verb);
    if (c.dml->has_returning || c.dml->has_with) {
      f.help = "drop the RETURNING / WITH so it can be batched, or batch it by key range";
    }
    Findings::MadeSafeBy(f, file.Note(c.index, {"batched-backfill"}));
  }
};

}  // namespace

std::unique_ptr<Rule> NewUnbatchedBackfill() { return std::make_unique<UnbatchedBackfill>(); }

}  // namespace tide::lint::rules
