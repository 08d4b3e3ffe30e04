// The job engine end to end on a real journal: accept, run, cancel, retry, recover after a
// crash or a shutdown, purge after the retention, replay and watch events, concurrency per
// kind, progress coalescing and the metrics. Time is a ManualClock; the test thread drives
// the io_context and waits only for the journal thread's answers.
#include "shield/jobs/job_engine.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "shield/jobs/job_journal.hpp"
#include "unit/jobs/job_test_support.hpp"

namespace shield::jobs {
namespace {

using ::testing::ElementsAre;
using testing::GatedRunner;
using ::testing::HasSubstr;
using testing::Loop;
using testing::read_metric;
using testing::ScratchDir;
namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr auto kHour = std::chrono::milliseconds(3'600'000);

std::vector<std::string> states_of(const std::vector<JobEvent>& events) {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const JobEvent& e : events) out.push_back(e.job["state"].get<std::string>());
  return out;
}

std::vector<std::uint64_t> seqs_of(const std::vector<JobEvent>& events) {
  std::vector<std::uint64_t> out;
  out.reserve(events.size());
  for (const JobEvent& e : events) out.push_back(e.seq);
  return out;
}

class JobEngineTest : public ::testing::Test {
 protected:
  JobEngineOptions options() {
    JobEngineOptions o;
    o.state_dir = dir.path() / "state";
    o.clock = &clock;
    o.retention = kHour;
    o.queue_capacity = 100;
    return o;
  }

  void open(JobEngineOptions o) {
    auto opened = JobEngine::open(std::move(o), loop.executor(), &registry);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    engine = std::move(*opened);
  }

  // Opens with the gated runner for both kinds and starts.
  void open_and_start(JobEngineOptions o, std::size_t crawl = 1, std::size_t ingest = 1) {
    open(std::move(o));
    ASSERT_TRUE(engine);
    engine->register_runner(JobKind::kCrawl, gates.runner(), crawl);
    engine->register_runner(JobKind::kIngest, gates.runner(), ingest);
    auto started = loop.await(engine->start());
    ASSERT_TRUE(started.has_value()) << started.error().message;
  }

  Job submit(JobKind kind = JobKind::kIngest, Json input = {{"path", "/tmp/a.pdf"}},
             std::string caller = "alice") {
    auto job = loop.await(engine->submit(kind, std::move(input), std::move(caller)));
    EXPECT_TRUE(job.has_value()) << job.error().message;
    return job ? *job : Job{};
  }

  Job get(const std::string& id) {
    auto job = loop.await(engine->get(id));
    EXPECT_TRUE(job.has_value()) << job.error().message;
    return job ? *job : Job{};
  }

  std::vector<JobEvent> events(const std::string& id, std::uint64_t after = 0) {
    auto got = loop.await(engine->events(id, after));
    EXPECT_TRUE(got.has_value()) << got.error().message;
    return got ? *got : std::vector<JobEvent>{};
  }

  bool wait_for_state(const std::string& id, JobState state) {
    return loop.run_until([&] {
      auto job = loop.await(engine->get(id));
      return job && job->state == state;
    });
  }

  bool wait_started(std::size_t count) {
    return loop.run_until([&] { return gates.started_count() >= count; });
  }

  double metric(const std::string& family, const std::map<std::string, std::string>& labels) {
    return read_metric(registry, family, labels).value_or(-1);
  }

  // Ends the engine the way the daemon does; runners still gated see "shutdown".
  void close_engine() {
    if (!engine) return;
    loop.await(engine->stop(5s));
    engine.reset();
    loop.settle();
  }

  void TearDown() override { close_engine(); }

