#include <gtest/gtest.h>

#include "cli/fleet.h"

namespace tide::cli::fleet {
namespace {

TEST(FleetTest, SchemasGlobBecomesAnEscapedLikePattern) {
  EXPECT_EQ(GlobToLike("tenant_*"), "tenant\\_%");
  EXPECT_EQ(GlobToLike("t?"), "t_");
  EXPECT_EQ(GlobToLike("100%"), "100\\%");
  EXPECT_EQ(GlobToLike("a\\b"), "a\\\\b");
  EXPECT_EQ(GlobToLike("*"), "%");
}

TEST(FleetTest, UnitKeysTellSchemasApartAndHideTheUrl) {
  Target db{"postgresql://app:secret@db/app", 1, "", "", false};
  Target a = db, b = db;
  a.schema = "tenant_a";
  b.schema = "tenant_b";
  EXPECT_NE(a.Key(), b.Key());
  EXPECT_NE(a.Key(), db.Key());
  EXPECT_EQ(a.Key().find("secret"), std::string::npos);
  EXPECT_EQ(a.Name().find("secret"), std::string::npos);
  EXPECT_NE(a.Name().find("schema tenant_a"), std::string::npos);
}

}  // namespace
}  // namespace tide::cli::fleet
