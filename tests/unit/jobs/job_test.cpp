// The job value: state and kind spellings, the state machine's final states, ids, and the
// JSON every surface shows.
#include "shield/jobs/job.hpp"

#include <regex>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shield/jobs/job_engine.hpp"

namespace shield::jobs {
namespace {

constexpr std::array kAllStates = {JobState::kQueued, JobState::kRunning,   JobState::kSucceeded,
                                   JobState::kFailed, JobState::kCancelled, JobState::kInterrupted};

TEST(JobState, SpellingsRoundTripAndUnknownWordsAreRefused) {
  const std::vector<std::string> names = {"queued", "running",   "succeeded",
                                          "failed", "cancelled", "interrupted"};
  for (std::size_t i = 0; i < kAllStates.size(); ++i) {
    EXPECT_EQ(to_string(kAllStates[i]), names[i]);
    EXPECT_EQ(parse_job_state(names[i]), kAllStates[i]);
  }
  EXPECT_EQ(parse_job_state("Queued"), std::nullopt);
  EXPECT_EQ(parse_job_state("canceled"), std::nullopt);
  EXPECT_EQ(parse_job_state(""), std::nullopt);
}

TEST(JobState, OnlyQueuedAndRunningAreNotFinal) {
  EXPECT_FALSE(is_final(JobState::kQueued));
  EXPECT_FALSE(is_final(JobState::kRunning));
  EXPECT_TRUE(is_final(JobState::kSucceeded));
  EXPECT_TRUE(is_final(JobState::kFailed));
  EXPECT_TRUE(is_final(JobState::kCancelled));
  EXPECT_TRUE(is_final(JobState::kInterrupted));
}

TEST(JobKind, SpellingsRoundTrip) {
  EXPECT_EQ(to_string(JobKind::kCrawl), "crawl");
  EXPECT_EQ(to_string(JobKind::kIngest), "ingest");
  EXPECT_EQ(parse_job_kind("crawl"), JobKind::kCrawl);
  EXPECT_EQ(parse_job_kind("ingest"), JobKind::kIngest);
  EXPECT_EQ(parse_job_kind("upload"), std::nullopt);
}

TEST(JobId, LooksLikeTellsOurIdsFromOthers) {
  EXPECT_TRUE(looks_like_job_id("job_abcdefghijklmnopqrstuvwxyz"));
  EXPECT_TRUE(looks_like_job_id("job_234567234567234567234567ab"));
  EXPECT_FALSE(looks_like_job_id("job_abcdefghijklmnopqrstuvwxy"));    // 25 characters
  EXPECT_FALSE(looks_like_job_id("job_abcdefghijklmnopqrstuvwxyzz"));  // 27
  EXPECT_FALSE(looks_like_job_id("job_ABCDEFGHIJKLMNOPQRSTUVWXYZ"));   // upper case
  EXPECT_FALSE(looks_like_job_id("job_abcdefghijklmnopqrstuvwxy1"));   // 1 is not base32
  EXPECT_FALSE(looks_like_job_id("job_../../../../etc/passwd/xxxx"));
  EXPECT_FALSE(looks_like_job_id("3f2a9c1e-0000-4000-8000-000000000000"));
  EXPECT_FALSE(looks_like_job_id(""));
}

TEST(JobJson, CarriesEveryFieldWithRfc3339UtcTimes) {
  Job job;
  job.id = "job_abcdefghijklmnopqrstuvwxyz";
  job.kind = JobKind::kCrawl;
  job.state = JobState::kFailed;
  job.caller = "alice";
  job.input = {{"secret_argument", "never shown"}};
  job.progress = {{"pages_ok", 3}, {"message", "sink down"}};
  job.error = JobError{"sink_unavailable", "the orchestrator answered 503 for 10 min"};
  job.remote_job_ids = {"orch-1", "orch-2"};
  job.created_at_ms = 1'738'314'902'481;  // 2025-01-31T09:15:02.481Z
  job.updated_at_ms = 1'738'314'903'000;
  job.started_at_ms = 1'738'314'902'999;
  job.finished_at_ms = 1'738'315'000'007;
  job.attempts = 2;
  const Json json = job.to_json();
  EXPECT_EQ(json["job_id"], job.id);
  EXPECT_EQ(json["kind"], "crawl");
  EXPECT_EQ(json["state"], "failed");
  EXPECT_EQ(json["caller"], "alice");
  EXPECT_EQ(json["progress"], job.progress);
  EXPECT_EQ(json["error"], (Json{{"code", "sink_unavailable"},
                                 {"message", "the orchestrator answered 503 for 10 min"}}));
  EXPECT_TRUE(json["result"].is_null());
  EXPECT_EQ(json["remote_job_ids"], (Json{"orch-1", "orch-2"}));
  EXPECT_EQ(json["created_at"], "2025-01-31T09:15:02.481Z");
  EXPECT_EQ(json["updated_at"], "2025-01-31T09:15:03.000Z");
  EXPECT_EQ(json["started_at"], "2025-01-31T09:15:02.999Z");
  EXPECT_EQ(json["finished_at"], "2025-01-31T09:16:40.007Z");
  EXPECT_EQ(json["attempts"], 2);
  EXPECT_FALSE(json.contains("input")) << "input may hold private arguments";
}

TEST(JobJson, LeavesOutWhatHasNotHappenedYet) {
  Job job;
  job.id = "job_abcdefghijklmnopqrstuvwxyz";
  job.created_at_ms = 0;
  job.updated_at_ms = 0;
  const Json json = job.to_json();
  EXPECT_EQ(json["state"], "queued");
  EXPECT_EQ(json["created_at"], "1970-01-01T00:00:00.000Z");
  EXPECT_FALSE(json.contains("error"));
  EXPECT_FALSE(json.contains("started_at"));
  EXPECT_FALSE(json.contains("finished_at"));
  EXPECT_EQ(json["progress"], Json::object());
  EXPECT_EQ(json["remote_job_ids"], Json::array());
}

TEST(AcceptedJson, IsTheHttp202Body) {
  Job job;
  job.id = "job_abc";
  job.kind = JobKind::kCrawl;
  EXPECT_EQ(accepted_json(job, "http://127.0.0.1:8765", 3),
            (Json{{"job_id", "job_abc"},
                  {"status", "accepted"},
                  {"kind", "crawl"},
                  {"track_url", "http://127.0.0.1:8765/jobs/job_abc"},
                  {"poll_after_s", 3}}));
}

}  // namespace
}  // namespace shield::jobs
