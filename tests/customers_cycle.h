#pragma once
// The customers cycle of examples/customers as the reliability tests drive it, with the example's
// migration files unchanged: V1 (create), seed rows, V1.1 (expand: add email, backfill), rows
// the old release inserts without email, V1.2 (contract: catch-up backfill, NOT NULL through a
// validated check, DROP COLUMN, concurrent index). tide.toml forces the safe plan on these small
// tables and keeps batches small, so the backfills span many batches.

#include <string>
#include <vector>

#include "db_compare.h"
#include "harness.h"

namespace tide::testing {

class CustomersCycle {
 public:
  static constexpr int kSeedRows = 3000;
  static constexpr int kLateRows = 200;

  // extra_toml: more top-level tide.toml lines (before [backfill]); backfill_toml: more
  // [backfill] lines.
  explicit CustomersCycle(const std::string& extra_toml = "",
                          const std::string& backfill_toml = "");
  const std::filesystem::path& dir() const { return dir_.path(); }

  // tide --url url migrate --target target, in dir(); env: "NAME=value" entries.
  TideRun Migrate(const std::string& url, const std::string& target,
                  const std::vector<std::string>& env = {}) const;
  std::vector<std::string> MigrateArgs(const std::string& url, const std::string& target) const;

  // Between V1 and V1.1: the table's rows.
  static void Seed(const std::string& url);
  // Between V1.1 and V1.2: old release writes rows without email, and edits some.
  static void OldReleaseWrites(const std::string& url);
  // The whole cycle, uninterrupted, on an empty database.
  void RunAll(const std::string& url) const;

 private:
  TempDir dir_;
};

// The shared cluster's database after V1 and the seed (a template to clone), and the fingerprint
// of the whole cycle run on a clone without interruption. Made on first use; it goes with the
// cluster.
struct CustomersRef {
  std::string template_db;
  Fingerprint want;
};
const CustomersRef& CustomersReference();

// stem_<pid>_<n>: a database name no other test uses.
std::string UniqueName(const std::string& stem);

// Creates, clones and drops databases on the shared cluster.
void CreateDatabase(const std::string& name, const std::string& template_db = "");
void DropDatabase(const std::string& name);
std::string DatabaseUrl(const std::string& name);

}  // namespace tide::testing