  ScratchDir dir;
  ManualClock clock;
  prometheus::Registry registry;
  Loop loop;
  GatedRunner gates{loop.executor()};
  std::unique_ptr<JobEngine> engine;
};

TEST_F(JobEngineTest, MetricsExistAtZeroBeforeTheFirstJob) {
  open(options());
  EXPECT_EQ(metric("worker_queue_size", {}), 0);
  EXPECT_EQ(metric("active_jobs", {}), 0);
  for (const char* kind : {"crawl", "ingest"}) {
    for (const char* state : {"queued", "succeeded", "failed", "cancelled", "interrupted"}) {
      EXPECT_EQ(metric("jobs_total", {{"kind", kind}, {"state", state}}), 0) << kind << state;
    }
    EXPECT_EQ(metric("job_duration_seconds", {{"kind", kind}}), 0) << kind;
  }
}

TEST_F(JobEngineTest, AnAcceptedJobRunsAndSucceedsWithEveryStepRecorded) {
  open_and_start(options());
  const Job accepted = submit(JobKind::kIngest, {{"path", "/tmp/a.pdf"}}, "alice");
  EXPECT_TRUE(looks_like_job_id(accepted.id)) << accepted.id;
  EXPECT_EQ(accepted.state, JobState::kQueued);
  EXPECT_EQ(accepted.caller, "alice");
  EXPECT_EQ(accepted.created_at_ms, clock.unix_millis());
  EXPECT_EQ(accepted.attempts, 0u);
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "queued"}}), 1);

  ASSERT_TRUE(wait_started(1));
  const JobContext context = *gates.context_of(accepted.id);
  EXPECT_EQ(context.job.state, JobState::kRunning);
  EXPECT_EQ(context.job.attempts, 1u);
  EXPECT_EQ(context.job.input, (Json{{"path", "/tmp/a.pdf"}}));
  EXPECT_FALSE(context.resumed);
  EXPECT_FALSE(context.cancel.cancelled());
  EXPECT_EQ(context.work_dir, dir.path() / "state" / "jobs" / accepted.id);
  EXPECT_TRUE(std::filesystem::is_directory(context.work_dir));
  EXPECT_EQ(get(accepted.id).state, JobState::kRunning);
  EXPECT_EQ(engine->running(), 1u);
  EXPECT_EQ(metric("active_jobs", {}), 1);

  clock.advance(3s);
  gates.finish(accepted.id, Json{{"documents", 3}});
  ASSERT_TRUE(wait_for_state(accepted.id, JobState::kSucceeded));
  const Job done = get(accepted.id);
  EXPECT_EQ(done.result, (Json{{"documents", 3}}));
  EXPECT_FALSE(done.error);
  ASSERT_TRUE(done.finished_at_ms);
  EXPECT_EQ(*done.finished_at_ms, clock.unix_millis());
  EXPECT_EQ(*done.started_at_ms, accepted.created_at_ms);
  EXPECT_THAT(states_of(events(accepted.id)), ElementsAre("queued", "running", "succeeded"));
  EXPECT_THAT(seqs_of(events(accepted.id)), ElementsAre(1u, 2u, 3u));
  ASSERT_TRUE(loop.run_until([&] { return metric("active_jobs", {}) == 0; }));
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "succeeded"}}), 1);
  EXPECT_EQ(metric("job_duration_seconds", {{"kind", "ingest"}}), 1);
  EXPECT_EQ(metric("jobs_total", {{"kind", "crawl"}, {"state", "succeeded"}}), 0);
  EXPECT_EQ(engine->poll_after_s(), 2);
}

TEST_F(JobEngineTest, IdsAreUnguessableAndDistinct) {
  open(options());
  engine->register_runner(JobKind::kIngest, gates.runner(), 1);
  std::set<std::string> ids;
  const std::regex shape("job_[a-z2-7]{26}");
  for (int i = 0; i < 50; ++i) {
    const Job job = submit();
    EXPECT_TRUE(std::regex_match(job.id, shape)) << job.id;
    ids.insert(job.id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST_F(JobEngineTest, ConcurrentSubmitsAreAllCommittedBeforeTheyAnswer) {
  open(options());
  engine->register_runner(JobKind::kCrawl, gates.runner(), 1);
  std::vector<std::optional<Result<Job>>> answers(25);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    asio::co_spawn(
        loop.executor(), engine->submit(JobKind::kCrawl, {{"n", i}}, "load"),
        [&answers, i](const std::exception_ptr&, Result<Job> job) { answers[i] = std::move(job); });
  }
  ASSERT_TRUE(loop.run_until([&] {
    return std::all_of(answers.begin(), answers.end(), [](const auto& a) { return a.has_value(); });
  }));
  std::set<std::string> ids;
  for (const auto& answer : answers) {
    ASSERT_TRUE(answer->has_value()) << answer->error().message;
    ids.insert((*answer)->id);
  }
  EXPECT_EQ(ids.size(), answers.size());
  EXPECT_EQ(engine->queued(), answers.size());
  close_engine();
  // Every one of them is in the journal, queued, with its input.
  auto journal = JobJournal::open(dir.path() / "state", 10);
  ASSERT_TRUE(journal.has_value()) << journal.error().message;
  auto unfinished = (*journal)->unfinished();
  ASSERT_TRUE(unfinished.has_value());
  ASSERT_EQ(unfinished->size(), answers.size());
  for (const JobRecord& r : *unfinished) {
    EXPECT_TRUE(ids.count(r.job.id)) << r.job.id;
    EXPECT_EQ(r.job.state, JobState::kQueued);
    EXPECT_TRUE(r.job.input.contains("n"));
  }
}

TEST_F(JobEngineTest, AFullQueueRefusesWithABusyErrorAndARetryHint) {
  auto o = options();
  o.queue_capacity = 2;
  open(o);
  engine->register_runner(JobKind::kIngest, gates.runner(), 1);
  submit();
  submit();
  auto refused = loop.await(engine->submit(JobKind::kIngest, Json::object(), "alice"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  // No job has finished yet, so the hint is the poll interval.
  EXPECT_EQ(refused.error().message, "job queue is full (2 queued); retry after 2 s");
  EXPECT_EQ(engine->queued(), 2u);
  EXPECT_EQ(metric("worker_queue_size", {}), 2);
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "queued"}}), 2);
}

