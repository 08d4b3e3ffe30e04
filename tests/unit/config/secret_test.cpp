// Secrets (server.auth_tokens): literals, { env = ... }, { file = ... }, the two
// environment variables, and error messages that never reveal a token.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shield/config/config_loader.hpp"
#include "unit/config/config_test_support.hpp"

namespace shield::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScratchDir;
using testing::token_values;

Config load_ok(const std::string& toml, const EnvMap& env = {},
               const std::filesystem::path& source = "test.toml") {
  auto loaded = parse_config(toml, source, env);
  EXPECT_TRUE(loaded.has_value()) << loaded.error().message;
  return loaded ? *loaded : Config{};
}

std::string load_error(const std::string& toml, const EnvMap& env = {}) {
  auto loaded = parse_config(toml, "test.toml", env);
  EXPECT_FALSE(loaded.has_value());
  return loaded ? std::string() : loaded.error().message;
}

TEST(SecretFromFile, LiteralEnvAndFileEntriesCombine) {
  ScratchDir dir;
  const auto token_file = dir.write("token", "from-file-token\n");
  const Config config = load_ok(
      "[server]\nauth_tokens = [\"literal-token\", { env = \"MY_TOKEN\" "
      "}, { file = \"" +
          token_file.string() + "\" }]\n",
      {{"MY_TOKEN", "from-env-token"}});
  EXPECT_THAT(token_values(config),
              ElementsAre("literal-token", "from-env-token", "from-file-token"));
}

