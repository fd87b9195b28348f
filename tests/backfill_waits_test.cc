// A backfill yields to the application: when sessions queue behind a batch's row locks, the
// batch statement sees them as it ends (pg_stat_activity, pg_blocking_pids), the next batch is
// halved and the backfill pauses briefly; the run reports how many batches and the longest
// wait. With nobody waiting, nothing is reported.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.h"

namespace tide::testing {
namespace {

class DbBackfillWaitsTest : public DbTest {};

nlohmann::json Waits(const std::string& out) {
  auto doc = nlohmann::json::parse(out, nullptr, false);
  if (doc.is_discarded()) return nullptr;
  for (const auto& a : doc["applied"]) {
    for (const auto& s : a["steps"]) {
      if (s["kind"] == "backfill") return s["waits"];
    }
  }
  return nullptr;
}

TEST_F(DbBackfillWaitsTest, BatchesTheApplicationQueuesBehindAreShrunkAndReported) {
  // Each row takes about a millisecond to fill, so every batch holds its first rows' locks for
  // a while; 3,000 rows.
  Sql("CREATE FUNCTION slow_note(bigint) RETURNS text LANGUAGE plpgsql VOLATILE AS "
      "$$BEGIN PERFORM pg_sleep(0.001); RETURN 'item ' || $1; END$$");
  for (const char* t : {"quiet", "busy"}) {
    Sql(std::string("CREATE TABLE ") + t +
        " (id bigint PRIMARY KEY, note text, touched int NOT NULL DEFAULT 0)");
    Sql(std::string("INSERT INTO ") + t + " (id) SELECT g FROM generate_series(1, 3000) g");
  }
  TempDir dir;
  dir.Write("tide.toml", "[backfill]\nsmall_table_rows = 100\n");
  dir.Write("migrations/V1__quiet.sql", "UPDATE quiet SET note = slow_note(id);\n");
  dir.Write("migrations/V2__busy.sql", "UPDATE busy SET note = slow_note(id);\n");

  // Nobody touches quiet: no batch is shrunk, no wait reported.
  TideRun quiet = RunTide({"--url", url(), "--json", "migrate", "--target", "1"}, dir.path());
  ASSERT_EQ(quiet.exit_code, 0) << quiet.all();
  nlohmann::json calm = Waits(quiet.out);
  ASSERT_TRUE(calm.is_object()) << quiet.out;
  EXPECT_EQ(calm["batches_shrunk"].get<int>(), 0) << calm;
  EXPECT_EQ(calm["sessions"].get<int64_t>(), 0) << calm;

  // The application keeps updating the first row not filled yet: the running batch holds it.
  std::atomic<bool> stop{false};
  std::atomic<int> updates{0};
  std::thread app([&] {
    auto conn = pg::Connection::Open(url(), "customer-api/1.0");
    if (!conn.ok()) return;
    while (!stop) {
      auto r = conn->Run("UPDATE busy SET touched = touched + 1 WHERE id = "
                         "(SELECT min(id) FROM busy WHERE note IS NULL)");
      if (r.ok()) ++updates;
    }
  });
  TideRun busy = RunTide({"--url", url(), "--json", "migrate"}, dir.path());
  stop = true;
  app.join();
  ASSERT_EQ(busy.exit_code, 0) << busy.all();
  EXPECT_GT(updates.load(), 0);
  nlohmann::json waits = Waits(busy.out);
  ASSERT_TRUE(waits.is_object()) << busy.out;
  EXPECT_GT(waits["batches_shrunk"].get<int>(), 0) << waits;
  EXPECT_GT(waits["sessions"].get<int64_t>(), 0) << waits;
  EXPECT_GT(waits["longest_wait_ms"].get<int64_t>(), 0) << waits;
  EXPECT_NE(busy.err.find("queued behind"), std::string::npos) << busy.err;
  // Every row filled once, whatever the application did meanwhile.
  EXPECT_EQ(Value("SELECT count(*) FROM busy WHERE note = 'item ' || id"), "3000");
}

}  // namespace
}  // namespace tide::testing
