// Every declarative operation on a real cluster, through expand -> checks -> rollback -> checks
// -> expand -> checks -> contract -> checks, with both releases writing meanwhile: the old one on
// the base tables, the new one through the views schema (search_path public_v2, public), both
// during each expand's backfill, the old one during the rollback, the new one during the
// contract. After each phase every row is read through each release's eyes and compared with
// what its last write must look like there; the rollback must leave the schema and every row
// nobody wrote byte for byte as they were.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "declarative_cases.h"
#include "harness.h"

namespace tide::testing {
namespace {

namespace fs = std::filesystem;

// Every write either release made, by row id (each id is written by one release only).
class Ledger {
 public:
  void Record(int64_t id, Write w) {
    std::lock_guard<std::mutex> lock(mu_);
    writes_[id] = w;
  }
  Write Get(int64_t id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = writes_.find(id);
    return it == writes_.end() ? Write{} : it->second;
  }
  bool Touched(int64_t id) const { return Get(id).by != By::kNobody; }
  void RollBack() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, w] : writes_) {
      if (w.by == By::kNew) w.by = By::kNewRolledBack;
    }
  }
  size_t inserts() const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& [id, w] : writes_) n += w.inserted;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::map<int64_t, Write> writes_;
};

// One release's instance writing in a loop: updates of its own rows, now and then an insert.
class Writer {
 public:
  Writer(std::string conninfo, std::string app, By by, const DeclarativeCase& c, Ledger& ledger,
         std::atomic<int64_t>& counter, int64_t rows)
      : by_(by) {
    const std::string& update = by == By::kOld ? c.old_update : c.new_update;
    const std::string& insert = by == By::kOld ? c.old_insert : c.new_insert;
    thread_ = std::thread([=, this, &ledger, &counter] {
      auto conn = pg::Connection::Open(conninfo, app);
      if (!conn.ok()) {
        Fail(conn.error().ToString());
        return;
      }
      std::mt19937_64 rng(by == By::kOld ? 1 : 2);
      // The old release owns ids 1, 4, 7...; the new one 2, 5, 8...
      std::uniform_int_distribution<int64_t> pick(0, rows / 3 - 1);
      while (!stop_) {
        int64_t id = pick(rng) * 3 + (by == By::kOld ? 1 : 2);
        int64_t k = ++counter;
        Status st = conn->Run(update, {std::to_string(id), std::to_string(k)});
        if (st.ok()) {
          ledger.Record(id, {by, k, false});
        } else {
          Fail(st.error().ToString());
        }
        if (k % 10 == 0) {
          auto r = conn->Query(insert, {std::to_string(k)});
          if (r.ok() && r->rows() == 1) {
            ledger.Record(r->GetInt(0, 0), {by, k, true});
          } else {
            Fail(r.ok() ? "insert returned no id" : r.error().ToString());
          }
        }
        ++writes;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
    });
  }
  ~Writer() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::atomic<int> failures{0};
  std::atomic<int64_t> writes{0};
  std::string first_error;

 private:
  void Fail(const std::string& e) {
    if (failures++ == 0) first_error = e;
  }
  By by_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

const char* kSchemaSnapshot =
    "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
    " SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, "
    "a.atttypmod) || ' ' || a.attnotnull || ' ' || a.attnum || ' ' || "
    "coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS x"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'p')"
    " AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'flyway_schema_history'"
    " AND c.relname NOT LIKE 'tide\\_%'"
    " UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' ||"
    " pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint"
    " WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'tide\\_%'"
    " AND conrelid::regclass::text <> 'flyway_schema_history'"
    " UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'"
    " AND tablename NOT LIKE 'tide\\_%' AND tablename <> 'flyway_schema_history'"
    " UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal"
    " UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = "
    "'public'::regnamespace"
    " UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
    " AND nspname <> 'information_schema'"
    " UNION ALL SELECT 'sequence ' || sequencename FROM pg_sequences WHERE schemaname = 'public'"
    " AND sequencename NOT LIKE 'tide\\_%'"
    ") s";

class DbDeclarativeCycleTest : public DbTest,
                               public ::testing::WithParamInterface<DeclarativeCase> {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    dir_.Write("tide.toml",
               "locations = [\"migrations\"]\n"
               "lock_timeout = \"200ms\"\n"
               "lock_wait = \"60s\"\n"
               "[backfill]\n"
               "target_batch = \"5ms\"\n"
               "min_batch = 50\n"
               "max_batch = 400\n"
               "pause = \"10ms\"\n");
    Sql(kDeclarativeSetup);
    ASSERT_EQ(Tide({"baseline", "--version", "1"}).exit_code, 0);
    dir_.Write("migrations/V2__" + GetParam().name + ".yaml", GetParam().yaml);
  }
  TideRun Tide(std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", url()});
    return RunTide(args, dir_.path());
  }
  std::string NewReleaseUrl() const { return url() + " options='-csearch_path=public_v2,public'"; }
  std::unique_ptr<Writer> Start(By by) {
    return std::make_unique<Writer>(
        by == By::kOld ? url() : NewReleaseUrl(), by == By::kOld ? "app/1.0" : "app/2.0", by,
        GetParam(), ledger_, counter_,
        GetParam().old_table == "customers" ? kCustomersRows : kOrdersRows);
  }
  // tide expand while both releases write: the old one from the start, the new one as soon as
  // its views exist.
  void ExpandUnderTraffic() {
    auto old_writer = Start(By::kOld);
    TideProcess expand({"--url", url(), "expand"}, dir_.path());
    if (GetParam().views) {
      ASSERT_TRUE(WaitFor(url(), "SELECT to_regnamespace('public_v2') IS NOT NULL"));
    }
    auto new_writer = Start(By::kNew);
    TideRun r = expand.Wait();
    int64_t new_writes_during = new_writer->writes;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    old_writer->Stop();
    new_writer->Stop();
    ASSERT_EQ(r.exit_code, 0) << r.all();
    EXPECT_EQ(old_writer->failures, 0) << old_writer->first_error;
    EXPECT_EQ(new_writer->failures, 0) << new_writer->first_error;
    if (r.out.find("backfill") != std::string::npos || r.out.find("rows/s") != std::string::npos) {
      EXPECT_GT(new_writes_during, 0) << "the new release did not write during the backfill";
    }
  }
  // Every row through one release's eyes.
  void CheckReads(bool old_release, const std::string& phase) {
    const DeclarativeCase& c = GetParam();
    auto conn = pg::Connection::Open(old_release ? url() : NewReleaseUrl(), "tide-test");
    ASSERT_TRUE(conn.ok()) << conn.error().ToString();
    auto rows = conn->Exec(fmt::format("SELECT id, ({})::text FROM {} ORDER BY id",
                                       old_release ? c.old_read : c.new_read,
                                       old_release ? c.old_table : c.new_table));
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    int64_t base = c.old_table == "customers" ? kCustomersRows : kOrdersRows;
    EXPECT_EQ(static_cast<size_t>(rows->rows()), base + ledger_.inserts())
        << phase << ": rows lost or invented";
    int wrong = 0;
    for (int i = 0; i < rows->rows(); ++i) {
      int64_t id = rows->GetInt(i, 0);
      Write w = ledger_.Get(id);
      std::string want = old_release ? c.old_expect(w, id) : c.new_expect(w, id);
      std::string got = rows->IsNull(i, 1) ? "NULL" : rows->Get(i, 1);
      if (got != want && ++wrong <= 5) {
        ADD_FAILURE() << phase << ", " << (old_release ? "old" : "new") << " release, row " << id
                      << " (last write: " << static_cast<int>(w.by) << " k=" << w.k
                      << (w.inserted ? " insert" : "") << "): read '" << got << "', want '" << want
                      << "'";
      }
    }
    EXPECT_EQ(wrong, 0) << phase << ": " << wrong << " rows read wrong";
  }
  void CheckAll(const std::vector<std::string>& checks, const std::string& phase) {
    for (const auto& sql : checks) EXPECT_EQ(Value(sql), "t") << phase << ": " << sql;
  }
  // md5 of each row of table as the old release sees it.
  std::map<int64_t, std::string> RowBytes(const std::string& table) {
    std::map<int64_t, std::string> out;
    auto r = Sql("SELECT id, md5(t::text) FROM " + table + " t");
    for (int i = 0; i < r.rows(); ++i) out[r.GetInt(i, 0)] = r.Get(i, 1);
    return out;
  }
  std::string TableBytes(const std::string& table) {
    return Value("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM " + table + " t");
  }

