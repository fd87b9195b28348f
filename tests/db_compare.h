#pragma once
// What "the same database" means for the reliability tests: the schema as pg_dump prints it, a
// checksum of every row of every user table, the history rows, and what tide must never leave
// behind (INVALID indexes, tide_* helper constraints, triggers or functions, unfinished state).
// Two runs of the same migrations, one interrupted and one not, must give equal fingerprints.

#include <gtest/gtest.h>

#include <string>

namespace tide::testing {

struct Fingerprint {
  std::string schema;     // pg_dump --schema-only, without tide's and Flyway's tables
  std::string rows;       // per user table: name, row count, md5 of its sorted rows
  std::string history;    // every history row but installed_on and execution_time
  std::string leftovers;  // INVALID indexes and tide_* objects; empty when clean
  std::string state;      // tide_migration_state: script, status, steps done
};

// history: the quoted history table, e.g. "public"."flyway_schema_history".
Fingerprint TakeFingerprint(const std::string& url,
                            const std::string& history = "\"public\".\"flyway_schema_history\"");
// pg_dump --schema-only, with its random \restrict lines removed.
std::string SchemaDump(const std::string& url);

// EXPECT_EQ on each part, so a failure shows which part differs.
void ExpectSameDatabase(const Fingerprint& got, const Fingerprint& want, const std::string& what);

}  // namespace tide::testing
