#include "migrate/status.h"

#include <gtest/gtest.h>

namespace tide::migrate {

using source::MigrationFile;
using source::MigrationKind;
using source::Version;
using store::AppliedMigration;
using store::kBaselineDescription;
using store::kTypeBaseline;
using store::kTypeDelete;
using store::kTypeSql;
namespace {

MigrationFile File(const char* version, const char* description, int32_t checksum = 1) {
  MigrationFile f;
  f.kind = MigrationKind::kVersioned;
  f.version = Version::Parse(version).value();
  f.description = description;
  f.script = std::string("V") + version + "__" + description + ".sql";
  f.checksum = checksum;
  return f;
}

MigrationFile Repeatable(const char* description, int32_t checksum) {
  MigrationFile f;
  f.kind = MigrationKind::kRepeatable;
  f.description = description;
  f.script = std::string("R__") + description + ".sql";
  f.checksum = checksum;
  return f;
}

AppliedMigration Row(int rank, std::optional<std::string> version, const char* description,
                     int32_t checksum = 1, bool success = true, const char* type = kTypeSql) {
  AppliedMigration r;
  r.installed_rank = rank;
  r.version = std::move(version);
  r.description = description;
  r.checksum = checksum;
  r.success = success;
  r.type = type;
  r.script = description;
  return r;
}

const MigrationStatus& Find(const std::vector<MigrationStatus>& all, const char* version) {
  for (const auto& s : all) {
    if (s.version && s.VersionText() == version) return s;
  }
  static MigrationStatus none;
  ADD_FAILURE() << "no status for " << version;
  return none;
}

TEST(StatusTest, PendingSuccessFailedMissingFuture) {
  std::vector<MigrationFile> files = {File("1", "a"), File("2", "b"), File("3", "c"),
                                      File("5", "e")};
  std::vector<AppliedMigration> history = {Row(1, "1", "a"), Row(2, "2", "b", 1, false),
                                           Row(3, "4", "d"), Row(4, "6", "f")};
  auto all = ComputeStatus(files, history, {});
  EXPECT_EQ(Find(all, "1").state, State::kSuccess);
  EXPECT_EQ(Find(all, "2").state, State::kFailed);
  EXPECT_EQ(Find(all, "3").state, State::kIgnored);  // 6 is applied already
  EXPECT_EQ(Find(all, "4").state, State::kMissing);
  EXPECT_EQ(Find(all, "5").state, State::kIgnored);
  EXPECT_EQ(Find(all, "6").state, State::kFuture);
  auto with_ooo = ComputeStatus(files, history, {.target = std::nullopt, .out_of_order = true});
  EXPECT_EQ(Find(with_ooo, "3").state, State::kPending);
}

TEST(StatusTest, TargetAndBaseline) {
  std::vector<MigrationFile> files = {File("1", "a"), File("1.1", "b"), File("1.2", "c"),
                                      File("2", "d")};
  std::vector<AppliedMigration> history = {
      Row(1, "1.1", kBaselineDescription, 0, true, kTypeBaseline)};
  history[0].checksum.reset();
  StatusOptions options;
  options.target = Version::Parse("1.2").value();
  auto all = ComputeStatus(files, history, options);
  EXPECT_EQ(Find(all, "1").state, State::kBelowBaseline);
  EXPECT_EQ(Find(all, "1.1").state, State::kBaseline);
  EXPECT_EQ(Find(all, "1.2").state, State::kPending);
  EXPECT_EQ(Find(all, "2").state, State::kAboveTarget);
}

TEST(StatusTest, OutOfOrderApplied) {
  std::vector<MigrationFile> files = {File("1", "a"), File("2", "b")};
  std::vector<AppliedMigration> history = {Row(1, "2", "b"), Row(2, "1", "a")};
  auto all = ComputeStatus(files, history, {});
  EXPECT_EQ(Find(all, "1").state, State::kOutOfOrder);
  EXPECT_EQ(Find(all, "2").state, State::kSuccess);
}

TEST(StatusTest, RepeatablesOutdatedAndSuperseded) {
  std::vector<MigrationFile> files = {Repeatable("views", 7)};
  std::vector<AppliedMigration> history = {Row(1, std::nullopt, "views", 5),
                                           Row(2, std::nullopt, "views", 6)};
  auto all = ComputeStatus(files, history, {});
  int superseded = 0, outdated = 0;
  for (const auto& s : all) {
    superseded += s.state == State::kSuperseded;
    outdated += s.state == State::kOutdated;
  }
  EXPECT_EQ(superseded, 1);
  EXPECT_EQ(outdated, 1);
  files[0].checksum = 6;
  auto again = ComputeStatus(files, history, {});
  EXPECT_EQ(again.back().state, State::kSuccess);
}

TEST(StatusTest, DeleteRowHidesTheRowBeforeIt) {
  std::vector<MigrationFile> files = {File("1", "a")};
  std::vector<AppliedMigration> history = {Row(1, "1", "a"), Row(2, "2", "gone"),
                                           Row(3, "2", "gone", 0, true, kTypeDelete)};
  auto all = ComputeStatus(files, history, {});
  bool deleted = false;
  for (const auto& s : all) deleted |= s.state == State::kDeleted;
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(Validate(all, false).empty());
}

TEST(StatusTest, ValidateReportsChecksumMissingFailedAndIgnored) {
  std::vector<MigrationFile> files = {File("1", "a", 42), File("1.5", "late"), File("3", "c")};
  std::vector<AppliedMigration> history = {Row(1, "1", "a", 41), Row(2, "2", "b"),
                                           Row(3, "3", "c", 1, false)};
  auto issues = Validate(ComputeStatus(files, history, {}), false);
  ASSERT_EQ(issues.size(), 4u);
  std::string all;
  for (const auto& i : issues) all += i.message + "\n";
  EXPECT_NE(all.find("changed after it was applied"), std::string::npos);
  EXPECT_NE(all.find("file is not in the locations"), std::string::npos);
  EXPECT_NE(all.find("failed"), std::string::npos);
  EXPECT_NE(all.find("older than the newest applied"), std::string::npos);
}

TEST(StatusTest, ResolveTargetKeywords) {
  std::vector<MigrationFile> files = {File("1", "a"), File("2", "b"), File("3", "c")};
  std::vector<AppliedMigration> history = {Row(1, "1", "a")};
  EXPECT_FALSE(ResolveTarget("latest", files, history)->has_value());
  EXPECT_EQ(ResolveTarget("current", files, history)->value().text(), "1");
  EXPECT_EQ(ResolveTarget("next", files, history)->value().text(), "2");
  EXPECT_EQ(ResolveTarget("2.5", files, history)->value().text(), "2.5");
  EXPECT_FALSE(ResolveTarget("two", files, history).ok());
}

}  // namespace
}  // namespace tide::migrate