TEST_F(JobEngineTest, TheRetryHintFollowsHowLongJobsTake) {
  auto o = options();
  o.queue_capacity = 1;
  open_and_start(o);
  const Job first = submit();
  ASSERT_TRUE(wait_started(1));
  clock.advance(40s);
  gates.finish(first.id, Json{{"ok", true}});
  ASSERT_TRUE(wait_for_state(first.id, JobState::kSucceeded));
  const Job second = submit();  // runs: the one slot is free
  ASSERT_TRUE(wait_started(2));
  submit();  // waits
  auto refused = loop.await(engine->submit(JobKind::kIngest, Json::object(), "alice"));
  ASSERT_FALSE(refused.has_value());
  // Mean job time 40 s, two runner slots (one per kind): a slot frees up in about 20 s.
  EXPECT_EQ(refused.error().message, "job queue is full (1 queued); retry after 20 s");
  gates.finish(second.id, Json::object());
}

TEST_F(JobEngineTest, SubmitWithoutARunnerForTheKindIsRefused) {
  open(options());
  engine->register_runner(JobKind::kIngest, gates.runner(), 1);
  auto refused = loop.await(engine->submit(JobKind::kCrawl, Json::object(), "alice"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().message, "no runner is registered for crawl jobs");
}

TEST_F(JobEngineTest, CancellingAQueuedJobCancelsItAtOnceAndItNeverRuns) {
  open(options());
  engine->register_runner(JobKind::kIngest, gates.runner(), 1);
  const Job job = submit();
  clock.advance(5s);
  auto cancelled = loop.await(engine->cancel(job.id));
  ASSERT_TRUE(cancelled.has_value()) << cancelled.error().message;
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  ASSERT_TRUE(cancelled->finished_at_ms);
  EXPECT_EQ(*cancelled->finished_at_ms, clock.unix_millis());
  EXPECT_EQ(get(job.id).state, JobState::kCancelled);
  EXPECT_EQ(engine->queued(), 0u);
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "cancelled"}}), 1);
  EXPECT_THAT(states_of(events(job.id)), ElementsAre("queued", "cancelled"));

  ASSERT_TRUE(loop.await(engine->start()).has_value());
  loop.settle();
  EXPECT_EQ(gates.started_count(), 0u);
  // Cancelling a final job changes nothing; an unknown id is not found.
  auto again = loop.await(engine->cancel(job.id));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->state, JobState::kCancelled);
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "cancelled"}}), 1);
  auto unknown = loop.await(engine->cancel("job_aaaaaaaaaaaaaaaaaaaaaaaaaa"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().message, "job job_aaaaaaaaaaaaaaaaaaaaaaaaaa not found");
}

TEST_F(JobEngineTest, CancellingARunningJobReachesTheRunnerAndEndsCancelled) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  const JobContext context = *gates.context_of(job.id);
  auto answer = loop.await(engine->cancel(job.id));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  // The token is tripped; the answer shows the job as it is until the runner returns.
  EXPECT_TRUE(context.cancel.cancelled());
  EXPECT_EQ(context.cancel.reason(), "cancelled by request");
  ASSERT_TRUE(wait_for_state(job.id, JobState::kCancelled));
  const Job done = get(job.id);
  EXPECT_FALSE(done.error);
  EXPECT_TRUE(done.finished_at_ms);
  EXPECT_THAT(states_of(events(job.id)), ElementsAre("queued", "running", "cancelled"));
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "cancelled"}}), 1);
  EXPECT_EQ(engine->running(), 0u);
}

TEST_F(JobEngineTest, ARunnerThatFinishesDespiteALateCancelSucceeds) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  gates.finish(job.id, Json{{"documents", 1}});  // its answer is ready first
  ASSERT_TRUE(loop.await(engine->cancel(job.id)).has_value());
  ASSERT_TRUE(loop.run_until([&] { return is_final(get(job.id).state); }));
  EXPECT_EQ(get(job.id).state, JobState::kSucceeded);
}

