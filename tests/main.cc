#include <gtest/gtest.h>

#include "harness.h"

namespace {

// Stops the shared cluster once every test has run (also after failures).
class ClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { tide::testing::StopSharedCluster(); }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);
  return RUN_ALL_TESTS();
}
