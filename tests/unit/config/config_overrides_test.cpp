#include "shield/config/config_overrides.hpp"

#include <gtest/gtest.h>

#include "shield/config/config_loader.hpp"
#include "unit/config/config_test_support.hpp"

namespace shield::config {
namespace {

TEST(ConfigOverrides, FlagsBeatTheEnvironmentWhichBeatsTheFile) {
  auto loaded = parse_config(
      "[server]\nlisten = \"127.0.0.1:1001\"\n[metrics]\nlisten = \"127.0.0.1:2001\"\n"
      "[logging]\nlevel = \"warn\"\n",
      "t.toml",
      {{"SHIELD_MCP_SERVER_LISTEN", "127.0.0.1:1002"},
       {"SHIELD_MCP_METRICS_LISTEN", "127.0.0.1:2002"}});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->server.listen.to_string(), "127.0.0.1:1002");
  EXPECT_EQ(loaded->metrics.listen.to_string(), "127.0.0.1:2002");

  Config config = *loaded;
  apply_overrides(config, ConfigOverrides{.listen = HostPort{"::1", 1003},
                                          .metrics_listen = HostPort{"127.0.0.1", 2003}});
  EXPECT_EQ(config.server.listen.to_string(), "[::1]:1003");
  EXPECT_EQ(config.metrics.listen.to_string(), "127.0.0.1:2003");
  EXPECT_EQ(config.logging.level, "warn");  // no flag for it: the file's value stays
}

TEST(ConfigOverrides, OnlyTheGivenFlagsChangeAnything) {
  Config config;
  config.server.listen = HostPort{"127.0.0.1", 4000};
  config.metrics.listen = HostPort{"127.0.0.1", 4001};
  Config expected = config;

  apply_overrides(config, ConfigOverrides{});
  testing::expect_same_config(config, expected);

  apply_overrides(
      config, ConfigOverrides{.listen = std::nullopt, .metrics_listen = HostPort{"127.0.0.1", 0}});
  expected.metrics.listen.port = 0;
  testing::expect_same_config(config, expected);
}

TEST(ConfigOverrides, FlagsThatMakeListenersCollideFailValidation) {
  Config config;
  ASSERT_TRUE(validate_config(config).has_value());
  apply_overrides(config, ConfigOverrides{.listen = std::nullopt,
                                          .metrics_listen = HostPort{"127.0.0.1", 8765}});
  auto checked = validate_config(config);
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(checked.error().message,
            "metrics.listen: 127.0.0.1:8765 is also server.listen; the metrics listener needs "
            "its own port");
}

}  // namespace
}  // namespace shield::config
