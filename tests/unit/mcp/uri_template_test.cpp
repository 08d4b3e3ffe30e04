#include "shield/mcp/uri_template.hpp"

#include <gtest/gtest.h>

namespace shield::mcp {
namespace {

TEST(UriTemplate, MatchesAndExtractsVariables) {
  auto vars = match_uri_template("test://template/{id}/data", "test://template/123/data");
  ASSERT_TRUE(vars);
  EXPECT_EQ(vars->at("id"), "123");
}

TEST(UriTemplate, SeveralVariablesAndPercentDecoding) {
  auto vars = match_uri_template("db://{schema}/{table}", "db://public/my%20table");
  ASSERT_TRUE(vars);
  EXPECT_EQ(vars->at("schema"), "public");
  EXPECT_EQ(vars->at("table"), "my table");
}

TEST(UriTemplate, RefusesNonMatches) {
  EXPECT_FALSE(match_uri_template("test://template/{id}/data", "test://template//data"));
  EXPECT_FALSE(match_uri_template("test://template/{id}/data", "test://template/1/2/data"));
  EXPECT_FALSE(match_uri_template("test://template/{id}/data", "test://template/1/datax"));
  EXPECT_FALSE(match_uri_template("test://template/{id}/data", "test://static-text"));
}

TEST(UriTemplate, Validity) {
  EXPECT_TRUE(is_valid_uri_template("a://{x}/b"));
  EXPECT_TRUE(is_valid_uri_template("a://fixed"));
  EXPECT_FALSE(is_valid_uri_template(""));
  EXPECT_FALSE(is_valid_uri_template("a://{x"));
  EXPECT_FALSE(is_valid_uri_template("a://x}"));
  EXPECT_FALSE(is_valid_uri_template("a://{}"));
  EXPECT_FALSE(is_valid_uri_template("a://{{x}}"));
}

}  // namespace
}  // namespace shield::mcp