TEST_F(JobEngineTest, AFailureKeepsItsErrorAndARetryRunsTheJobAgainAsResumed) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  gates.finish(job.id, fail(ErrorCode::kUnavailable, "the orchestrator answered 503"));
  ASSERT_TRUE(wait_for_state(job.id, JobState::kFailed));
  const Job failed = get(job.id);
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->code, "unavailable");
  EXPECT_EQ(failed.error->message, "the orchestrator answered 503");
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "failed"}}), 1);

  // The gate of this id is used up; a fresh runner run needs a fresh gate.
  GatedRunner second{loop.executor()};
  engine->register_runner(JobKind::kIngest, second.runner(), 1);
  auto retried = loop.await(engine->retry(job.id));
  ASSERT_TRUE(retried.has_value()) << retried.error().message;
  EXPECT_EQ(retried->state, JobState::kQueued);
  EXPECT_FALSE(retried->error);
  EXPECT_FALSE(retried->finished_at_ms);
  ASSERT_TRUE(loop.run_until([&] { return second.started_count() == 1; }));
  const JobContext context = *second.context_of(job.id);
  EXPECT_TRUE(context.resumed) << "its work_dir may hold what the failed run extracted";
  EXPECT_EQ(context.job.attempts, 2u);
  second.finish(job.id, Json{{"documents", 2}});
  ASSERT_TRUE(wait_for_state(job.id, JobState::kSucceeded));
  EXPECT_THAT(states_of(events(job.id)),
              ElementsAre("queued", "running", "failed", "queued", "running", "succeeded"));
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "queued"}}), 2);

  auto not_failed = loop.await(engine->retry(job.id));
  ASSERT_FALSE(not_failed.has_value());
  EXPECT_EQ(not_failed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(not_failed.error().message,
            "job " + job.id + " is succeeded; only failed or interrupted jobs can be retried");
  auto unknown = loop.await(engine->retry("job_bbbbbbbbbbbbbbbbbbbbbbbbbb"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  close_engine();
}

TEST_F(JobEngineTest, RetryingAJobThatIsStillRunningIsRefused) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  auto refused = loop.await(engine->retry(job.id));
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("is running; only failed or interrupted"));
  gates.finish(job.id, Json::object());
}

TEST_F(JobEngineTest, ARunnerThatThrowsFailsItsJobWithAnInternalError) {
  open(options());
  engine->register_runner(
      JobKind::kCrawl,
      [](JobContext) -> asio::awaitable<Result<Json>> {
        throw std::runtime_error("boom");
        co_return Json::object();
      },
      1);
  ASSERT_TRUE(loop.await(engine->start()).has_value());
  const Job job = submit(JobKind::kCrawl);
  ASSERT_TRUE(wait_for_state(job.id, JobState::kFailed));
  const Job failed = get(job.id);
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->code, "internal");
  EXPECT_EQ(failed.error->message, "the job runner threw: boom");
}

TEST_F(JobEngineTest, EachKindRunsAtMostItsConcurrencyInArrivalOrder) {
  open_and_start(options(), /*crawl=*/1, /*ingest=*/2);
  std::vector<Job> crawls, ingests;
  for (int i = 0; i < 3; ++i) crawls.push_back(submit(JobKind::kCrawl));
  for (int i = 0; i < 3; ++i) ingests.push_back(submit(JobKind::kIngest));
  ASSERT_TRUE(wait_started(3));
  loop.settle();
  EXPECT_EQ(gates.started_count(), 3u);
  EXPECT_EQ(engine->running(), 3u);
  EXPECT_EQ(engine->queued(), 3u);
  EXPECT_EQ(metric("active_jobs", {}), 3);
  EXPECT_EQ(metric("worker_queue_size", {}), 3);
  EXPECT_TRUE(gates.context_of(crawls[0].id));
  EXPECT_FALSE(gates.context_of(crawls[1].id));
  EXPECT_TRUE(gates.context_of(ingests[0].id));
  EXPECT_TRUE(gates.context_of(ingests[1].id));
  EXPECT_FALSE(gates.context_of(ingests[2].id));

  gates.finish(crawls[0].id, Json::object());  // frees the one crawl slot: the next crawl
  ASSERT_TRUE(wait_started(4));
  EXPECT_EQ(gates.started().back().job.id, crawls[1].id);
  EXPECT_FALSE(gates.context_of(ingests[2].id)) << "ingest slots are still both busy";
  for (const Job& j : {crawls[1], ingests[0], ingests[1]}) gates.finish(j.id, Json::object());
  ASSERT_TRUE(wait_started(6));
  for (const Job& j : {crawls[2], ingests[2]}) gates.finish(j.id, Json::object());
  ASSERT_TRUE(loop.run_until([&] { return engine->running() == 0 && engine->queued() == 0; }));
  EXPECT_EQ(metric("jobs_total", {{"kind", "crawl"}, {"state", "succeeded"}}), 3);
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "succeeded"}}), 3);
}

