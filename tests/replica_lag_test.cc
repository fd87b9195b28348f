// --max-replica-lag on a real streaming standby (pg_basebackup): a batched backfill pauses
// while the standby is too far behind (in WAL or in replay time) or gone, says so, goes on when
// it catches up, and a pause longer than --max-throttle-wait stops the run resumably.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A primary with `rows` rows in items (note NULL), a streaming standby, and a migration that
// fills note.
struct Replicated {
  TempDir dir;
  std::optional<pg::LocalCluster> primary, standby;

  explicit Replicated(int rows, const std::string& backfill_toml) {
    fs::permissions(dir.path(), fs::perms::others_exec, fs::perm_options::add);
    pg::ClusterOptions p;
    p.dir = dir.path() / "primary";
    auto made = pg::LocalCluster::Create(p);
    if (!made.ok()) {
      ADD_FAILURE() << made.error().ToString();
      return;
    }
    primary.emplace(std::move(*made));
    auto seed = pg::Connection::Open(primary->SocketUrl());
    EXPECT_TRUE(seed->Run("CREATE TABLE items (id bigint PRIMARY KEY, note text)").ok());
    EXPECT_TRUE(seed->Run(fmt::format("INSERT INTO items SELECT g, NULL FROM "
                                      "generate_series(1, {}) g",
                                      rows))
                    .ok());
    pg::ClusterOptions s;
    s.dir = dir.path() / "standby";
    auto replica = pg::LocalCluster::CreateStandby(*primary, s);
    if (!replica.ok()) {
      ADD_FAILURE() << replica.error().ToString();
      return;
    }
    standby.emplace(std::move(*replica));
    dir.Write("migrations/V1__fill.sql",
              "UPDATE items SET note = 'item ' || id WHERE note IS NULL;\n");
    dir.Write("tide.toml", "[backfill]\nsmall_table_rows = 100\n" + backfill_toml);
  }
  ~Replicated() {
    if (standby) (void)standby->Destroy();
    if (primary) (void)primary->Destroy();
  }
  bool ok() const { return primary && standby; }
  int64_t Filled() const {
    auto conn = pg::Connection::Open(primary->SocketUrl());
    return std::stoll(conn->QueryValue("SELECT count(*) FROM items WHERE note IS NOT NULL")
                          ->value_or("-1"));
  }
};

// The backfill step of a --json migrate run.
nlohmann::json BackfillStep(const std::string& out) {
  auto doc = nlohmann::json::parse(out, nullptr, false);
  if (doc.is_discarded()) return nullptr;
  for (const auto& a : doc["applied"]) {
    for (const auto& s : a["steps"]) {
      if (s["kind"] == "backfill") return s;
    }
  }
  return nullptr;
}

TEST(DbReplicaLagTest, BackfillPausesWhileTheStandbyLagsInWal) {
  Replicated db(100000, "target_batch = \"20ms\"\n");
  ASSERT_TRUE(db.ok());
  // Replay stops: every byte the backfill writes now counts as lag.
  auto replica = pg::Connection::Open(db.standby->SocketUrl());
  ASSERT_TRUE(replica->Run("SELECT pg_wal_replay_pause()").ok());
  TideProcess run({"--url", db.primary->SocketUrl(), "migrate", "--max-replica-lag", "256kB"},
                  db.dir.path());
  ASSERT_TRUE(run.WaitOutput("paused: ")) << run.Output();
  int64_t at_pause = db.Filled();
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(db.Filled(), at_pause) << "batches ran while the standby was too far behind";
  EXPECT_LT(at_pause, 100000);
  EXPECT_TRUE(run.Running());
  ASSERT_TRUE(replica->Run("SELECT pg_wal_replay_resume()").ok());
  TideRun r = run.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("resumed after"), std::string::npos) << r.out;
  EXPECT_EQ(db.Filled(), 100000);
}

