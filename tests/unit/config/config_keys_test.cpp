#include "shield/config/config_keys.hpp"

#include <cctype>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shield/config/config_text.hpp"
#include "unit/config/config_test_support.hpp"

namespace shield::config {
namespace {

using ::testing::HasSubstr;

TEST(ConfigKeys, NamesAreUniqueAndEnvironmentNamesFollowTheRule) {
  const auto keys = config_keys();
  ASSERT_FALSE(keys.empty());
  std::set<std::string> names;
  for (const ConfigKey& key : keys) {
    EXPECT_TRUE(names.insert(key.name).second) << "duplicate " << key.name;
    std::string expected = "SHIELD_MCP_";
    for (const char c : key.name) {
      expected += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(key.env_var, expected);
  }
  EXPECT_EQ(keys.front().name, "server.listen");
  EXPECT_EQ(keys.front().env_var, "SHIELD_MCP_SERVER_LISTEN");
}

TEST(ConfigKeys, ShippedFileNamesEveryEnvironmentVariable) {
  const std::string shipped = default_config_toml();
  for (const ConfigKey& key : config_keys()) {
    EXPECT_THAT(shipped, HasSubstr("Env " + key.env_var)) << key.name;
  }
  EXPECT_THAT(shipped, HasSubstr("SHIELD_MCP_SERVER_AUTH_TOKENS_FILE"));
}

TEST(ConfigKeys, ConfigurationGuideHasARowForEveryKey) {
  const std::string guide =
      testing::read_file(testing::source_root() / "docs" / "CONFIGURATION.md");
  for (const ConfigKey& key : config_keys()) {
    // A table row starts with the key and names its variable.
    const std::string row_start = "| `" + key.name + "` |";
    const auto row = guide.find(row_start);
    ASSERT_NE(row, std::string::npos) << key.name << " has no row";
    const std::string line = guide.substr(row, guide.find('\n', row) - row);
    EXPECT_THAT(line, HasSubstr("`" + key.env_var + "`")) << line;
  }
  EXPECT_THAT(guide, HasSubstr("SHIELD_MCP_SERVER_AUTH_TOKENS_FILE"));
}

}  // namespace
}  // namespace shield::config
