#include "shield/util/secure_token.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace shield {
namespace {

TEST(SecureTokenTest, HexHasRequestedLengthAndIsUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto token = random_hex(16);
    ASSERT_EQ(token.size(), 32U);
    ASSERT_TRUE(std::regex_match(token, std::regex("[0-9a-f]{32}")));
    ASSERT_TRUE(seen.insert(token).second) << "duplicate token " << token;
  }
}

TEST(SecureTokenTest, UuidIsVersion4Variant1) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(std::regex_match(random_uuid(), shape));
}

TEST(SecureTokenTest, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("secret-token", "secret-token"));
  EXPECT_FALSE(constant_time_equal("secret-token", "secret-tokem"));
  EXPECT_FALSE(constant_time_equal("secret-token", "secret-token-longer"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace shield