TEST_F(JobEngineTest, EventsReplayAfterASeqAndWatchersSeeLaterEventsInOrder) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  ASSERT_EQ(events(job.id).size(), 2u);

  std::mutex mutex;
  std::vector<JobEvent> seen;
  std::vector<JobEvent> late;
  std::vector<JobEvent> other;
  const auto collect = [&mutex](std::vector<JobEvent>& into) {
    return [&mutex, &into](const JobEvent& e) {
      const std::lock_guard lock(mutex);
      into.push_back(e);
    };
  };
  const auto count = [&mutex](const std::vector<JobEvent>& of) {
    const std::lock_guard lock(mutex);
    return of.size();
  };
  auto subscription = engine->watch(job.id, collect(seen));
  auto other_subscription = engine->watch("job_cccccccccccccccccccccccccc", collect(other));
  const JobContext context = *gates.context_of(job.id);
  context.add_remote_job("orch-1");
  context.add_remote_job("orch-2");
  ASSERT_TRUE(loop.run_until([&] { return count(seen) == 2; }));

  // A dropped subscription hears nothing more; a new one hears what follows.
  subscription.reset();
  auto late_subscription = engine->watch(job.id, collect(late));
  gates.finish(job.id, Json{{"documents", 1}});
  ASSERT_TRUE(loop.run_until([&] { return count(late) == 1; }));
  {
    const std::lock_guard lock(mutex);
    EXPECT_THAT(seqs_of(seen), ElementsAre(3u, 4u));
    EXPECT_EQ(seen[0].job["remote_job_ids"], Json{"orch-1"});
    EXPECT_EQ(seen[1].job["remote_job_ids"], (Json{"orch-1", "orch-2"}));
    EXPECT_EQ(seen[1].job["state"], "running");
    EXPECT_EQ(seen[1].job_id, job.id);
    EXPECT_THAT(seqs_of(late), ElementsAre(5u));
    EXPECT_EQ(late[0].job["state"], "succeeded");
    EXPECT_TRUE(other.empty());
  }
  // Last-Event-ID: 3 replays exactly what came after it, as it was published.
  const auto replay = events(job.id, 3);
  EXPECT_THAT(seqs_of(replay), ElementsAre(4u, 5u));
  {
    const std::lock_guard lock(mutex);
    EXPECT_EQ(replay[0].job, seen[1].job);
    EXPECT_EQ(replay[1].job, late[0].job);
  }
  EXPECT_TRUE(events(job.id, 5).empty());
  auto unknown = loop.await(engine->events("job_cccccccccccccccccccccccccc", 0));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

// A watcher woken by the final event and reading the job at once (before the runner's
// bookkeeping on the executor) must see the final state, or a waiter such as get_job_status
// would go back to sleep on a job that has already ended.
TEST_F(JobEngineTest, AReaderWokenByTheFinalEventSeesTheFinalState) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  std::mutex mutex;
  std::optional<JobState> read_after_final;
  auto read = [this, &mutex, &read_after_final](std::string id) -> asio::awaitable<void> {
    auto found = co_await engine->get(std::move(id));
    const std::lock_guard lock(mutex);
    read_after_final = found ? found->state : JobState::kInterrupted;
  };
  auto subscription = engine->watch(job.id, [&](const JobEvent& event) {
    if (event.job.value("state", std::string()) != "succeeded") return;
    // Posted from inside the publish, so it runs before what the engine posts after it.
    asio::co_spawn(loop.executor(), read(event.job_id), asio::detached);
  });
  gates.finish(job.id, Json{{"documents", 1}});
  ASSERT_TRUE(loop.run_until([&] {
    const std::lock_guard lock(mutex);
    return read_after_final.has_value();
  }));
  const std::lock_guard lock(mutex);
  EXPECT_EQ(*read_after_final, JobState::kSucceeded);
}

TEST_F(JobEngineTest, OnlyTheNewestEventsAreKept) {
  auto o = options();
  o.max_events_per_job = 2;
  open_and_start(o);
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  gates.finish(job.id, Json::object());
  ASSERT_TRUE(wait_for_state(job.id, JobState::kSucceeded));
  const auto kept = events(job.id);
  EXPECT_THAT(seqs_of(kept), ElementsAre(2u, 3u));
  EXPECT_THAT(states_of(kept), ElementsAre("running", "succeeded"));
}

TEST_F(JobEngineTest, ProgressIsCoalescedButTheFinalStateCarriesTheLatest) {
  auto o = options();
  o.progress_interval = 250ms;
  open_and_start(o);
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  const JobContext context = *gates.context_of(job.id);
  ASSERT_EQ(events(job.id).size(), 2u);

  context.progress({{"pages", 1}});  // within the interval of the start: held back
  context.progress({{"pages", 2}});
  EXPECT_EQ(get(job.id).progress, (Json{{"pages", 2}})) << "readers see it at once";
  EXPECT_EQ(events(job.id).size(), 2u) << "but it is not journaled yet";

  clock.advance(250ms);
  context.progress({{"pages", 3}, {"message", "crawling"}});  // the interval is up: written
  const auto written = events(job.id);
  ASSERT_EQ(written.size(), 3u);
  EXPECT_EQ(written.back().job["progress"], (Json{{"pages", 3}, {"message", "crawling"}}));
  EXPECT_EQ(written.back().job["state"], "running");

  context.progress("almost done");  // not an object: becomes the message
  EXPECT_EQ(get(job.id).progress, (Json{{"message", "almost done"}}));
  gates.finish(job.id, Json::object());
  ASSERT_TRUE(wait_for_state(job.id, JobState::kSucceeded));
  const auto all = events(job.id);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.back().job["progress"], (Json{{"message", "almost done"}}));
  // After the end, a stray progress call from the runner changes nothing.
  context.progress({{"pages", 99}});
  EXPECT_EQ(get(job.id).progress, (Json{{"message", "almost done"}}));
  EXPECT_EQ(events(job.id).size(), 4u);
}

