#include <gtest/gtest.h>

#include "source/discovery.h"
#include "sql/classify.h"

namespace tide::source {
namespace {

MigrationFile File(const std::string& sql) {
  MigrationFile f;
  f.script = "V1__t.sql";
  f.path = "V1__t.sql";
  f.content = sql;
  return f;
}

// Classified() parses once and hands every reader the same script; a new text, a copy of the
// file or ForgetClassified() makes it parse again, so no reader sees another text's script.
TEST(ClassifiedTest, KeptUntilTheTextChangesOrTheFileIsCopied) {
  MigrationFile f = File("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n");
  uint64_t before = sql::ScriptsClassified();
  auto first = f.Classified();
  auto again = f.Classified();
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->get(), again->get());
  EXPECT_EQ(sql::ScriptsClassified() - before, 1u);
  EXPECT_EQ((*first)->statements.size(), 2u);

  MigrationFile copy = f;
  auto copied = copy.Classified();
  ASSERT_TRUE(copied.ok());
  EXPECT_NE(copied->get(), first->get());
  EXPECT_EQ(sql::ScriptsClassified() - before, 2u);

  f.sql = std::string("CREATE TABLE u (id int);\n");  // what ResolveSql does
  auto resolved = f.Classified();
  ASSERT_TRUE(resolved.ok());
  ASSERT_EQ((*resolved)->statements.size(), 1u);
  EXPECT_EQ((*resolved)->classified[0].table.name, "u");

  f.ForgetClassified();
  auto after_forget = f.Classified();
  ASSERT_TRUE(after_forget.ok());
  EXPECT_NE(after_forget->get(), resolved->get());
  EXPECT_EQ(sql::ScriptsClassified() - before, 4u);

  // A file read once is not kept.
  MigrationFile once = File("SELECT 1;\n");
  ASSERT_TRUE(once.ClassifiedOnce().ok());
  ASSERT_TRUE(once.ClassifiedOnce().ok());
  EXPECT_EQ(sql::ScriptsClassified() - before, 6u);
}

TEST(ClassifiedTest, ASyntaxErrorIsReturnedEveryTime) {
  MigrationFile f = File("CREATE TABLE (;\n");
  EXPECT_FALSE(f.Classified().ok());
  EXPECT_FALSE(f.Classified().ok());
}

}  // namespace
}  // namespace tide::source
