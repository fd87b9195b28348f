// --max-replica-lag: a batched backfill pauses while a standby is too far behind, and goes on
// when it catches up.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

TEST(DbReplicaLagTest, BackfillPausesWhileTheStandbyLags) {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::others_exec, fs::perm_options::add);
  pg::ClusterOptions p;
  p.dir = dir.path() / "primary";
  auto primary = pg::LocalCluster::Create(p);
  ASSERT_TRUE(primary.ok()) << primary.error().ToString();
  auto seed = pg::Connection::Open(primary->SocketUrl());
  ASSERT_TRUE(seed->Run("CREATE TABLE items (id bigint PRIMARY KEY, note text)").ok());
  ASSERT_TRUE(seed->Run("INSERT INTO items SELECT g, NULL FROM generate_series(1, 100000) g").ok());
  pg::ClusterOptions s;
  s.dir = dir.path() / "standby";
  auto standby = pg::LocalCluster::CreateStandby(*primary, s);
  ASSERT_TRUE(standby.ok()) << standby.error().ToString();
  // Replay stops: every byte the backfill writes now counts as lag.
  auto replica = pg::Connection::Open(standby->SocketUrl());
  ASSERT_TRUE(replica->Run("SELECT pg_wal_replay_pause()").ok());
  dir.Write("migrations/V1__fill.sql", "UPDATE items SET note = 'item ' || id WHERE note IS NULL;\n");
  dir.Write("tide.toml", "[backfill]\nsmall_table_rows = 100\ntarget_batch = \"20ms\"\n");
  TideProcess run({"--url", primary->SocketUrl(), "migrate", "--max-replica-lag", "256kB"},
                  dir.path());
  // The backfill makes some progress, then waits for the standby.
  ASSERT_TRUE(WaitFor(primary->SocketUrl(),
                      "SELECT count(*) > 0 FROM items WHERE note IS NOT NULL"));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto conn = pg::Connection::Open(primary->SocketUrl());
  std::string filled = conn->QueryValue("SELECT count(*) FROM items WHERE note IS NOT NULL")
                           ->value_or("");
  EXPECT_LT(std::stoll(filled), 100000) << "the backfill did not wait for the standby";
  EXPECT_TRUE(run.Running());
  ASSERT_TRUE(replica->Run("SELECT pg_wal_replay_resume()").ok());
  TideRun r = run.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("paused: a standby is"), std::string::npos) << r.out;
  EXPECT_EQ(conn->QueryValue("SELECT count(*) FROM items WHERE note IS NULL")->value_or(""), "0");
  (void)standby->Destroy();
  (void)primary->Destroy();
}

}  // namespace
}  // namespace tide::testing
