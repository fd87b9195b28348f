#include "config/jdbc_url.h"

#include <gtest/gtest.h>

#include "pg/connection.h"

namespace tide::config {
namespace {

std::string Convert(const std::string& url, std::optional<std::string> user = std::nullopt,
                    std::optional<std::string> password = std::nullopt) {
  auto r = JdbcToConninfo(url, user, password);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  if (!r.ok()) return "";
  EXPECT_TRUE(pg::ValidateConninfo(r->conninfo).ok()) << r->conninfo;
  return r->conninfo;
}

TEST(JdbcUrlTest, HostPortDatabaseAndFlywayCredentials) {
  EXPECT_EQ(Convert("jdbc:postgresql://db.internal:6543/orders", "app", "pa'ss\\word"),
            "host='db.internal' port='6543' dbname='orders' user='app' "
            "password='pa\\'ss\\\\word'");
}

TEST(JdbcUrlTest, DefaultsAndShortForms) {
  EXPECT_EQ(Convert("jdbc:postgresql://db/"), "host='db' port='5432'");
  EXPECT_EQ(Convert("jdbc:postgresql:orders"), "host='localhost' port='5432' dbname='orders'");
  EXPECT_EQ(Convert("jdbc:postgresql://[::1]:5740/acc"), "host='::1' port='5740' dbname='acc'");
  EXPECT_EQ(Convert("jdbc:postgresql://h1:5432,h2:5433/app?targetServerType=primary"),
            "host='h1,h2' port='5432,5433' dbname='app' target_session_attrs='primary'");
}

TEST(JdbcUrlTest, UrlPropertiesWinOverFlywayUserAsInPgjdbc) {
  EXPECT_EQ(Convert("jdbc:postgresql://h/db?user=from_url&password=p%40ss", "conf_user", "x"),
            "host='h' port='5432' dbname='db' user='from_url' password='p@ss'");
}

TEST(JdbcUrlTest, SslAndOtherPropertiesMapToLibpq) {
  EXPECT_EQ(Convert("jdbc:postgresql://h/db?ssl=true"),
            "host='h' port='5432' dbname='db' sslmode='verify-full'");
  EXPECT_EQ(Convert("jdbc:postgresql://h/db?ssl=true&sslmode=require&sslrootcert=/ca.pem"),
            "host='h' port='5432' dbname='db' sslmode='require' sslrootcert='/ca.pem'");
  EXPECT_EQ(Convert("jdbc:postgresql://h/db?ApplicationName=ci&connectTimeout=7&currentSchema=app"),
            "host='h' port='5432' dbname='db' application_name='ci' connect_timeout='7' "
            "options='-c search_path=app'");
}

TEST(JdbcUrlTest, UnsupportedPropertiesAreNamedNotDropped) {
  auto r = JdbcToConninfo("jdbc:postgresql://h/db?prepareThreshold=0&frobnicate=1", {}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_NE(r->warnings[0].find("prepareThreshold"), std::string::npos);
  EXPECT_NE(r->warnings[1].find("frobnicate"), std::string::npos);
}

TEST(JdbcUrlTest, OtherDatabasesAndBadUrlsAreInputErrors) {
  auto mysql = JdbcToConninfo("jdbc:mysql://h/db", {}, {});
  ASSERT_FALSE(mysql.ok());
  EXPECT_NE(mysql.error().message().find("jdbc:mysql"), std::string::npos);
  EXPECT_EQ(mysql.error().ExitCode(), 2);
  EXPECT_FALSE(JdbcToConninfo("postgresql://h/db", {}, {}).ok());
  EXPECT_FALSE(JdbcToConninfo("jdbc:postgresql://h:54x2/db", {}, {}).ok());
  auto bad = JdbcToConninfo("jdbc:postgresql://h/db?password=se%2", {}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().find("se%2"), std::string::npos) << "password leaked";
}

}  // namespace
}  // namespace tide::config
