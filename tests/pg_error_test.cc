// A server error keeps its message, SQLSTATE, hint and position on the way into an Error.

#include <gtest/gtest.h>

#include "harness.h"

namespace tide::testing {
namespace {

class DbPgErrorTest : public DbTest {};

TEST_F(DbPgErrorTest, KeepsMessageStateHintAndPosition) {
  pg::Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("CREATE TABLE t (contact_info text)").ok());
  auto r = conn.Exec("SELECT contact FROM t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sqlstate(), "42703");
  EXPECT_EQ(r.error().message(), "column \"contact\" does not exist");
  EXPECT_EQ(r.error().position(), 8);
  r = conn.Exec("SELECT lower(1)");  // an error with a hint and a position
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sqlstate(), "42883");
  EXPECT_EQ(r.error().message(), "function lower(integer) does not exist");
  EXPECT_NE(r.error().hint().find("explicit type casts"), std::string::npos);
  EXPECT_EQ(r.error().position(), 8);
}

}  // namespace
}  // namespace tide::testing