TEST_F(JobEngineTest, InvalidUtf8FromARunnerIsJournaledWithReplacementCharacters) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  clock.advance(1s);
  gates.context_of(job.id)->progress({{"message", "title \xff\xfe broken"}});
  gates.finish(job.id, Json{{"title", "caf\xc3"}});
  ASSERT_TRUE(wait_for_state(job.id, JobState::kSucceeded));
  const auto all = events(job.id);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].job["progress"]["message"], "title \xef\xbf\xbd\xef\xbf\xbd broken");
  EXPECT_EQ(all[3].job["result"]["title"], "caf\xef\xbf\xbd");
}

TEST_F(JobEngineTest, RemoteJobIdsAreJournaledAtOnceAndOnlyOnce) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  const JobContext context = *gates.context_of(job.id);
  context.add_remote_job("orch-7");
  context.add_remote_job("orch-7");
  context.add_remote_job("orch-8");
  const auto written = events(job.id);
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(written.back().job["remote_job_ids"], (Json{"orch-7", "orch-8"}));
  EXPECT_EQ(get(job.id).remote_job_ids, (std::vector<std::string>{"orch-7", "orch-8"}));
  gates.finish(job.id, Json::object());
}

TEST_F(JobEngineTest, ListShowsJobsInCreationOrderWithLiveProgress) {
  open_and_start(options());
  const Job a = submit(JobKind::kIngest, Json::object(), "alice");
  const Job b = submit(JobKind::kCrawl, Json::object(), "bob");
  const Job c = submit(JobKind::kIngest, Json::object(), "alice");
  ASSERT_TRUE(wait_started(2));
  gates.context_of(a.id)->progress({{"pages", 5}});  // held back by coalescing
  JobQuery query;
  query.limit = 2;
  auto page = loop.await(engine->list(query));
  ASSERT_TRUE(page.has_value()) << page.error().message;
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].id, a.id);
  EXPECT_EQ(page->jobs[0].progress, (Json{{"pages", 5}}));
  EXPECT_EQ(page->jobs[1].id, b.id);
  query.after_id = page->next_cursor;
  auto rest = loop.await(engine->list(query));
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->jobs.size(), 1u);
  EXPECT_EQ(rest->jobs[0].id, c.id);
  EXPECT_TRUE(rest->next_cursor.empty());
  JobQuery bobs;
  bobs.caller = "bob";
  auto bob = loop.await(engine->list(bobs));
  ASSERT_TRUE(bob.has_value());
  ASSERT_EQ(bob->jobs.size(), 1u);
  EXPECT_EQ(bob->jobs[0].id, b.id);
}

TEST_F(JobEngineTest, FinishedJobsArePurgedWithTheirFilesOnceTheRetentionRunsOut) {
  open_and_start(options());
  const Job done = submit();
  ASSERT_TRUE(wait_started(1));
  const auto work_dir = gates.context_of(done.id)->work_dir;
  gates.finish(done.id, Json::object());
  ASSERT_TRUE(wait_for_state(done.id, JobState::kSucceeded));
  ASSERT_TRUE(std::filesystem::is_directory(work_dir));
  const Job waiting = submit();  // the one slot is free again: this one runs and stays
  ASSERT_TRUE(wait_started(2));

  clock.advance(kHour - 1ms);
  auto none = loop.await(engine->purge_expired());
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_EQ(*none, 0u);
  EXPECT_EQ(get(done.id).state, JobState::kSucceeded);

  clock.advance(1ms);
  auto purged = loop.await(engine->purge_expired());
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(*purged, 1u);
  auto gone = loop.await(engine->get(done.id));
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(work_dir));
  EXPECT_EQ(get(waiting.id).state, JobState::kRunning) << "unfinished jobs are never purged";
  gates.finish(waiting.id, Json::object());
}