// A time limit, read from pg_stat_replication.replay_lag: a standby whose replay is paused
// falls behind in time; the backfill pauses (one line, with the lag), stays paused while the
// standby does, and resumes (one line, with the time paused) once it replays again. The totals
// are in --json.
TEST(DbReplicaLagTest, BackfillPausesOnReplayTimeAndReportsThePause) {
  Replicated db(200000, "target_batch = \"20ms\"\n");
  ASSERT_TRUE(db.ok());
  auto replica = pg::Connection::Open(db.standby->SocketUrl());
  ASSERT_TRUE(replica->Run("SELECT pg_wal_replay_pause()").ok());
  TideProcess run({"--url", db.primary->SocketUrl(), "--json", "migrate", "--max-replica-lag",
                   "500ms", "--max-throttle-wait", "2min"},
                  db.dir.path());
  ASSERT_TRUE(run.WaitOutput("paused: ")) << run.Output();
  auto paused_at = std::chrono::steady_clock::now();
  int64_t at_pause = db.Filled();
  EXPECT_GT(at_pause, 0);
  EXPECT_LT(at_pause, 200000);
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(db.Filled(), at_pause) << "batches ran while the standby's replay was stopped";
  ASSERT_TRUE(run.Running()) << run.Output();
  EXPECT_EQ(run.Output().find("resumed after"), std::string::npos) << run.Output();
  ASSERT_TRUE(replica->Run("SELECT pg_wal_replay_resume()").ok());
  ASSERT_TRUE(run.WaitOutput("resumed after")) << run.Output();
  auto paused_for = std::chrono::steady_clock::now() - paused_at;
  TideRun r = run.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(db.Filled(), 200000);
  nlohmann::json step = BackfillStep(r.out);
  ASSERT_TRUE(step.is_object()) << r.out;
  const auto& t = step["throttle"];
  EXPECT_GE(t["pauses"].get<int>(), 1) << t;
  // The time paused covers the 3 s the test held replay, and no more than the whole wait.
  EXPECT_GE(t["paused_ms"].get<int64_t>(), 3000) << t;
  EXPECT_LE(t["paused_ms"].get<int64_t>(),
            std::chrono::duration_cast<milliseconds>(paused_for).count() + 5000)
      << t;
  // The pause began because the standby was more than 500 ms behind, and it fell further
  // behind while its replay stood still.
  EXPECT_GT(t["worst_replica_lag_ms"].get<int64_t>(), 2000) << t;
}

// The standby streamed when the backfill began, then stops: that is lag nobody can read, not
// zero lag. The backfill pauses and says so; after --max-throttle-wait the run stops, exit 1,
// and the next run (the standby now gone for good, said in a warning) resumes where it stopped.
TEST(DbReplicaLagTest, AStandbyThatStopsPausesThenFailsResumablyAfterTheThrottleWait) {
  // Slow batches, so the standby stops long before the backfill could end.
  Replicated db(200000, "max_batch = 1000\npause = \"50ms\"\n");
  ASSERT_TRUE(db.ok());
  TideProcess run({"--url", db.primary->SocketUrl(), "migrate", "--max-replica-lag", "10s",
                   "--max-throttle-wait", "3s"},
                  db.dir.path());
  ASSERT_TRUE(run.WaitOutput("throttled: ")) << run.Output();
  ASSERT_TRUE(WaitFor(db.primary->SocketUrl(),
                      "SELECT count(*) > 2000 FROM items WHERE note IS NOT NULL"));
  ASSERT_TRUE(db.standby->Stop().ok());
  ASSERT_TRUE(run.WaitOutput("stopped streaming")) << run.Output();
  int64_t at_pause = db.Filled();
  TideRun r = run.Wait();
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.all().find("--max-throttle-wait"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("run tide migrate again"), std::string::npos) << r.all();
  // The batches before the pause committed: stopped, not rolled back.
  EXPECT_NE(r.all().find("stopped at step 1 of 1"), std::string::npos) << r.all();
  EXPECT_EQ(r.all().find("rolled back"), std::string::npos) << r.all();
  EXPECT_EQ(db.Filled(), at_pause) << "batches ran while the standby was gone";
  EXPECT_LT(at_pause, 200000);

  TideRun again = RunTide({"--url", db.primary->SocketUrl(), "migrate", "--max-replica-lag",
                           "10s"},
                          db.dir.path());
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_NE(again.all().find("resuming"), std::string::npos) << again.all();
  EXPECT_NE(again.all().find("no standby streams"), std::string::npos) << again.all();
  EXPECT_EQ(db.Filled(), 200000);
}

}  // namespace
}  // namespace tide::testing
