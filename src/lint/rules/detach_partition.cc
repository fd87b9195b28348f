// detach-partition: DETACH PARTITION takes ACCESS EXCLUSIVE on the parent; PostgreSQL 14 added
// CONCURRENTLY, so what to do, and whether CONCURRENTLY exists, depends on --pg-version.
#include <fmt/format.h>

#include "lint/rules/common.h"
#include "lint/rules/rules.h"

namespace tide::lint::rules {
namespace {

constexpr int kConcurrentDetachSince = 14;

class DetachPartition : public Rule {
 public:
  DetachPartition()
      : Rule({"detach-partition", Severity::kWarning,
              "DETACH PARTITION without CONCURRENTLY locks the parent against reads and writes "
              "(CONCURRENTLY needs PostgreSQL 14)",
              "PostgreSQL 14+: DETACH PARTITION ... CONCURRENTLY, outside a transaction block"}) {}

  void CheckStatement(const FileContext& file, const sql::Classified& c,
                      Findings& out) const override {
    int version = file.options().pg_version;
    for (const auto& cmd : c.commands) {
      if (cmd.action != sql::Action::kDetachPartition || !Existing(file, c, cmd.table)) continue;
      if (cmd.concurrently) {
        if (version >= kConcurrentDetachSince) continue;
        Finding& f = out.Add(*this, c, &cmd);
        f.severity = f.rule_severity = Severity::kError;
        f.message = fmt::format(
            "DETACH PARTITION ... CONCURRENTLY needs PostgreSQL {}; the "
            "target is {}",
            kConcurrentDetachSince, version);
        f.reason = "PostgreSQL before 14 rejects it as a syntax error: the migration fails";
        f.help =
            "detach without CONCURRENTLY (ACCESS EXCLUSIVE on the parent, briefly), or "
            "raise --pg-version if the server is newer";
        continue;
      }
      Finding& f = out.Add(*this, c, &cmd);
      f.message = fmt::format("DETACH PARTITION takes ACCESS EXCLUSIVE on {}", cmd.table.Display());
      f.reason = fmt::format(
          "the detach itself is quick, but the {} request waits behind every "
          "running query on {}, and every later query waits behind it",
          LockPhrase(sql::Lock::kAccessExclusive), cmd.table.Display());
      if (version >= kConcurrentDetachSince) {
        Findings::MadeSafeBy(f, file.Note(c.index, {"detach-partition-concurrently"}));
      }
      f.help = version >= kConcurrentDetachSince
                   ? "DETACH PARTITION ... CONCURRENTLY, outside a transaction block: SHARE "
                     "UPDATE EXCLUSIVE on the parent, so reads and writes go on"
                   : fmt::format(
                         "PostgreSQL {} has no concurrent form (14 has one): keep the "
                         "detach alone in its migration, where tide retries it under a "
                         "short lock timeout",
                         version);
    }
  }
};

}  // namespace

std::unique_ptr<Rule> NewDetachPartition() { return std::make_unique<DetachPartition>(); }

}  // namespace tide::lint::rules