  TempDir dir_;
  Ledger ledger_;
  std::atomic<int64_t> counter_{0};
};

TEST_P(DbDeclarativeCycleTest, ExpandRollbackExpandContract) {
  const DeclarativeCase& c = GetParam();
  const std::string schema_before = Value(kSchemaSnapshot);
  const auto rows_before = RowBytes(c.old_table);
  std::map<std::string, std::string> others_before;
  for (const char* t : {"customers", "orders", "legacy_notes"}) {
    if (t != c.old_table) others_before[t] = TableBytes(t);
  }

  // 1. Expand, both releases writing.
  ASSERT_NO_FATAL_FAILURE(ExpandUnderTraffic());
  CheckReads(true, "expand");
  CheckReads(false, "expand");
  CheckAll(c.expanded, "expand");
  TideRun info = Tide({"info"});
  EXPECT_NE(info.out.find("Expanded (contract pending)"), std::string::npos) << info.out;
  EXPECT_EQ(Tide({"search-path"}).out, "public_v2, public\n");

  // 2. Rollback while the old release writes (the new one is stopped first: its views go).
  {
    auto old_writer = Start(By::kOld);
    TideRun r = Tide({"rollback"});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    old_writer->Stop();
    ASSERT_EQ(r.exit_code, 0) << r.all();
    EXPECT_EQ(old_writer->failures, 0) << old_writer->first_error;
  }
  ledger_.RollBack();
  EXPECT_EQ(Value(kSchemaSnapshot), schema_before);
  int changed = 0;
  for (const auto& [id, bytes] : RowBytes(c.old_table)) {
    auto before = rows_before.find(id);
    if (before == rows_before.end() || ledger_.Touched(id)) continue;
    if (bytes != before->second && ++changed <= 3) ADD_FAILURE() << "row " << id << " changed";
  }
  EXPECT_EQ(changed, 0) << "rows nobody wrote changed";
  for (const auto& [table, bytes] : others_before) EXPECT_EQ(TableBytes(table), bytes) << table;
  CheckReads(true, "rollback");
  CheckAll(c.rolled_back, "rollback");
  EXPECT_EQ(Value("SELECT count(*) FROM flyway_schema_history WHERE version = '2'"), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM tide_migration_state WHERE script LIKE 'V2%'"), "0");

  // 3. Expand again, both releases writing.
  ASSERT_NO_FATAL_FAILURE(ExpandUnderTraffic());
  CheckReads(true, "second expand");
  CheckReads(false, "second expand");
  CheckAll(c.expanded, "second expand");

  // 4. Contract once the old release is gone, the new one writing throughout.
  {
    auto new_writer = Start(By::kNew);
    TideRun r = Tide({"contract", "--app", "app", "--version", "2.0"});
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    new_writer->Stop();
    ASSERT_EQ(r.exit_code, 0) << r.all();
    EXPECT_EQ(new_writer->failures, 0) << new_writer->first_error;
  }
  CheckReads(false, "contract");
  CheckAll(c.contracted, "contract");
  // Only the new shape is left: no views, no trigger, no helper column or check.
  EXPECT_EQ(Value("SELECT to_regnamespace('public_v2') IS NULL"), "t");
  EXPECT_EQ(Value("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM pg_attribute WHERE attname LIKE '\\_tide%' AND NOT "
                  "attisdropped"),
            "0");
  EXPECT_EQ(Value("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'tide\\_nn%'"), "0");
  info = Tide({"info"});
  EXPECT_EQ(info.out.find("contract pending"), std::string::npos) << info.out;
  EXPECT_EQ(Tide({"search-path"}).out, "public\n");
}

INSTANTIATE_TEST_SUITE_P(Db, DbDeclarativeCycleTest, ::testing::ValuesIn(DeclarativeCases()),
                         [](const ::testing::TestParamInfo<DeclarativeCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace tide::testing