TEST_F(JobEngineTest, StartPurgesWhatExpiredWhileTheDaemonWasDown) {
  open_and_start(options());
  const Job job = submit();
  ASSERT_TRUE(wait_started(1));
  gates.finish(job.id, Json::object());
  ASSERT_TRUE(wait_for_state(job.id, JobState::kSucceeded));
  close_engine();

  clock.advance(kHour);
  GatedRunner next{loop.executor()};
  open(options());
  engine->register_runner(JobKind::kIngest, next.runner(), 1);
  ASSERT_TRUE(loop.await(engine->start()).has_value());
  auto gone = loop.await(engine->get(job.id));
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(JobEngineTest, ShutdownPutsRunningJobsBackInTheQueueForTheNextStart) {
  open_and_start(options());
  const Job running = submit();
  const Job queued = submit();
  ASSERT_TRUE(wait_started(1));
  const JobContext context = *gates.context_of(running.id);
  loop.await(engine->stop(5s));
  EXPECT_TRUE(context.cancel.cancelled());
  EXPECT_EQ(context.cancel.reason(), "shutdown");
  EXPECT_EQ(engine->running(), 0u);
  EXPECT_EQ(get(running.id).state, JobState::kQueued);
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "cancelled"}}), 0)
      << "a shutdown is not a cancel";
  auto refused = loop.await(engine->submit(JobKind::kIngest, Json::object(), "alice"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  engine.reset();
  loop.settle();

  GatedRunner next{loop.executor()};
  open(options());
  engine->register_runner(JobKind::kIngest, next.runner(), 1);
  ASSERT_TRUE(loop.await(engine->start()).has_value());
  ASSERT_TRUE(loop.run_until([&] { return next.started_count() == 1; }));
  const JobContext again = next.started().front();
  EXPECT_EQ(again.job.id, running.id) << "oldest first";
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(again.job.attempts, 2u);
  next.finish(running.id, Json::object());
  ASSERT_TRUE(loop.run_until([&] { return next.started_count() == 2; }));
  EXPECT_EQ(next.started().back().job.id, queued.id);
  EXPECT_FALSE(next.started().back().resumed);
  next.finish(queued.id, Json::object());
  ASSERT_TRUE(wait_for_state(queued.id, JobState::kSucceeded));
  close_engine();
}

TEST_F(JobEngineTest, StopDoesNotWaitPastItsGraceForARunnerThatIgnoresItsToken) {
  open(options());
  engine->register_runner(
      JobKind::kIngest,
      [](JobContext) -> asio::awaitable<Result<Json>> {
        asio::steady_timer forever(co_await asio::this_coro::executor, std::chrono::hours(1));
        co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return Json::object();
      },
      1);
  ASSERT_TRUE(loop.await(engine->start()).has_value());
  submit();
  ASSERT_TRUE(loop.run_until([&] { return engine->running() == 1; }));
  loop.await(engine->stop(0ms));
  EXPECT_EQ(engine->running(), 1u);
  // What is left behaves like a crash: tear the loop down with the runner suspended.
  engine.reset();
  loop.settle();
  loop.shutdown();
}

// A crash for real: the runner is suspended when the engine and its io_context vanish
// without stop(), so the journal still says "running". A new engine resumes the job.
TEST(JobEngineCrash, AJobRunningWhenTheProcessDiesIsResumedByTheNextEngine) {
  ScratchDir dir;
  ManualClock clock;
  prometheus::Registry registry;
  JobEngineOptions o;
  o.state_dir = dir.path();
  o.clock = &clock;
  std::string id;
  {
    Loop loop;
    auto opened = JobEngine::open(o, loop.executor(), &registry);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    auto engine = std::move(*opened);
    bool started = false;
    engine->register_runner(
        JobKind::kCrawl,
        [&started](JobContext context) -> asio::awaitable<Result<Json>> {
          std::ofstream(context.work_dir / "page-1.md") << "# extracted before the crash";
          started = true;
          asio::steady_timer forever(co_await asio::this_coro::executor, std::chrono::hours(1));
          co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
          co_return Json::object();
        },
        1);
    ASSERT_TRUE(loop.await(engine->start()).has_value());
    auto job = loop.await(engine->submit(JobKind::kCrawl, {{"url", "https://a.example"}}, "ci"));
    ASSERT_TRUE(job.has_value());
    id = job->id;
    ASSERT_TRUE(loop.run_until([&] { return started; }));
    loop.settle();  // the "running" write has landed
    engine.reset();
    loop.settle();
    loop.shutdown();  // kill -9
  }

  Loop loop;
  auto opened = JobEngine::open(o, loop.executor(), &registry);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  auto engine = std::move(*opened);
  std::optional<JobContext> resumed;
  engine->register_runner(
      JobKind::kCrawl,
      [&resumed](JobContext context) -> asio::awaitable<Result<Json>> {
        resumed = context;
        co_return Json{{"pages", 1}};
      },
      1);
  auto before = loop.await(engine->get(id));
  ASSERT_TRUE(before.has_value()) << before.error().message;
  EXPECT_EQ(before->state, JobState::kRunning) << "what the crash left";
  ASSERT_TRUE(loop.await(engine->start()).has_value());
  ASSERT_TRUE(loop.run_until([&] {
    auto job = loop.await(engine->get(id));
    return job && job->state == JobState::kSucceeded;
  }));
  ASSERT_TRUE(resumed);
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(resumed->job.attempts, 2u);
  EXPECT_EQ(resumed->job.input, (Json{{"url", "https://a.example"}}));
  EXPECT_TRUE(std::filesystem::exists(resumed->work_dir / "page-1.md"))
      << "the work directory survives for the resumed run";
  auto events = loop.await(engine->events(id, 0));
  ASSERT_TRUE(events.has_value());
  EXPECT_THAT(states_of(*events),
              ElementsAre("queued", "running", "queued", "running", "succeeded"));
  loop.await(engine->stop(1s));
  engine.reset();
  loop.settle();
}

// Crash recovery from a journal the test writes itself: any state a crash can leave.
class JobEngineRecovery : public JobEngineTest {
 protected:
  void leave_running(const std::string& id, std::uint32_t crash_resumes,
                     JobKind kind = JobKind::kIngest) {
    auto journal = JobJournal::open(dir.path() / "state", 100);
    ASSERT_TRUE(journal.has_value()) << journal.error().message;
    JobRecord r;
    r.job.id = id;
    r.job.kind = kind;
    r.job.state = JobState::kRunning;
    r.job.caller = "alice";
    r.job.created_at_ms = clock.unix_millis();
    r.job.updated_at_ms = r.job.created_at_ms;
    r.job.started_at_ms = r.job.created_at_ms;
    r.job.attempts = crash_resumes + 1;
    r.crash_resumes = crash_resumes;
    r.version = 2;
    ASSERT_TRUE((*journal)->insert(r, Durability::kSynced).has_value());
  }
  static constexpr const char* kId = "job_dddddddddddddddddddddddddd";
};

TEST_F(JobEngineRecovery, WithResumeOffARunningJobIsInterruptedWithAReasonAndCanBeRetried) {
  leave_running(kId, 0);
  auto o = options();
  o.resume_running = false;
  open_and_start(o);
  const Job job = get(kId);
  EXPECT_EQ(job.state, JobState::kInterrupted);
  ASSERT_TRUE(job.error);
  EXPECT_EQ(job.error->code, "interrupted");
  EXPECT_THAT(job.error->message, HasSubstr("jobs.resume_running is off"));
  EXPECT_EQ(job.finished_at_ms, clock.unix_millis());
  EXPECT_EQ(metric("jobs_total", {{"kind", "ingest"}, {"state", "interrupted"}}), 1);
  loop.settle();
  EXPECT_EQ(gates.started_count(), 0u);

  auto retried = loop.await(engine->retry(kId));
  ASSERT_TRUE(retried.has_value()) << retried.error().message;
  ASSERT_TRUE(wait_started(1));
  EXPECT_TRUE(gates.started().front().resumed);
  EXPECT_EQ(gates.started().front().job.attempts, 2u);
  gates.finish(kId, Json::object());
  ASSERT_TRUE(wait_for_state(kId, JobState::kSucceeded));
}

TEST_F(JobEngineRecovery, AJobTheDaemonKeepsDyingUnderIsInterruptedAfterThreeResumes) {
  leave_running(kId, 3);
  open_and_start(options());
  const Job job = get(kId);
  EXPECT_EQ(job.state, JobState::kInterrupted);
  ASSERT_TRUE(job.error);
  EXPECT_EQ(job.error->message,
            "shield-mcp stopped 4 times in a row while this job was running; it is not "
            "resumed again on its own, retry the job to run it again");
}

TEST_F(JobEngineRecovery, BelowTheLimitARunningJobIsResumed) {
  leave_running(kId, 2, JobKind::kCrawl);
  open_and_start(options());
  ASSERT_TRUE(wait_started(1));
  const JobContext context = gates.started().front();
  EXPECT_EQ(context.job.id, kId);
  EXPECT_TRUE(context.resumed);
  EXPECT_EQ(context.job.attempts, 4u);
  gates.finish(kId, Json::object());
  ASSERT_TRUE(wait_for_state(kId, JobState::kSucceeded));
}

TEST_F(JobEngineRecovery, CancellingARecoveredJobBeforeStartCancelsIt) {
  leave_running(kId, 0);
  open(options());
  engine->register_runner(JobKind::kIngest, gates.runner(), 1);
  auto cancelled = loop.await(engine->cancel(kId));
  ASSERT_TRUE(cancelled.has_value()) << cancelled.error().message;
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  ASSERT_TRUE(loop.await(engine->start()).has_value());
  loop.settle();
  EXPECT_EQ(gates.started_count(), 0u);
  EXPECT_EQ(get(kId).state, JobState::kCancelled);
}

TEST_F(JobEngineTest, ASecondEngineOnTheSameStateDirectoryIsRefused) {
  open(options());
  auto second = JobEngine::open(options(), loop.executor(), nullptr);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(second.error().message, HasSubstr("is in use by another process"));
}

TEST_F(JobEngineTest, StartingTwiceIsRefused) {
  open_and_start(options());
  auto again = loop.await(engine->start());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace shield::jobs
