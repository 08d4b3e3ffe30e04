#include "shield/config/config_loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/config/config_test_support.hpp"

namespace shield::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::ScratchDir;

// The error message of loading `toml` (written to a scratch file) with `env`.
std::string error_of(const std::string& toml, const EnvMap& env = {}) {
  auto config = parse_config(toml, "test.toml", env);
  EXPECT_FALSE(config.has_value()) << "expected an error for:\n" << toml;
  if (config) return {};
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
  return config.error().message;
}

std::string env_error_of(const EnvMap& env) {
  auto config = load_config(std::nullopt, env);
  EXPECT_FALSE(config.has_value());
  if (config) return {};
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
  return config.error().message;
}

TEST(ConfigDefaults, WithoutFileOrEnvironmentEveryKeyHasItsDocumentedDefault) {
  auto loaded = load_config(std::nullopt, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Config& c = *loaded;
  EXPECT_EQ(c.server.listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.listen.port, 8765);
  EXPECT_EQ(c.server.threads, 0u);
  EXPECT_EQ(c.server.max_body_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(c.server.max_header_bytes, 16u * 1024);
  EXPECT_EQ(c.server.header_timeout, Millis(10'000));
  EXPECT_EQ(c.server.body_timeout, Millis(30'000));
  EXPECT_EQ(c.server.idle_timeout, Millis(60'000));
  EXPECT_EQ(c.server.max_connections, 1024u);
  EXPECT_EQ(c.server.max_pipelined, 16u);
  EXPECT_THAT(c.server.allowed_hosts, IsEmpty());
  EXPECT_THAT(c.server.allowed_origins, IsEmpty());
  EXPECT_THAT(c.server.auth_tokens, IsEmpty());
  EXPECT_EQ(c.server.shutdown_grace, Millis(10'000));
  EXPECT_EQ(c.server.sse_keepalive, Millis(15'000));
  EXPECT_TRUE(c.metrics.enabled);
  EXPECT_EQ(c.metrics.listen.to_string(), "127.0.0.1:9090");
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_EQ(c.logging.format, "text");
  EXPECT_EQ(c.mcp.server_name, "shield-mcp");
  EXPECT_EQ(c.mcp.session_idle_timeout, Millis(1'800'000));
  EXPECT_EQ(c.mcp.max_sessions, 10'000u);
  EXPECT_EQ(c.mcp.max_message_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(c.mcp.max_json_depth, 64u);
  EXPECT_EQ(c.mcp.page_size, 50u);
  EXPECT_EQ(c.mcp.sse_replay_events, 256u);
  EXPECT_EQ(c.mcp.sse_retry, Millis(1'000));
  EXPECT_EQ(c.mcp.list_ttl_ms, 60'000);
}

TEST(ConfigFile, SetsEveryKey) {
  ScratchDir dir;
  const auto file = dir.write("all.toml", R"(
[server]
listen = "[::1]:9100"
threads = 3
max_body_bytes = 1_000_000
max_header_bytes = 2048
header_timeout_ms = 1500
body_timeout_ms = 2500
idle_timeout_ms = 3500
max_connections = 77
max_pipelined = 4
allowed_hosts = ["mcp.example.com", "mcp.example.com:9100"]
allowed_origins = ["https://app.example.com"]
auth_tokens = ["literal-token"]
shutdown_grace_ms = 0
sse_keepalive_ms = 500
public_url = "https://mcp.example.com/shield"

[metrics]
enabled = false
listen = "0.0.0.0:9191"

[logging]
level = "debug"
format = "json"

[mcp]
server_name = "edge \"one\""
session_idle_timeout_ms = 60000
max_sessions = 5
max_message_bytes = 65536
max_json_depth = 12
page_size = 7
sse_replay_events = 0
sse_retry_ms = 250
list_ttl_ms = 0
)");
  auto loaded = load_config(file, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Config& c = *loaded;
  EXPECT_EQ(c.server.listen.host, "::1");
  EXPECT_EQ(c.server.listen.port, 9100);
  EXPECT_EQ(c.server.threads, 3u);
  EXPECT_EQ(c.server.max_body_bytes, 1'000'000u);
  EXPECT_EQ(c.server.max_header_bytes, 2048u);
  EXPECT_EQ(c.server.header_timeout, Millis(1500));
  EXPECT_EQ(c.server.body_timeout, Millis(2500));
  EXPECT_EQ(c.server.idle_timeout, Millis(3500));
  EXPECT_EQ(c.server.max_connections, 77u);
  EXPECT_EQ(c.server.max_pipelined, 4u);
  EXPECT_THAT(c.server.allowed_hosts, ElementsAre("mcp.example.com", "mcp.example.com:9100"));
  EXPECT_THAT(c.server.allowed_origins, ElementsAre("https://app.example.com"));
  EXPECT_THAT(testing::token_values(c), ElementsAre("literal-token"));
  EXPECT_EQ(c.server.shutdown_grace, Millis(0));
  EXPECT_EQ(c.server.sse_keepalive, Millis(500));
  EXPECT_EQ(c.server.public_url, "https://mcp.example.com/shield");
  EXPECT_FALSE(c.metrics.enabled);
  EXPECT_EQ(c.metrics.listen.to_string(), "0.0.0.0:9191");
  EXPECT_EQ(c.logging.level, "debug");
  EXPECT_EQ(c.logging.format, "json");
  EXPECT_EQ(c.mcp.server_name, "edge \"one\"");
  EXPECT_EQ(c.mcp.session_idle_timeout, Millis(60'000));
  EXPECT_EQ(c.mcp.max_sessions, 5u);
  EXPECT_EQ(c.mcp.max_message_bytes, 65536u);
  EXPECT_EQ(c.mcp.max_json_depth, 12u);
  EXPECT_EQ(c.mcp.page_size, 7u);
  EXPECT_EQ(c.mcp.sse_replay_events, 0u);
  EXPECT_EQ(c.mcp.sse_retry, Millis(250));
  EXPECT_EQ(c.mcp.list_ttl_ms, 0);
}

TEST(ConfigFile, KeysNotWrittenKeepTheirDefaults) {
  auto loaded = parse_config("[logging]\nlevel = \"warn\"\n", "partial.toml", {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  Config expected;
  expected.logging.level = "warn";
  testing::expect_same_config(*loaded, expected);
}

TEST(ConfigFile, MissingFileIsNotFoundNamingThePath) {
  ScratchDir dir;
  const auto missing = dir.path() / "nope.toml";
  auto loaded = load_config(missing, {});
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(loaded.error().message, HasSubstr("'" + missing.string() + "'"));
  EXPECT_THAT(loaded.error().message, HasSubstr("does not exist"));
}

TEST(ConfigFile, DirectoryInsteadOfFileIsAnErrorNamingThePath) {
  ScratchDir dir;
  auto loaded = load_config(dir.path(), {});
  ASSERT_FALSE(loaded.has_value());
  EXPECT_THAT(loaded.error().message,
              AllOf(HasSubstr(dir.path().string()), HasSubstr("is a directory")));
}

TEST(ConfigFile, SyntaxErrorNamesFileLineAndColumn) {
  ScratchDir dir;
  const auto file = dir.write("broken.toml", "[server]\nthreads = = 3\n");
  auto loaded = load_config(file, {});
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(loaded.error().message,
              AllOf(HasSubstr(file.string() + ":2:"), HasSubstr("invalid TOML")));
}

TEST(ConfigErrors, UnknownKeySuggestsTheClosestKnownKey) {
  const std::string message = error_of("[server]\nlistn = \"127.0.0.1:1\"\n");
  EXPECT_THAT(message, HasSubstr("test.toml:2:1: unknown key 'server.listn'"));
  EXPECT_THAT(message, HasSubstr("did you mean 'server.listen'?"));
}

TEST(ConfigErrors, DurationWithoutUnitSuffixPointsAtTheMillisecondKey) {
  const std::string message = error_of("[server]\nheader_timeout = 5\n");
  EXPECT_THAT(message, HasSubstr("unknown key 'server.header_timeout'"));
  EXPECT_THAT(message, HasSubstr("did you mean 'server.header_timeout_ms'?"));
}

TEST(ConfigErrors, KeyInTheWrongSectionPointsAtItsSection) {
  const std::string message = error_of("[server]\nlevel = \"debug\"\n");
  EXPECT_THAT(message, HasSubstr("unknown key 'server.level'"));
  EXPECT_THAT(message, HasSubstr("did you mean 'logging.level'?"));
}

TEST(ConfigErrors, UnrelatedUnknownKeyGetsNoSuggestion) {
  const std::string message = error_of("[mcp]\ncompletely_unrelated = 1\n");
  EXPECT_THAT(message, HasSubstr("unknown key 'mcp.completely_unrelated'"));
  EXPECT_THAT(message, Not(HasSubstr("did you mean")));
}

TEST(ConfigErrors, UnknownSectionSuggestsTheClosestSection) {
  EXPECT_THAT(error_of("[servr]\nthreads = 1\n"),
              AllOf(HasSubstr("unknown section [servr]"), HasSubstr("did you mean 'server'?")));
  EXPECT_THAT(error_of("[database]\nurl = \"x\"\n"),
              AllOf(HasSubstr("unknown section [database]"), Not(HasSubstr("did you mean"))));
}

TEST(ConfigErrors, TopLevelKeyIsUnknownAndPointsAtItsSection) {
  const std::string message = error_of("threads = 2\n");
  EXPECT_THAT(message, HasSubstr("unknown key 'threads'"));
  EXPECT_THAT(message, HasSubstr("did you mean 'server.threads'?"));
}

TEST(ConfigErrors, SectionWrittenAsValueIsRejected) {
  EXPECT_THAT(error_of("server = 5\n"),
              HasSubstr("'server' must be a section ([server]), got integer"));
}

TEST(ConfigErrors, WrongTypeNamesKeyExpectedAndActualType) {
  EXPECT_THAT(error_of("[server]\nmax_body_bytes = \"4MB\"\n"),
              HasSubstr("test.toml:2:18: server.max_body_bytes: expected an integer, got string"));
  EXPECT_THAT(error_of("[server]\nthreads = 1.5\n"),
              HasSubstr("server.threads: expected an integer, got floating-point number"));
  EXPECT_THAT(error_of("[metrics]\nenabled = \"yes\"\n"),
              HasSubstr("metrics.enabled: expected a boolean (true or false), got string"));
  EXPECT_THAT(error_of("[server]\nlisten = 8765\n"),
              HasSubstr("server.listen: expected a HOST:PORT string, got integer"));
  EXPECT_THAT(error_of("[server]\nallowed_hosts = \"a.example\"\n"),
              HasSubstr("server.allowed_hosts: expected an array of strings, got string"));
  EXPECT_THAT(error_of("[server]\nallowed_hosts = [\"a.example\", 3]\n"),
              HasSubstr("server.allowed_hosts: entry 2: expected a string, got integer"));
  EXPECT_THAT(error_of("[logging]\nlevel = 3\n"),
              HasSubstr("logging.level: expected one of trace, debug, info, warn, error, "
                        "critical, off, got integer"));
}

TEST(ConfigErrors, OutOfRangeNamesKeyValueAndBounds) {
  EXPECT_THAT(error_of("[server]\nthreads = 300\n"),
              HasSubstr("server.threads: 300 is out of range (expected 0 to 256)"));
  EXPECT_THAT(error_of("[server]\nmax_body_bytes = -1\n"),
              HasSubstr("server.max_body_bytes: -1 is out of range (expected 1 to 1073741824)"));
  EXPECT_THAT(error_of("[mcp]\nmax_sessions = 0\n"),
              HasSubstr("mcp.max_sessions: 0 is out of range (expected 1 to 10000000)"));
  EXPECT_THAT(error_of("[server]\nheader_timeout_ms = 0\n"),
              HasSubstr("server.header_timeout_ms: 0 is out of range"));
  // Bounds are inclusive.
  EXPECT_TRUE(parse_config("[server]\nthreads = 256\n", "t.toml", {}).has_value());
  EXPECT_TRUE(parse_config("[mcp]\nmax_sessions = 1\n", "t.toml", {}).has_value());
}

TEST(ConfigErrors, BadHostPortNamesKeyAndReason) {
  EXPECT_THAT(error_of("[server]\nlisten = \"localhost\"\n"),
              AllOf(HasSubstr("server.listen: 'localhost' is not HOST:PORT")));
  EXPECT_THAT(error_of("[metrics]\nlisten = \"127.0.0.1:70000\"\n"),
              HasSubstr("metrics.listen: '127.0.0.1:70000': port must be a number from 0 to "
                        "65535"));
}

TEST(ConfigErrors, BadLevelOrFormatListsTheChoices) {
  EXPECT_THAT(error_of("[logging]\nlevel = \"verbose\"\n"),
              HasSubstr("logging.level: expected one of trace, debug, info, warn, error, "
                        "critical, off, got 'verbose'"));
  EXPECT_THAT(error_of("[logging]\nlevel = \"warning\"\n"), HasSubstr("did you mean 'warn'?"));
  EXPECT_THAT(error_of("[logging]\nformat = \"xml\"\n"),
              HasSubstr("logging.format: expected one of text, json, got 'xml'"));
}

TEST(ConfigErrors, AllowListEntriesMustBeHostsAndOrigins) {
  EXPECT_THAT(error_of("[server]\nallowed_origins = [\"https://ok.example\", \"app.example\"]\n"),
              HasSubstr("server.allowed_origins: entry 2: 'app.example' is not an origin"));
  EXPECT_THAT(error_of("[server]\nallowed_origins = [\"https://ok.example/path\"]\n"),
              HasSubstr("server.allowed_origins: entry 1: 'https://ok.example/path' is not an"));
  EXPECT_THAT(error_of("[server]\nallowed_hosts = [\"https://mcp.example\"]\n"),
              HasSubstr("server.allowed_hosts: entry 1: 'https://mcp.example' is not a host"));
  EXPECT_THAT(error_of("[server]\nallowed_hosts = [\"\"]\n"),
              HasSubstr("server.allowed_hosts: entry 1: entries must not be empty"));
  EXPECT_THAT(error_of("[mcp]\nserver_name = \"\"\n"),
              HasSubstr("mcp.server_name: must not be empty"));
}

TEST(ConfigErrors, PublicUrlMustBeAnHttpUrl) {
  EXPECT_THAT(error_of("[server]\npublic_url = \"mcp.example.com\"\n"),
              HasSubstr("server.public_url: 'mcp.example.com' is not an http:// or https:// URL"));
  EXPECT_THAT(error_of("[server]\npublic_url = \"https://mcp.example.com/?x=1\"\n"),
              HasSubstr("must not have a query or fragment"));
}

TEST(ConfigErrors, EveryProblemIsReportedOnItsOwnLine) {
  const std::string message =
      error_of("[server]\nthreads = 999\nlistn = \"x\"\n[logging]\nformat = \"xml\"\n");
  EXPECT_THAT(message, HasSubstr("server.threads: 999 is out of range"));
  EXPECT_THAT(message, HasSubstr("unknown key 'server.listn'"));
  EXPECT_THAT(message, HasSubstr("logging.format:"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2) << message;
  // In the order they appear in the file, whatever order the TOML library keeps keys in.
  EXPECT_LT(message.find("test.toml:2:"), message.find("test.toml:3:"));
  EXPECT_LT(message.find("test.toml:3:"), message.find("test.toml:5:"));
}

TEST(ConfigErrors, MetricsMayNotShareTheServerAddress) {
  EXPECT_THAT(error_of("[metrics]\nlisten = \"127.0.0.1:8765\"\n"),
              HasSubstr("metrics.listen: 127.0.0.1:8765 is also server.listen"));
  // Port 0 means "any free port" for both, so they never collide.
  EXPECT_TRUE(parse_config("[server]\nlisten = \"127.0.0.1:0\"\n[metrics]\nlisten = "
                           "\"127.0.0.1:0\"\n",
                           "t.toml", {})
                  .has_value());
  // With metrics off, the address is unused.
  EXPECT_TRUE(
      parse_config("[metrics]\nenabled = false\nlisten = \"127.0.0.1:8765\"\n", "t.toml", {})
          .has_value());
}

TEST(ConfigEnvironment, OverridesDefaultsWithoutAFile) {
  auto loaded = load_config(std::nullopt, {{"SHIELD_MCP_SERVER_LISTEN", "127.0.0.1:9000"},
                                           {"SHIELD_MCP_LOGGING_LEVEL", "debug"},
                                           {"SHIELD_MCP_MCP_MAX_SESSIONS", "5"},
                                           {"SHIELD_MCP_SERVER_HEADER_TIMEOUT_MS", "2500"},
                                           {"SHIELD_MCP_METRICS_ENABLED", "false"},
                                           {"SHIELD_MCP_MCP_SERVER_NAME", "edge"},
                                           {"PATH", "/usr/bin"},
                                           {"SHIELD_OTHER", "not ours"}});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  Config expected;
  expected.server.listen = HostPort{"127.0.0.1", 9000};
  expected.logging.level = "debug";
  expected.mcp.max_sessions = 5;
  expected.server.header_timeout = Millis(2500);
  expected.metrics.enabled = false;
  expected.mcp.server_name = "edge";
  testing::expect_same_config(*loaded, expected);
}

TEST(ConfigEnvironment, OverridesTheFile) {
  auto loaded = parse_config("[logging]\nlevel = \"warn\"\nformat = \"json\"\n", "t.toml",
                             {{"SHIELD_MCP_LOGGING_LEVEL", "trace"}});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->logging.level, "trace");
  EXPECT_EQ(loaded->logging.format, "json");  // not in the environment: the file's value
}

TEST(ConfigEnvironment, ListsAreCommaSeparatedAndEmptyMeansEmpty) {
  auto loaded = parse_config(
      "[server]\nallowed_hosts = [\"from.file\"]\nallowed_origins = [\"https://from.file\"]\n",
      "t.toml",
      {{"SHIELD_MCP_SERVER_ALLOWED_HOSTS", "a.example, b.example:8765 ,c.example"},
       {"SHIELD_MCP_SERVER_ALLOWED_ORIGINS", ""}});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_THAT(loaded->server.allowed_hosts,
              ElementsAre("a.example", "b.example:8765", "c.example"));
  EXPECT_THAT(loaded->server.allowed_origins, IsEmpty());
}

TEST(ConfigEnvironment, ErrorsNameTheVariableAndTheKey) {
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_SERVER_THREADS", "abc"}}),
              HasSubstr("environment variable SHIELD_MCP_SERVER_THREADS (server.threads): "
                        "expected an integer, got 'abc'"));
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_SERVER_THREADS", "4 "}}),
              HasSubstr("expected an integer, got '4 '"));
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_MCP_MAX_SESSIONS", "0"}}),
              HasSubstr("SHIELD_MCP_MCP_MAX_SESSIONS (mcp.max_sessions): 0 is out of range"));
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_SERVER_MAX_BODY_BYTES", "99999999999999999999"}}),
              HasSubstr("(server.max_body_bytes): '99999999999999999999' is out of range"));
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_METRICS_ENABLED", "yes"}}),
              HasSubstr("SHIELD_MCP_METRICS_ENABLED (metrics.enabled): expected a boolean"));
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_LOGGING_LEVEL", "loud"}}),
              HasSubstr("SHIELD_MCP_LOGGING_LEVEL (logging.level): expected one of"));
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_SERVER_LISTEN", "nowhere"}}),
              HasSubstr("SHIELD_MCP_SERVER_LISTEN (server.listen): 'nowhere' is not HOST:PORT"));
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_SERVER_ALLOWED_ORIGINS", "https://a.example,,"}}),
              HasSubstr("(server.allowed_origins): entry 2: entries must not be empty"));
}

TEST(ConfigEnvironment, UnknownShieldVariableIsAnErrorWithSuggestion) {
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_SERVER_LISTN", "127.0.0.1:1"}}),
              AllOf(HasSubstr("unknown environment variable SHIELD_MCP_SERVER_LISTN"),
                    HasSubstr("did you mean 'SHIELD_MCP_SERVER_LISTEN'?")));
  EXPECT_THAT(env_error_of({{"SHIELD_MCP_SERVER_IDLE_TIMEOUT", "5"}}),
              HasSubstr("did you mean 'SHIELD_MCP_SERVER_IDLE_TIMEOUT_MS'?"));
}

// setenv is safe here: gtest runs the tests of this binary on one thread.
TEST(ConfigEnvironment, CapturesTheProcessEnvironment) {
  ASSERT_EQ(::setenv("SHIELD_CONFIG_TEST_CAPTURE", "a=b", 1), 0);  // NOLINT(concurrency-mt-unsafe)
  const EnvMap env = process_environment();
  ::unsetenv("SHIELD_CONFIG_TEST_CAPTURE");  // NOLINT(concurrency-mt-unsafe)
  const auto found = env.find("SHIELD_CONFIG_TEST_CAPTURE");
  ASSERT_NE(found, env.end());
  EXPECT_EQ(found->second, "a=b");  // split at the first '=' only
}

}  // namespace
}  // namespace shield::config