TEST(SecretFromFile, TrailingNewlinesAreTrimmedAndRelativePathsFollowTheConfigFile) {
  ScratchDir dir;
  dir.write("crlf-token", "windows-token\r\n");
  const auto config_file =
      dir.write("shield.toml", "[server]\nauth_tokens = [{ file = \"crlf-token\" }]\n");
  auto loaded = load_config(config_file, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_THAT(token_values(*loaded), ElementsAre("windows-token"));
}

TEST(SecretFromFile, UnreadableFileNamesKeyAndPath) {
  ScratchDir dir;
  const auto missing = dir.path() / "absent-token";
  const std::string message =
      load_error("[server]\nauth_tokens = [\"ok\", { file = \"" + missing.string() + "\" }]\n");
  EXPECT_THAT(message, AllOf(HasSubstr("server.auth_tokens: token 2: cannot read file '" +
                                       missing.string() + "'"),
                             HasSubstr("No such file or directory")));
}

TEST(SecretFromFile, EmptyFileIsRejected) {
  ScratchDir dir;
  const auto empty = dir.write("empty-token", "\n");
  EXPECT_THAT(load_error("[server]\nauth_tokens = [{ file = \"" + empty.string() + "\" }]\n"),
              HasSubstr("server.auth_tokens: token 1: file '" + empty.string() + "' is empty"));
}

TEST(SecretFromEnvReference, UnsetOrEmptyVariableIsRejected) {
  EXPECT_THAT(load_error("[server]\nauth_tokens = [{ env = \"NOT_SET_ANYWHERE\" }]\n"),
              HasSubstr("server.auth_tokens: token 1: environment variable NOT_SET_ANYWHERE is "
                        "not set"));
  EXPECT_THAT(load_error("[server]\nauth_tokens = [{ env = \"BLANK\" }]\n", {{"BLANK", ""}}),
              HasSubstr("token 1: environment variable BLANK is empty"));
}

TEST(SecretEntry, MalformedEntriesAreRejected) {
  EXPECT_THAT(load_error("[server]\nauth_tokens = [{ env = \"A\", file = \"/b\" }]\n"),
              HasSubstr("server.auth_tokens: token 1: expected a string, { env = \"VAR\" } or "
                        "{ file = \"/path\" }"));
  EXPECT_THAT(load_error("[server]\nauth_tokens = [{ path = \"/b\" }]\n"),
              HasSubstr("server.auth_tokens: token 1: expected a string"));
  EXPECT_THAT(load_error("[server]\nauth_tokens = [{ env = 5 }]\n"),
              HasSubstr("server.auth_tokens: token 1: expected a string"));
  EXPECT_THAT(load_error("[server]\nauth_tokens = [\"ok\", 42]\n"),
              HasSubstr("server.auth_tokens: token 2: expected a string, { env = \"VAR\" } or { "
                        "file = \"/path\" }, got integer"));
  EXPECT_THAT(load_error("[server]\nauth_tokens = \"single\"\n"),
              HasSubstr("server.auth_tokens: expected an array of tokens"));
}

TEST(SecretEntry, EmptyOrWhitespaceTokensAreRejectedWithoutShowingThem) {
  EXPECT_THAT(load_error("[server]\nauth_tokens = [\"\"]\n"),
              HasSubstr("server.auth_tokens: token 1 is empty"));
  const std::string message = load_error("[server]\nauth_tokens = [\"ok\", \"s3cret value\"]\n");
  EXPECT_THAT(message, HasSubstr("server.auth_tokens: token 2 contains whitespace"));
  EXPECT_THAT(message, Not(HasSubstr("s3cret")));
}

TEST(SecretFromEnvironment, CommaSeparatedTokensReplaceTheFilesTokens) {
  const Config config = load_ok("[server]\nauth_tokens = [\"file-token\"]\n",
                                {{"SHIELD_MCP_SERVER_AUTH_TOKENS", "env-one, env-two"}});
  EXPECT_THAT(token_values(config), ElementsAre("env-one", "env-two"));
}

TEST(SecretFromEnvironment, TokensFileHoldsOneTokenPerLine) {
  ScratchDir dir;
  const auto tokens = dir.write("tokens", "line-one\r\n\nline-two\n");
  const Config from_file = load_ok("", {{"SHIELD_MCP_SERVER_AUTH_TOKENS_FILE", tokens.string()}});
  EXPECT_THAT(token_values(from_file), ElementsAre("line-one", "line-two"));

  // Both variables together add up.
  const Config both = load_ok("[server]\nauth_tokens = [\"file-token\"]\n",
                              {{"SHIELD_MCP_SERVER_AUTH_TOKENS", "env-one"},
                               {"SHIELD_MCP_SERVER_AUTH_TOKENS_FILE", tokens.string()}});
  EXPECT_THAT(token_values(both), ElementsAre("env-one", "line-one", "line-two"));
}

TEST(SecretFromEnvironment, BadValuesNameTheVariableButNotTheToken) {
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_SERVER_AUTH_TOKENS", ""}}),
              HasSubstr("environment variable SHIELD_MCP_SERVER_AUTH_TOKENS "
                        "(server.auth_tokens): is set but empty"));
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_SERVER_AUTH_TOKENS", "one,,three"}}),
              HasSubstr("SHIELD_MCP_SERVER_AUTH_TOKENS (server.auth_tokens): token 2 is empty"));

  ScratchDir dir;
  const auto missing = dir.path() / "no-tokens-here";
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_SERVER_AUTH_TOKENS_FILE", missing.string()}}),
              HasSubstr("environment variable SHIELD_MCP_SERVER_AUTH_TOKENS_FILE "
                        "(server.auth_tokens): cannot read file '" +
                        missing.string() + "'"));
  const auto blank = dir.write("blank", "\n\n");
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_SERVER_AUTH_TOKENS_FILE", blank.string()}}),
              HasSubstr("file '" + blank.string() + "' holds no tokens"));
  const auto spaced = dir.write("spaced", "good\nhidden secret-XYZ\n");
  const std::string message =
      load_error("", {{"SHIELD_MCP_SERVER_AUTH_TOKENS_FILE", spaced.string()}});
  EXPECT_THAT(message, HasSubstr("environment variable SHIELD_MCP_SERVER_AUTH_TOKENS_FILE "
                                 "(server.auth_tokens): token 2 contains whitespace"));
  EXPECT_THAT(message, Not(HasSubstr("secret-XYZ")));
}

}  // namespace
}  // namespace shield::config
