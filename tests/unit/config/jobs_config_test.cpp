// The [jobs] and [sink] sections: defaults, every key from the file and the environment,
// bounds, the sink kinds and the path and collection checks.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shield/config/config_loader.hpp"
#include "unit/config/config_test_support.hpp"

namespace shield::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

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

TEST(JobsConfigDefaults, BothSectionsHaveTheDocumentedDefaults) {
  auto loaded = load_config(std::nullopt, {});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const JobsConfig& j = loaded->jobs;
  EXPECT_EQ(j.state_dir, "shield-mcp-state");
  EXPECT_EQ(j.queue_capacity, 1'000u);
  EXPECT_EQ(j.crawl_concurrency, 2u);
  EXPECT_EQ(j.ingest_concurrency, 4u);
  EXPECT_EQ(j.retention, Millis(7LL * 24 * 3'600'000));
  EXPECT_EQ(j.poll_after_s, 2);
  EXPECT_EQ(j.max_events_per_job, 1'000u);
  EXPECT_EQ(j.max_upload_bytes, 100u * 1024 * 1024);
  EXPECT_TRUE(j.resume_running);
  const SinkConfig& s = loaded->sink;
  EXPECT_EQ(s.kind, "orchestrator");
  EXPECT_EQ(s.directory, "shield-mcp-documents");
  EXPECT_EQ(s.collection, "");
  EXPECT_EQ(s.chunk_tokens, 512u);
  EXPECT_EQ(s.chunk_overlap_tokens, 64u);
  EXPECT_EQ(s.batch_documents, 16u);
  EXPECT_EQ(s.retry_budget, Millis(600'000));
  EXPECT_EQ(s.retry_base_delay, Millis(1'000));
  EXPECT_EQ(s.retry_max_delay, Millis(60'000));
}

TEST(JobsConfigFile, SetsEveryKeyOfBothSections) {
  const Config c = load_ok(R"(
[jobs]
state_dir = "/var/lib/shield mcp/state"
queue_capacity = 12
crawl_concurrency = 1
ingest_concurrency = 9
retention_ms = 3600000
poll_after_s = 15
max_events_per_job = 40
max_upload_bytes = 2048
resume_running = false

[sink]
kind = "directory"
directory = "out/docs"
collection = "crawl_2"
chunk_tokens = 256
chunk_overlap_tokens = 0
batch_documents = 3
retry_budget_ms = 0
retry_base_delay_ms = 250
retry_max_delay_ms = 4000
)");
  EXPECT_EQ(c.jobs.state_dir, "/var/lib/shield mcp/state");
  EXPECT_EQ(c.jobs.queue_capacity, 12u);
  EXPECT_EQ(c.jobs.crawl_concurrency, 1u);
  EXPECT_EQ(c.jobs.ingest_concurrency, 9u);
  EXPECT_EQ(c.jobs.retention, Millis(3'600'000));
  EXPECT_EQ(c.jobs.poll_after_s, 15);
  EXPECT_EQ(c.jobs.max_events_per_job, 40u);
  EXPECT_EQ(c.jobs.max_upload_bytes, 2048u);
  EXPECT_FALSE(c.jobs.resume_running);
  EXPECT_EQ(c.sink.kind, "directory");
  EXPECT_EQ(c.sink.directory, "out/docs");
  EXPECT_EQ(c.sink.collection, "crawl_2");
  EXPECT_EQ(c.sink.chunk_tokens, 256u);
  EXPECT_EQ(c.sink.chunk_overlap_tokens, 0u);
  EXPECT_EQ(c.sink.batch_documents, 3u);
  EXPECT_EQ(c.sink.retry_budget, Millis(0));
  EXPECT_EQ(c.sink.retry_base_delay, Millis(250));
  EXPECT_EQ(c.sink.retry_max_delay, Millis(4'000));
  // Nothing else moved.
  Config expected;
  expected.jobs = c.jobs;
  expected.sink = c.sink;
  testing::expect_same_config(c, expected);
}

TEST(JobsConfigEnvironment, OverridesTheFileKeyByKey) {
  const Config c = load_ok("[jobs]\nstate_dir = \"from-file\"\nqueue_capacity = 5\n",
                           {{"SHIELD_MCP_JOBS_STATE_DIR", "/srv/jobs"},
                            {"SHIELD_MCP_JOBS_RESUME_RUNNING", "0"},
                            {"SHIELD_MCP_JOBS_POLL_AFTER_S", "7"},
                            {"SHIELD_MCP_SINK_KIND", "qdrant"},
                            {"SHIELD_MCP_SINK_RETRY_BUDGET_MS", "1500"}});
  EXPECT_EQ(c.jobs.state_dir, "/srv/jobs");
  EXPECT_EQ(c.jobs.queue_capacity, 5u);
  EXPECT_FALSE(c.jobs.resume_running);
  EXPECT_EQ(c.jobs.poll_after_s, 7);
  EXPECT_EQ(c.sink.kind, "qdrant");
  EXPECT_EQ(c.sink.retry_budget, Millis(1'500));
}

TEST(JobsConfigRanges, RefuseValuesOutsideTheirBounds) {
  EXPECT_THAT(load_error("[jobs]\nqueue_capacity = 0\n"),
              HasSubstr("test.toml:2:18: jobs.queue_capacity: 0 is out of range (expected 1 to "
                        "1000000)"));
  EXPECT_THAT(load_error("[jobs]\ncrawl_concurrency = 257\n"),
              HasSubstr("jobs.crawl_concurrency: 257 is out of range (expected 1 to 256)"));
  EXPECT_THAT(load_error("[jobs]\ningest_concurrency = 0\n"),
              HasSubstr("jobs.ingest_concurrency: 0 is out of range"));
  EXPECT_THAT(load_error("[jobs]\nretention_ms = 999\n"),
              HasSubstr("jobs.retention_ms: 999 is out of range (expected 1000 to 31536000000)"));
  EXPECT_THAT(load_error("[jobs]\npoll_after_s = 0\n"),
              HasSubstr("jobs.poll_after_s: 0 is out of range (expected 1 to 3600)"));
  EXPECT_THAT(load_error("[jobs]\nmax_events_per_job = 0\n"),
              HasSubstr("jobs.max_events_per_job: 0 is out of range"));
  EXPECT_THAT(load_error("[jobs]\nmax_upload_bytes = 1023\n"),
              HasSubstr("jobs.max_upload_bytes: 1023 is out of range (expected 1024 to "
                        "17179869184)"));
  EXPECT_THAT(load_error("[sink]\nchunk_tokens = 15\n"),
              HasSubstr("sink.chunk_tokens: 15 is out of range (expected 16 to 32768)"));
  EXPECT_THAT(load_error("[sink]\nbatch_documents = 0\n"),
              HasSubstr("sink.batch_documents: 0 is out of range"));
  EXPECT_THAT(load_error("[sink]\nretry_budget_ms = -1\n"),
              HasSubstr("sink.retry_budget_ms: -1 is out of range (expected 0 to 604800000)"));
  EXPECT_THAT(load_error("[sink]\nretry_base_delay_ms = 0\n"),
              HasSubstr("sink.retry_base_delay_ms: 0 is out of range"));
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_SINK_RETRY_MAX_DELAY_MS", "3600001"}}),
              HasSubstr("environment variable SHIELD_MCP_SINK_RETRY_MAX_DELAY_MS "
                        "(sink.retry_max_delay_ms): 3600001 is out of range"));
  EXPECT_THAT(load_error("[jobs]\nresume_running = \"yes\"\n"),
              HasSubstr("jobs.resume_running: expected a boolean (true or false), got string"));
}

TEST(JobsConfigCombinations, RetryDelaysAndChunkOverlapMustFitTogether) {
  EXPECT_THAT(load_error("[sink]\nretry_base_delay_ms = 5000\nretry_max_delay_ms = 1000\n"),
              HasSubstr("sink.retry_max_delay_ms: 1000 is below sink.retry_base_delay_ms (5000)"));
  EXPECT_THAT(load_error("[sink]\nchunk_tokens = 64\nchunk_overlap_tokens = 64\n"),
              HasSubstr("sink.chunk_overlap_tokens: 64 must be below sink.chunk_tokens (64)"));
  EXPECT_EQ(
      load_ok("[sink]\nchunk_tokens = 64\nchunk_overlap_tokens = 63\n").sink.chunk_overlap_tokens,
      63u);
}

TEST(JobsConfigSinkKind, ListsTheFourSinksAndSuggests) {
  for (const char* kind : {"orchestrator", "qdrant", "lightrag", "directory"}) {
    EXPECT_EQ(load_ok(std::string("[sink]\nkind = \"") + kind + "\"\n").sink.kind, kind);
  }
  EXPECT_THAT(load_error("[sink]\nkind = \"directroy\"\n"),
              AllOf(HasSubstr("sink.kind: expected one of orchestrator, qdrant, lightrag, "
                              "directory, got 'directroy'"),
                    HasSubstr("did you mean 'directory'?")));
  EXPECT_THAT(load_error("[sink]\nkind = \"\"\n"), HasSubstr("sink.kind: expected one of"));
}

TEST(JobsConfigPaths, MustBeNonEmptyAndFreeOfControlCharacters) {
  EXPECT_THAT(load_error("[jobs]\nstate_dir = \"\"\n"),
              HasSubstr("jobs.state_dir: must not be empty"));
  EXPECT_THAT(load_error("[sink]\ndirectory = \"\"\n"),
              HasSubstr("sink.directory: must not be empty"));
  EXPECT_THAT(load_error("[jobs]\nstate_dir = \"state\\ndir\"\n"),
              HasSubstr("jobs.state_dir: the path contains a control character"));
  EXPECT_THAT(load_error("", {{"SHIELD_MCP_SINK_DIRECTORY", std::string("out\tdir")}}),
              HasSubstr("SHIELD_MCP_SINK_DIRECTORY (sink.directory): the path contains a "
                        "control character"));
  EXPECT_EQ(load_ok("[jobs]\nstate_dir = \"./relative/state\"\n").jobs.state_dir,
            "./relative/state");
}

TEST(JobsConfigSinkCollection, EmptyMeansTheQdrantCollectionOtherwiseQdrantRulesApply) {
  EXPECT_EQ(load_ok("[sink]\ncollection = \"\"\n").sink.collection, "");
  EXPECT_EQ(load_ok("[sink]\ncollection = \"team-docs\"\n").sink.collection, "team-docs");
  EXPECT_THAT(load_error("[sink]\ncollection = \"team/docs\"\n"),
              HasSubstr("sink.collection: 'team/docs' contains a character Qdrant refuses"));
}

TEST(JobsConfigSuggestions, KeysWithoutTheirUnitOrInTheWrongSectionPointTheWay) {
  EXPECT_THAT(load_error("[jobs]\nretention = 5\n"),
              HasSubstr("did you mean 'jobs.retention_ms'?"));
  EXPECT_THAT(load_error("[jobs]\nchunk_tokens = 5\n"),
              HasSubstr("did you mean 'sink.chunk_tokens'? it belongs in [sink]"));
  EXPECT_THAT(load_error("[job]\nstate_dir = \"x\"\n"),
              HasSubstr("unknown section [job] (did you mean 'jobs'?)"));
}

}  // namespace
}  // namespace shield::config
