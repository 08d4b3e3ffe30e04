#include "shield/config/config_text.hpp"

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shield/config/config_loader.hpp"
#include "unit/config/config_test_support.hpp"

namespace shield::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScratchDir;

std::filesystem::path shipped_file() {
  return testing::source_root() / "config" / "shield-mcp.toml";
}

// "section.key" for every assignment line, in order.
std::vector<std::string> assigned_keys(const std::string& toml) {
  std::vector<std::string> keys;
  std::string section;
  const std::regex header(R"(^\[([a-z_]+)\]$)");
  const std::regex assignment(R"(^([a-z_]+) = )");
  std::istringstream lines(toml);
  std::string line;
  std::smatch match;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, match, header)) section = match[1];
    if (std::regex_search(line, match, assignment)) keys.push_back(section + "." + match[1].str());
  }
  return keys;
}

TEST(DefaultConfigToml, IsByteIdenticalToTheShippedFile) {
  ASSERT_TRUE(std::filesystem::exists(shipped_file())) << shipped_file();
  const std::string shipped = testing::read_file(shipped_file());
  // On a mismatch, copy config/shield-mcp.toml into src/config/default_config.cpp.
  EXPECT_EQ(default_config_toml(), shipped);
}

TEST(DefaultConfigToml, ShippedFileLoadsToExactlyTheBuiltInDefaults) {
  auto loaded = load_config(shipped_file(), {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  testing::expect_same_config(*loaded, Config{});
}

TEST(DefaultConfigToml, EmbeddedTextLoadsToExactlyTheBuiltInDefaults) {
  auto loaded = parse_config(default_config_toml(), "<default>", {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  testing::expect_same_config(*loaded, Config{});
}

TEST(RenderConfig, ListsEveryKeyInTheShippedFilesOrder) {
  const auto rendered = assigned_keys(render_config(Config{}));
  EXPECT_EQ(rendered, assigned_keys(default_config_toml()));
  EXPECT_EQ(rendered.size(), 126u);
}

TEST(RenderConfig, DefaultsRoundTrip) {
  auto reloaded = parse_config(render_config(Config{}), "rendered.toml", {});
  ASSERT_TRUE(reloaded.has_value()) << reloaded.error().message;
  testing::expect_same_config(*reloaded, Config{});
}

TEST(RenderConfig, ChangedValuesRoundTripWithEscapedStrings) {
  Config config;
  config.server.listen = HostPort{"::1", 9100};
  config.server.threads = 8;
  config.server.idle_timeout = Millis(1234);
  config.server.allowed_hosts = {"a.example", "b.example:9100"};
  config.server.allowed_origins = {"https://app.example"};
  config.metrics.enabled = false;
  config.logging.format = "json";
  config.mcp.server_name = "quote\" back\\slash tab\t bell\x07 caf\xc3\xa9";
  config.mcp.list_ttl_ms = 0;
  const std::string text = render_config(config);
  EXPECT_THAT(text, HasSubstr("listen = \"[::1]:9100\"\n"));
  EXPECT_THAT(text, HasSubstr("allowed_hosts = [\"a.example\", \"b.example:9100\"]\n"));
  EXPECT_THAT(text, HasSubstr("server_name = \"quote\\\" back\\\\slash tab\\t bell\\u0007 "
                              "caf\xc3\xa9\"\n"));
  auto reloaded = parse_config(text, "rendered.toml", {});
  ASSERT_TRUE(reloaded.has_value()) << reloaded.error().message << "\n" << text;
  testing::expect_same_config(*reloaded, config);
}

TEST(RenderConfig, NeverContainsATokenOnlyTheirCount) {
  ScratchDir dir;
  const auto token_file = dir.write("token", "file-secret-Q7\n");
  auto loaded = parse_config(
      "[server]\nauth_tokens = [\"literal-secret-K2\", { env = \"TOK\" }, "
      "{ file = \"" +
          token_file.string() + "\" }]\n",
      "t.toml", {{"TOK", "env-secret-M5"}});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const std::string text = render_config(*loaded);
  EXPECT_THAT(text, HasSubstr("auth_tokens = \"<redacted: 3 tokens>\"\n"));
  for (const char* secret : {"literal-secret-K2", "env-secret-M5", "file-secret-Q7", "secret"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret)));
  }

  Config one;
  one.server.auth_tokens = {Secret{"only-one"}};
  EXPECT_THAT(render_config(one), HasSubstr("auth_tokens = \"<redacted: 1 token>\"\n"));
  EXPECT_THAT(render_config(one), Not(HasSubstr("only-one")));
  EXPECT_THAT(render_config(Config{}), HasSubstr("auth_tokens = []\n"));
}

}  // namespace
}  // namespace shield::config
