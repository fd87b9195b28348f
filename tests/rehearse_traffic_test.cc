// The load driver against a real database: the customers workloads run, latency and failures are
// recorded per release and phase, weights open and close connections the gate can see, and
// clients survive failures and lost connections.

#include <gtest/gtest.h>

#include <thread>

#include "harness.h"
#include "rehearse/report.h"
#include "rehearse/traffic.h"

namespace tide::testing {
namespace {

using namespace std::chrono_literals;
using rehearse::ReleaseSpec;
using rehearse::Traffic;
using rehearse::TrafficOptions;
using rehearse::TrafficResults;
using rehearse::Workload;

class DbTrafficTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Sql("CREATE TABLE customers (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, "
        "contact_info VARCHAR(255));"
        "INSERT INTO customers (name, contact_info) "
        "SELECT 'Customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, 1000) g");
  }
  std::shared_ptr<const Workload> Script(const std::string& release) {
    auto w = Workload::Load(
        std::string(TIDE_SOURCE_DIR) + "/examples/customers/workload/app-" + release + ".sql",
        {{"rows", "1000"}});
    EXPECT_TRUE(w.ok()) << w.error().ToString();
    return w.ok() ? *w : nullptr;
  }
  ReleaseSpec Release(const std::string& name, int clients, double weight = 1) {
    ReleaseSpec spec;
    spec.name = name;
    spec.application_name = "customer-api/" + name;
    spec.workload = Script(name);
    spec.clients = clients;
    spec.weight = weight;
    return spec;
  }
  TrafficOptions Options() {
    TrafficOptions o;
    o.url = url();
    o.seed = 7;
    return o;
  }
  int Sessions(const std::string& app) {
    return std::stoi(
        Value("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "'"));
  }
  // Polls until the number of sessions of app is n (clients react within a request or two).
  bool WaitForSessions(const std::string& app, int n) {
    for (int i = 0; i < 100; ++i) {
      if (Sessions(app) == n) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
};

TEST_F(DbTrafficTest, CustomersWorkloadRecordsRequestsAndLatencyPerPhase) {
  Traffic traffic(Options());
  ASSERT_TRUE(traffic.AddRelease(Release("v1", 3)).ok());
  ASSERT_TRUE(traffic.Start().ok());
  std::this_thread::sleep_for(1s);
  traffic.MarkPhase("expand");
  std::this_thread::sleep_for(1s);
  traffic.Stop();
  TrafficResults r = traffic.Results();

  ASSERT_EQ(r.phases.size(), 2u);
  EXPECT_EQ(r.phases[0].name, "baseline");
  EXPECT_EQ(r.phases[1].name, "expand");
  EXPECT_NEAR(r.phases[1].start_s, 1.0, 0.3);
  EXPECT_NEAR(r.duration_s, 2.0, 0.5);
  ASSERT_EQ(r.releases.size(), 1u);
  const rehearse::ReleaseFigures& v1 = r.releases[0];
  EXPECT_EQ(v1.application_name, "customer-api/v1");
  EXPECT_EQ(v1.total.failures, 0) << (v1.errors.empty() ? "" : v1.errors[0].message);
  EXPECT_GT(v1.phases[0].requests, 30);
  EXPECT_GT(v1.phases[1].requests, 30);
  EXPECT_EQ(v1.total.requests, v1.phases[0].requests + v1.phases[1].requests);
  EXPECT_GT(v1.total.p50_ms, 0.0);
  EXPECT_GE(v1.total.p99_ms, v1.total.p50_ms);
  EXPECT_GE(v1.total.max_ms, v1.total.p99_ms);
  EXPECT_GT(v1.total.throughput, 15.0);

  // The time series adds up to the same requests, window by window.
  ASSERT_EQ(r.series.size(), 1u);
  int64_t in_series = 0;
  for (const auto& p : r.series[0].points) in_series += p.requests;
  EXPECT_EQ(in_series, v1.total.requests);
  EXPECT_GE(r.series[0].points.size(), 19u);
  // Every request inserted a row.
  EXPECT_EQ(std::stoll(Value("SELECT count(*) FROM customers")), 1000 + v1.total.requests);
}

TEST_F(DbTrafficTest, AMissingColumnIsRecordedAsFailuresWithTheServersMessage) {
  // v2 needs the email column, which the expand has not added yet: not zero downtime.
  Traffic traffic(Options());
  ASSERT_TRUE(traffic.AddRelease(Release("v2", 2)).ok());
  ASSERT_TRUE(traffic.Start().ok());
  std::this_thread::sleep_for(1s);
  traffic.Stop();
  TrafficResults r = traffic.Results();
  const rehearse::ReleaseFigures& v2 = r.releases.at(0);
  EXPECT_GT(v2.total.requests, 10);  // the clients carried on after each failure
  EXPECT_EQ(v2.total.failures, v2.total.requests);
  ASSERT_FALSE(v2.errors.empty());
  EXPECT_EQ(v2.errors[0].kind, "server");
  EXPECT_EQ(v2.errors[0].sqlstate, "42703");
  EXPECT_NE(v2.errors[0].message.find("column \"email\" does not exist"), std::string::npos)
      << v2.errors[0].message;
  EXPECT_EQ(v2.errors[0].where, "app-v2.sql:3");
  EXPECT_EQ(v2.errors[0].count, v2.total.failures);

  rehearse::Report report;
  report.traffic = r;
  EXPECT_FALSE(rehearse::Judge(report).zero_downtime);
  EXPECT_NE(rehearse::RenderText(report).find("42703"), std::string::npos);
}

TEST_F(DbTrafficTest, WeightsOpenAndCloseConnectionsTheGateSees) {
  Sql("ALTER TABLE customers ADD COLUMN email VARCHAR(255)");
  Traffic traffic(Options());
  ASSERT_TRUE(traffic.AddRelease(Release("v1", 2)).ok());
  ASSERT_TRUE(traffic.AddRelease(Release("v2", 2, /*weight=*/0)).ok());
  ASSERT_TRUE(traffic.Start().ok());
  EXPECT_TRUE(WaitForSessions("customer-api/v1", 2));
  EXPECT_EQ(Sessions("customer-api/v2"), 0);

  traffic.MarkPhase("rolling deploy");
  ASSERT_TRUE(traffic.SetWeights({{"v1", 0.5}, {"v2", 0.5}}).ok());
  EXPECT_TRUE(WaitForSessions("customer-api/v1", 1));
  EXPECT_TRUE(WaitForSessions("customer-api/v2", 1));
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(traffic.SetWeights({{"v1", 0}, {"v2", 1}}).ok());
  EXPECT_TRUE(WaitForSessions("customer-api/v1", 0));
  EXPECT_TRUE(WaitForSessions("customer-api/v2", 2));

  EXPECT_FALSE(traffic.SetWeights({{"v9", 1}}).ok());
  EXPECT_FALSE(traffic.SetWeights({{"v2", 1.5}}).ok());
  EXPECT_FALSE(traffic.AddRelease(Release("v2", 1)).ok());  // duplicate name

  // A release added mid-run starts at once; a stopped one leaves nothing connected.
  traffic.MarkPhase("contract");
  ASSERT_TRUE(traffic.AddRelease(Release("v3", 1, /*weight=*/1)).ok());
  EXPECT_TRUE(WaitForSessions("customer-api/v3", 1));
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(traffic.StopRelease("v2").ok());
  EXPECT_EQ(Sessions("customer-api/v2"), 0);
  traffic.Stop();
  EXPECT_EQ(Sessions("customer-api/v3"), 0);

  TrafficResults r = traffic.Results();
  ASSERT_EQ(r.releases.size(), 3u);
  EXPECT_EQ(r.releases[0].phases[0].failures, 0);
  EXPECT_GT(r.releases[0].phases[0].requests, 0);  // v1 in the baseline
  EXPECT_EQ(r.releases[1].phases[0].requests, 0);  // v2 had no weight in the baseline
  EXPECT_GT(r.releases[1].phases[1].requests, 0);
  EXPECT_GT(r.releases[2].phases[2].requests, 0);  // v3 in the contract phase
  // v3 drops contact_info from its writes but the column is still there: it works.
  EXPECT_EQ(r.TotalFailures(), 0);
}

TEST_F(DbTrafficTest, ClientsReconnectAfterTheirConnectionsAreKilled) {
  Traffic traffic(Options());
  ASSERT_TRUE(traffic.AddRelease(Release("v1", 2)).ok());
  ASSERT_TRUE(traffic.Start().ok());
  std::this_thread::sleep_for(400ms);
  Value(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE application_name = 'customer-api/v1'");
  int64_t before = traffic.RequestsSoFar();
  std::this_thread::sleep_for(600ms);
  EXPECT_GT(traffic.RequestsSoFar(), before + 10);  // still running
  EXPECT_TRUE(WaitForSessions("customer-api/v1", 2));
  traffic.Stop();
  TrafficResults r = traffic.Results();
  const rehearse::ReleaseFigures& v1 = r.releases.at(0);
  ASSERT_GE(v1.total.failures, 1);
  ASSERT_LE(v1.total.failures, 4);
  EXPECT_EQ(v1.errors.at(0).kind, "connection") << v1.errors[0].message;
}

TEST_F(DbTrafficTest, ALockStallShowsWhileItWaitsAndInLatency) {
  Traffic traffic(Options());
  ReleaseSpec spec = Release("v1", 2);
  spec.rate_per_client = 50;  // open loop: requests keep arriving during the stall
  ASSERT_TRUE(traffic.AddRelease(spec).ok());
  ASSERT_TRUE(traffic.Start().ok());
  std::this_thread::sleep_for(300ms);
  pg::Connection blocker = Connect("blocker");
  ASSERT_TRUE(blocker.Exec("BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE").ok());
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(blocker.Exec("COMMIT").ok());
  std::this_thread::sleep_for(500ms);
  traffic.Stop();
  TrafficResults r = traffic.Results();
  const rehearse::ReleaseFigures& v1 = r.releases.at(0);
  EXPECT_EQ(v1.total.failures, 0);
  EXPECT_GE(v1.total.max_ms, 900.0);
  // Requests due during the stall count their wait: many are slow, not just the first.
  EXPECT_GE(v1.total.p90_ms, 100.0);
  EXPECT_NEAR(static_cast<double>(v1.total.requests), 2 * 50 * r.duration_s,
              0.35 * 2 * 50 * r.duration_s);
  double oldest = 0;
  for (const auto& p : r.series[0].points) oldest = std::max(oldest, p.oldest_in_flight_ms);
  EXPECT_GE(oldest, 700.0);
}

TEST_F(DbTrafficTest, ABadUrlFailsAddReleaseAtOnce) {
  TrafficOptions o = Options();
  o.url = url() + " port=1";
  Traffic traffic(o);
  ASSERT_TRUE(traffic.Start().ok());
  Status added = traffic.AddRelease(Release("v1", 1));
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message().find("release v1 (customer-api/v1)"), std::string::npos)
      << added.error().ToString();
}

}  // namespace
}  // namespace tide::testing
