// The backend sections ([orchestrator], [qdrant], [embedder], [lightrag]): defaults, every
// key from the file and the environment, URL and duration checks, API keys (never shown),
// and the rules that span keys.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shield/config/config_loader.hpp"
#include "unit/config/config_test_support.hpp"

namespace shield::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScratchDir;

Config load_ok(const std::string& toml, const EnvMap& env = {}) {
  auto loaded = parse_config(toml, "test.toml", env);
  EXPECT_TRUE(loaded.has_value()) << loaded.error().message;
  return loaded ? *loaded : Config{};
}

std::string load_error(const std::string& toml, const EnvMap& env = {}) {
  auto loaded = parse_config(toml, "test.toml", env);
  EXPECT_FALSE(loaded.has_value()) << "expected an error for:\n" << toml;
  if (loaded) return {};
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);
  return loaded.error().message;
}

void expect_shared_defaults(const BackendConfig& b, const std::string& url, Millis timeout) {
  EXPECT_EQ(b.url, url);
  EXPECT_TRUE(b.api_key.empty());
  EXPECT_EQ(b.connect_timeout, Millis(2'000));
  EXPECT_EQ(b.timeout, timeout);
  EXPECT_EQ(b.max_response_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(b.max_in_flight, 64u);
  EXPECT_EQ(b.breaker_mode, "consecutive");
  EXPECT_EQ(b.breaker_failure_threshold, 5u);
  EXPECT_EQ(b.breaker_open, Millis(60'000));
  EXPECT_EQ(b.breaker_half_open_probes, 1u);
  EXPECT_EQ(b.breaker_failure_rate, 50u);
  EXPECT_EQ(b.breaker_minimum_calls, 10u);
  EXPECT_EQ(b.breaker_window, Millis(60'000));
  EXPECT_EQ(b.retry_max_attempts, 3u);
  EXPECT_EQ(b.retry_base_delay, Millis(100));
  EXPECT_EQ(b.retry_max_delay, Millis(5'000));
}

TEST(BackendConfigDefaults, EverySectionHasTheDocumentedDefaults) {
  auto loaded = load_config(std::nullopt, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Config& c = *loaded;
  expect_shared_defaults(c.orchestrator, "http://127.0.0.1:8000", Millis(30'000));
  expect_shared_defaults(c.qdrant, "http://127.0.0.1:6333", Millis(10'000));
  expect_shared_defaults(c.embedder, "http://127.0.0.1:11434", Millis(30'000));
  expect_shared_defaults(c.lightrag, "http://127.0.0.1:9621", Millis(120'000));
  EXPECT_EQ(c.qdrant.collection, "shield-docs");
  EXPECT_FALSE(c.qdrant.collection_locked);
  EXPECT_EQ(c.qdrant.vector_name, "");
  EXPECT_EQ(c.qdrant.distance, "Cosine");
  EXPECT_FALSE(c.qdrant.read_only);
  EXPECT_TRUE(c.qdrant.allow_arbitrary_filters);
  EXPECT_EQ(c.embedder.provider, "ollama");
  EXPECT_EQ(c.embedder.model, "nomic-embed-text");
  EXPECT_EQ(c.embedder.dimensions, 0u);
  EXPECT_TRUE(c.embedder.truncate);
  EXPECT_EQ(c.embedder.keep_alive, "5m");
  EXPECT_EQ(c.embedder.batch_size, 32u);
  EXPECT_EQ(c.embedder.max_concurrency, 4u);
  EXPECT_EQ(c.embedder.cache_entries, 10'000u);
  EXPECT_EQ(c.embedder.cache_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(c.lightrag.mode, "orchestrator");
}

TEST(BackendConfigFile, SetsEverySharedKeyOfASection) {
  const Config c = load_ok(R"(
[lightrag]
url = "https://rag.example:9443/prefix"
api_key = "lr-key"
mode = "direct"
connect_timeout_ms = 111
timeout_ms = 2222
max_response_bytes = 4096
max_in_flight = 7
breaker_mode = "rate"
breaker_failure_threshold = 9
breaker_open_ms = 1234
breaker_half_open_probes = 3
breaker_failure_rate = 25
breaker_minimum_calls = 40
breaker_window_ms = 30000
retry_max_attempts = 1
retry_base_delay_ms = 20
retry_max_delay_ms = 200
)");
  const LightragConfig& l = c.lightrag;
  EXPECT_EQ(l.url, "https://rag.example:9443/prefix");
  EXPECT_EQ(l.api_key.value, "lr-key");
  EXPECT_EQ(l.mode, "direct");
  EXPECT_EQ(l.connect_timeout, Millis(111));
  EXPECT_EQ(l.timeout, Millis(2222));
  EXPECT_EQ(l.max_response_bytes, 4096u);
  EXPECT_EQ(l.max_in_flight, 7u);
  EXPECT_EQ(l.breaker_mode, "rate");
  EXPECT_EQ(l.breaker_failure_threshold, 9u);
  EXPECT_EQ(l.breaker_open, Millis(1234));
  EXPECT_EQ(l.breaker_half_open_probes, 3u);
  EXPECT_EQ(l.breaker_failure_rate, 25u);
  EXPECT_EQ(l.breaker_minimum_calls, 40u);
  EXPECT_EQ(l.breaker_window, Millis(30'000));
  EXPECT_EQ(l.retry_max_attempts, 1u);
  EXPECT_EQ(l.retry_base_delay, Millis(20));
  EXPECT_EQ(l.retry_max_delay, Millis(200));
  // The other sections are untouched.
  Config expected;
  expected.lightrag = l;
  testing::expect_same_config(c, expected);
}

TEST(BackendConfigFile, SetsTheQdrantAndEmbedderKeys) {
  const Config c = load_ok(R"(
[qdrant]
collection = "team_docs-2"
collection_locked = true
vector_name = "dense"
distance = "Manhattan"
read_only = true
allow_arbitrary_filters = false

[embedder]
provider = "openai"
model = "BAAI/bge-m3"
dimensions = 1024
truncate = false
keep_alive = "1h30m"
batch_size = 8
max_concurrency = 2
cache_entries = 0
cache_bytes = 1048576
)");
  EXPECT_EQ(c.qdrant.collection, "team_docs-2");
  EXPECT_TRUE(c.qdrant.collection_locked);
  EXPECT_EQ(c.qdrant.vector_name, "dense");
  EXPECT_EQ(c.qdrant.distance, "Manhattan");
  EXPECT_TRUE(c.qdrant.read_only);
  EXPECT_FALSE(c.qdrant.allow_arbitrary_filters);
  EXPECT_EQ(c.embedder.provider, "openai");
  EXPECT_EQ(c.embedder.model, "BAAI/bge-m3");
  EXPECT_EQ(c.embedder.dimensions, 1024u);
  EXPECT_FALSE(c.embedder.truncate);
  EXPECT_EQ(c.embedder.keep_alive, "1h30m");
  EXPECT_EQ(c.embedder.batch_size, 8u);
  EXPECT_EQ(c.embedder.max_concurrency, 2u);
  EXPECT_EQ(c.embedder.cache_entries, 0u);
  EXPECT_EQ(c.embedder.cache_bytes, 1024u * 1024);
}

TEST(BackendConfigEnvironment, OverridesTheFileKeyByKey) {
  const Config c = load_ok("[qdrant]\nurl = \"http://from-file:6333\"\ncollection = \"file\"\n",
                           {{"SHIELD_MCP_QDRANT_URL", "https://from-env:6334"},
                            {"SHIELD_MCP_QDRANT_READ_ONLY", "true"},
                            {"SHIELD_MCP_EMBEDDER_PROVIDER", "openai"},
                            {"SHIELD_MCP_EMBEDDER_KEEP_ALIVE", "-1m"},
                            {"SHIELD_MCP_ORCHESTRATOR_BREAKER_OPEN_MS", "5000"},
                            {"SHIELD_MCP_LIGHTRAG_RETRY_MAX_ATTEMPTS", "5"}});
  EXPECT_EQ(c.qdrant.url, "https://from-env:6334");
  EXPECT_EQ(c.qdrant.collection, "file");
  EXPECT_TRUE(c.qdrant.read_only);
  EXPECT_EQ(c.embedder.provider, "openai");
  EXPECT_EQ(c.embedder.keep_alive, "-1m");
  EXPECT_EQ(c.orchestrator.breaker_open, Millis(5'000));
  EXPECT_EQ(c.lightrag.retry_max_attempts, 5u);
}

TEST(BackendConfigEnvironment, ErrorsNameTheVariableAndTheKey) {
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_QDRANT_TIMEOUT_MS", "0"}}),
              HasSubstr("environment variable SHIELD_MCP_QDRANT_TIMEOUT_MS (qdrant.timeout_ms): 0 "
                        "is out of range (expected 1 to 3600000)"));
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_EMBEDDER_URL", "localhost:11434"}}),
              HasSubstr("SHIELD_MCP_EMBEDDER_URL (embedder.url): 'localhost:11434' is not an "
                        "http:// or https:// URL"));
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_QDRANT_COLLECTON", "x"}}),
              HasSubstr("did you mean 'SHIELD_MCP_QDRANT_COLLECTION'?"));
}

TEST(BackendUrl, AcceptsHttpAndHttpsWithPortsPathsAndIpv6) {
  for (const char* url : {"http://127.0.0.1:6333", "https://qdrant.example", "HTTPS://Q.example:1",
                          "http://[::1]:8000", "http://[::1]", "https://gw.example/qdrant/",
                          "http://host:65535/a/b"}) {
    const Config c = load_ok(std::string("[qdrant]\nurl = \"") + url + "\"\n");
    EXPECT_EQ(c.qdrant.url, url);
  }
}

TEST(BackendUrl, RefusesWhatCouldNeverWorkAndSaysWhy) {
  const auto error_for = [](const std::string& url) {
    return load_error("[qdrant]\nurl = \"" + url + "\"\n");
  };
  EXPECT_THAT(error_for("ftp://files.example"),
              HasSubstr("test.toml:2:7: qdrant.url: 'ftp://files.example' is not an http:// or "
                        "https:// URL (e.g. http://127.0.0.1:6333)"));
  EXPECT_THAT(error_for("127.0.0.1:6333"), HasSubstr("is not an http:// or https:// URL"));
  EXPECT_THAT(error_for(""), HasSubstr("qdrant.url: must not be empty"));
  EXPECT_THAT(error_for("http://"), HasSubstr("'http://' has no host"));
  EXPECT_THAT(error_for("http://:6333"), HasSubstr("has no host"));
  EXPECT_THAT(error_for("http://host:"), HasSubstr("has an empty port"));
  EXPECT_THAT(error_for("http://host:70000"), HasSubstr("port must be a number from 1 to 65535"));
  EXPECT_THAT(error_for("http://host:0"), HasSubstr("port must be a number from 1 to 65535"));
  EXPECT_THAT(error_for("http://host:6a"), HasSubstr("port must be a number from 1 to 65535"));
  EXPECT_THAT(error_for("http://[::1"), HasSubstr("unclosed IPv6 bracket"));
  EXPECT_THAT(error_for("http://host/path?collection=x"),
              HasSubstr("must not have a query or fragment"));
  EXPECT_THAT(error_for("http://host/#top"), HasSubstr("must not have a query or fragment"));
  EXPECT_THAT(error_for("http://bad host"), HasSubstr("contains whitespace"));
}

TEST(BackendUrl, CredentialsAreRefusedWithoutRepeatingThem) {
  for (const std::string url : {"https://admin:hunter2@qdrant.example", "hunter2@qdrant.example"}) {
    const std::string message = load_error("[qdrant]\nurl = \"" + url + "\"\n");
    EXPECT_THAT(message, HasSubstr("qdrant.url:"));
    EXPECT_THAT(message, Not(HasSubstr("hunter2")));
  }
  EXPECT_THAT(load_error("[qdrant]\nurl = \"https://admin:hunter2@qdrant.example\"\n"),
              HasSubstr("must not contain credentials (user:password@); put the key in api_key"));
  const std::string from_env =
      load_error("", {{"SHIELD_MCP_ORCHESTRATOR_URL", "http://u:pw-XYZ@orch.example"}});
  EXPECT_THAT(from_env, HasSubstr("SHIELD_MCP_ORCHESTRATOR_URL (orchestrator.url): must not "
                                  "contain credentials"));
  EXPECT_THAT(from_env, Not(HasSubstr("pw-XYZ")));
}

TEST(BackendApiKey, LiteralEnvReferenceAndFileReference) {
  ScratchDir dir;
  const auto key_file = dir.write("qdrant-key", "file-key-Q\n");
  const Config c = load_ok("[qdrant]\napi_key = { file = \"" + key_file.string() +
                               "\" }\n[embedder]\napi_key = { env = \"EMBED_KEY\" }\n"
                               "[lightrag]\napi_key = \"literal-key-L\"\n",
                           {{"EMBED_KEY", "env-key-E"}});
  EXPECT_EQ(c.qdrant.api_key.value, "file-key-Q");
  EXPECT_EQ(c.embedder.api_key.value, "env-key-E");
  EXPECT_EQ(c.lightrag.api_key.value, "literal-key-L");
  EXPECT_TRUE(c.orchestrator.api_key.empty());
}

TEST(BackendApiKey, EnvironmentVariableOrFileVariable) {
  ScratchDir dir;
  const auto key_file = dir.write("key", "from-key-file\r\n");
  const Config c = load_ok("[qdrant]\napi_key = \"file-value\"\n",
                           {{"SHIELD_MCP_QDRANT_API_KEY", "from-env"},
                            {"SHIELD_MCP_LIGHTRAG_API_KEY_FILE", key_file.string()}});
  EXPECT_EQ(c.qdrant.api_key.value, "from-env");
  EXPECT_EQ(c.lightrag.api_key.value, "from-key-file");
}

TEST(BackendApiKey, BadKeysAreNamedButNeverShown) {
  ScratchDir dir;
  const auto key_file = dir.write("key", "k\n");
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_QDRANT_API_KEY", "a"},
                              {"SHIELD_MCP_QDRANT_API_KEY_FILE", key_file.string()}}),
              HasSubstr("environment variables SHIELD_MCP_QDRANT_API_KEY and "
                        "SHIELD_MCP_QDRANT_API_KEY_FILE (qdrant.api_key) are both set; set only "
                        "one"));
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_QDRANT_API_KEY", ""}}),
              HasSubstr("SHIELD_MCP_QDRANT_API_KEY (qdrant.api_key): is set but empty"));
  const auto empty = dir.write("empty", "\n");
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_QDRANT_API_KEY_FILE", empty.string()}}),
              HasSubstr("SHIELD_MCP_QDRANT_API_KEY_FILE (qdrant.api_key): file '" + empty.string() +
                        "' is empty"));
  EXPECT_THAT(load_error("[qdrant]\napi_key = { env = \"NOPE_NOT_SET\" }\n"),
              HasSubstr("qdrant.api_key: environment variable NOPE_NOT_SET is not set"));
  EXPECT_THAT(load_error("[qdrant]\napi_key = 42\n"),
              HasSubstr("qdrant.api_key: expected a string, { env = \"VAR\" } or { file = "
                        "\"/path\" }, got integer"));
  const std::string spaced = load_error("[qdrant]\napi_key = \"secret with-space-K9\"\n");
  EXPECT_THAT(spaced, HasSubstr("qdrant.api_key: the key contains whitespace or control"));
  EXPECT_THAT(spaced, Not(HasSubstr("K9")));
}

TEST(BackendApiKey, RenderedConfigRedactsKeysAndCannotBeFedBackAsAKey) {
  Config config;
  config.qdrant.api_key = Secret{"qdrant-secret-R1"};
  const std::string text = render_config(config);
  EXPECT_THAT(text, HasSubstr("\n[qdrant]\nurl = \"http://127.0.0.1:6333\"\napi_key = "
                              "\"<redacted key>\"\n"));
  EXPECT_THAT(text, HasSubstr("\n[embedder]\nurl = \"http://127.0.0.1:11434\"\napi_key = \"\"\n"));
  EXPECT_THAT(text, Not(HasSubstr("qdrant-secret-R1")));
  EXPECT_THAT(load_error(text), HasSubstr("qdrant.api_key: the key contains whitespace"));
}

TEST(BackendChoices, ListTheAcceptedValuesAndSuggest) {
  EXPECT_THAT(load_error("[qdrant]\nbreaker_mode = \"ratio\"\n"),
              HasSubstr("qdrant.breaker_mode: expected one of consecutive, rate, got 'ratio'"));
  EXPECT_THAT(load_error("[qdrant]\ndistance = \"cosine\"\n"),
              AllOf(HasSubstr("qdrant.distance: expected one of Cosine, Dot, Euclid, Manhattan"),
                    HasSubstr("did you mean 'Cosine'?")));
  EXPECT_THAT(load_error("[embedder]\nprovider = \"olama\"\n"),
              AllOf(HasSubstr("embedder.provider: expected one of ollama, openai, got 'olama'"),
                    HasSubstr("did you mean 'ollama'?")));
  EXPECT_THAT(load_error("[lightrag]\nmode = \"hybrid\"\n"),
              HasSubstr("lightrag.mode: expected one of orchestrator, direct, got 'hybrid'"));
}

TEST(BackendRanges, MatchTheBreakerAndRetryLimits) {
  EXPECT_THAT(load_error("[qdrant]\nbreaker_failure_rate = 0\n"),
              HasSubstr("qdrant.breaker_failure_rate: 0 is out of range (expected 1 to 100)"));
  EXPECT_THAT(load_error("[qdrant]\nbreaker_failure_rate = 101\n"),
              HasSubstr("out of range (expected 1 to 100)"));
  EXPECT_THAT(load_error("[qdrant]\nbreaker_window_ms = 999\n"),
              HasSubstr("qdrant.breaker_window_ms: 999 is out of range (expected 1000 to"));
  EXPECT_THAT(load_error("[qdrant]\nbreaker_half_open_probes = 1001\n"),
              HasSubstr("(expected 1 to 1000)"));
  EXPECT_THAT(load_error("[qdrant]\nbreaker_failure_threshold = 0\n"),
              HasSubstr("qdrant.breaker_failure_threshold: 0 is out of range"));
  EXPECT_THAT(load_error("[qdrant]\nretry_max_attempts = 11\n"),
              HasSubstr("qdrant.retry_max_attempts: 11 is out of range (expected 1 to 10)"));
  EXPECT_THAT(load_error("[qdrant]\nmax_in_flight = 0\n"),
              HasSubstr("qdrant.max_in_flight: 0 is out of range"));
  EXPECT_THAT(load_error("[embedder]\nbatch_size = 0\n"),
              HasSubstr("embedder.batch_size: 0 is out of range (expected 1 to 2048)"));
}

TEST(BackendKeepAlive, TakesGoDurationsOnly) {
  for (const char* ok : {"5m", "1h30m", "0", "-1m", "300ms", "1.5h", "10s", "2h45m30s", "-1s"}) {
    EXPECT_EQ(load_ok(std::string("[embedder]\nkeep_alive = \"") + ok + "\"\n").embedder.keep_alive,
              ok);
  }
  for (const char* bad : {"300", "5 min", "m", "-", "5x", "1h30", "5m-"}) {
    EXPECT_THAT(load_error(std::string("[embedder]\nkeep_alive = \"") + bad + "\"\n"),
                HasSubstr(std::string("embedder.keep_alive: '") + bad + "' is not a duration"))
        << bad;
  }
  EXPECT_THAT(load_error("[embedder]\nkeep_alive = \"\"\n"),
              HasSubstr("embedder.keep_alive: must not be empty"));
}

TEST(BackendNames, CollectionVectorAndModelNamesAreChecked) {
  EXPECT_THAT(load_error("[qdrant]\ncollection = \"team/docs\"\n"),
              HasSubstr("qdrant.collection: 'team/docs' contains a character Qdrant refuses"));
  EXPECT_THAT(load_error("[qdrant]\ncollection = \"\"\n"),
              HasSubstr("qdrant.collection: must not be empty"));
  EXPECT_THAT(load_error("[qdrant]\ncollection = \"" + std::string(256, 'c') + "\"\n"),
              HasSubstr("qdrant.collection: must be at most 255 bytes long"));
  EXPECT_THAT(load_error("[qdrant]\nvector_name = \"my vector\"\n"),
              HasSubstr("qdrant.vector_name: 'my vector' contains whitespace"));
  EXPECT_THAT(load_error("[embedder]\nmodel = \"\"\n"),
              HasSubstr("embedder.model: must not be empty"));
  EXPECT_THAT(load_error("[embedder]\nmodel = \"nomic embed\"\n"),
              HasSubstr("embedder.model: 'nomic embed' contains whitespace"));
}

TEST(BackendRules, RetryDelaysAndEmbedderConcurrencyMustFitTogether) {
  EXPECT_THAT(
      load_error("[qdrant]\nretry_base_delay_ms = 500\nretry_max_delay_ms = 100\n"),
      HasSubstr("qdrant.retry_max_delay_ms: 100 is below qdrant.retry_base_delay_ms (500)"));
  EXPECT_THAT(load_error("[embedder]\nmax_concurrency = 10\nmax_in_flight = 8\n"),
              HasSubstr("embedder.max_concurrency: 10 exceeds embedder.max_in_flight (8)"));
  // Equal is fine for both.
  load_ok(
      "[lightrag]\nretry_base_delay_ms = 300\nretry_max_delay_ms = 300\n"
      "[embedder]\nmax_concurrency = 8\nmax_in_flight = 8\n");
  // The rules also run on the merged result, so the environment can break them too.
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_ORCHESTRATOR_RETRY_MAX_DELAY_MS", "50"}}),
              HasSubstr("orchestrator.retry_max_delay_ms: 50 is below"));
  Config config;
  config.embedder.max_concurrency = 100;
  auto valid = validate_config(config);
  ASSERT_FALSE(valid.has_value());
  EXPECT_THAT(valid.error().message, HasSubstr("embedder.max_concurrency: 100 exceeds"));
}

TEST(BackendSuggestions, KeysOfAnotherBackendPointAtTheirSection) {
  EXPECT_THAT(load_error("[qdrant]\nmodel = \"x\"\n"),
              AllOf(HasSubstr("unknown key 'qdrant.model'"),
                    HasSubstr("did you mean 'embedder.model'? it belongs in [embedder]")));
  EXPECT_THAT(load_error("[qdrant]\ntimeout = 5\n"),
              HasSubstr("did you mean 'qdrant.timeout_ms'?"));
  EXPECT_THAT(load_error("[backends.qdrant]\nurl = \"http://x\"\n"),
              HasSubstr("unknown section [backends]: backend sections are top level, write "
                        "[qdrant] rather than [backends.qdrant]"));
}

}  // namespace
}  // namespace shield::config
