// concurrently-in-transaction: CONCURRENTLY (and VACUUM, and the like) inside BEGIN ... COMMIT.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

class ConcurrentlyInTransaction : public Rule {
 public:
  ConcurrentlyInTransaction()
      : Rule({"concurrently-in-transaction", Severity::kError,
              "a statement that cannot run in a transaction block is inside BEGIN ... COMMIT",
              "remove the BEGIN/COMMIT around it, or give it a migration of its own"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    if (c.transactional || c.action == sql::Action::kTransaction) return;
    if (!file.InExplicitBlock(c.index)) return;
    size_t begin = OpeningBegin(file, c.index);
    Finding& f = out.Add(*this, c);
    f.message = fmt::format("{} cannot run inside the transaction block opened at line {}", Name(c),
                            file.script().classified[begin].line());
    f.reason =
        "PostgreSQL refuses it (\"cannot run inside a transaction block\"): the migration "
        "fails at this statement, after the ones before it ran";
    // tide decides the transactions itself: it skips the file's BEGIN/COMMIT and runs this
    // statement on its own, outside any transaction.
    Findings::MadeSafeBy(f, file.Note(begin, {"transaction-control"}));
  }

 private:
  static size_t OpeningBegin(const FileContext& file, size_t index) {
    for (size_t i = index; i-- > 0;) {
      if (file.script().classified[i].action == sql::Action::kTransaction) return i;
    }
    return 0;
  }
  static std::string Name(const sql::Classified& c) {
    switch (c.action) {
      case sql::Action::kCreateIndex:
        return "CREATE INDEX CONCURRENTLY";
      case sql::Action::kDropIndex:
        return "DROP INDEX CONCURRENTLY";
      case sql::Action::kReindex:
        return "REINDEX CONCURRENTLY";
      case sql::Action::kDetachPartition:
        return "DETACH PARTITION CONCURRENTLY";
      default:
        return c.statement->node_type == "VacuumStmt" ? "VACUUM" : c.summary;
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewConcurrentlyInTransaction() {
  return std::make_unique<ConcurrentlyInTransaction>();
}

}  // namespace tide::lint::rules
