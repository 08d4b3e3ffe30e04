// get_job_status: the caller's own jobs (with remote ingestion states from a fake sink),
// other ids forwarded to a scripted orchestrator over real HTTP, refusals before any I/O,
// and waiting (progress notices, the final state, the deadline, cancellation). Time is a
// ManualClock moved by the pause the tool is given, so no test sleeps.
#include "shield/tools/get_job_status.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "shield/ingest/sink.hpp"
#include "shield/mcp/async_latch.hpp"
#include "shield/mcp/registry.hpp"
#include "shield/mcp/schema_validator.hpp"
#include "shield/tools/job_progress_notices.hpp"
#include "unit/app/fake_job_engine.hpp"
#include "unit/backend/backend_test_harness.hpp"
#include "unit/tools/tool_test_support.hpp"

namespace shield::tools {
namespace {

namespace asio = boost::asio;
using backend::testing::Reply;
using backend::testing::ScriptedBackend;
using mcp::Json;
using mcp::ToolResult;
using testing::error_code;

// Answers remote_status from `answers` ("running" for ids it does not list); records asks.
class FakeSink final : public ingest::Sink {
 public:
  [[nodiscard]] std::string_view name() const override { return "fake"; }
  asio::awaitable<backend::CallResult<ingest::SinkReceipt>> deliver(std::vector<ingest::Document>,
                                                                    CancellationToken) override {
    co_return ingest::SinkReceipt{};
  }
  asio::awaitable<backend::CallResult<Json>> remote_status(std::string remote_job_id,
                                                           CancellationToken) override {
    asked.push_back(remote_job_id);
    const auto found = answers.find(remote_job_id);
    if (found != answers.end()) co_return found->second;
    co_return Json{{"remote_job_id", remote_job_id}, {"state", "running"}, {"detail", {{"n", 1}}}};
  }

  std::map<std::string, backend::CallResult<Json>> answers;
  std::vector<std::string> asked;
};

// An id of the shape this daemon issues ("job_" + 26 base32 characters).
std::string local_id(char fill) {
  return "job_" + std::string(26, fill);
}

jobs::Job make_job(const std::string& id, const std::string& caller, jobs::JobState state) {
  jobs::Job job;
  job.id = id;
  job.kind = jobs::JobKind::kCrawl;
  job.state = state;
  job.caller = caller;
  job.created_at_ms = 1'750'000'000'000;
  job.updated_at_ms = 1'750'000'001'000;
  return job;
}

// Moves the clock by `delay` and returns at once (false when cancelled).
asio::awaitable<bool> advance_clock(ManualClock* clock, std::vector<Clock::Duration>* pauses,
                                    Clock::Duration delay, CancellationToken cancel) {
  if (cancel.cancelled()) co_return false;
  pauses->push_back(delay);
  clock->advance(delay);
  co_return true;
}

// Never elapses: resolves false once `cancel` trips.
asio::awaitable<bool> never_elapse(CancellationToken cancel) {
  const auto latch = mcp::AsyncLatch::create();
  const bool opened = co_await latch->wait(cancel);
  co_return opened;
}

struct Notice {
  double progress;
  double total;  // -1: none
  std::string message;
  bool operator==(const Notice&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Notice& notice) {
  return out << "(" << notice.progress << ", " << notice.total << ", \"" << notice.message << "\")";
}

constexpr const char* kRunning =
    R"({"job_id":"ingest-42","status":"running","created_at":"2025-06-01T10:15:02Z",
        "updated_at":"2025-06-01T10:15:05Z","documents":{"total":2,"processed":0,"failed":0}})";
constexpr const char* kHalfDone =
    R"({"job_id":"ingest-42","status":"running","created_at":"2025-06-01T10:15:02Z",
        "updated_at":"2025-06-01T10:15:06Z","documents":{"total":2,"processed":1,"failed":0}})";
constexpr const char* kSucceeded =
    R"({"job_id":"ingest-42","status":"succeeded","created_at":"2025-06-01T10:15:02Z",
        "updated_at":"2025-06-01T10:15:09Z","documents":{"total":2,"processed":2,"failed":0}})";
constexpr const char* kUnknown = R"({"error":{"code":"job_not_found","message":"job not found"}})";

class GetJobStatus : public testing::ToolFixture {
 protected:
  GetJobStatus() { reachable_ = make_backend("orchestrator", "The orchestrator", server_.url()); }
  ~GetJobStatus() override {
    // Lets what a call left on the loop (a deadline's cancelled timer) run out.
    io_.restart();
    io_.run_for(std::chrono::milliseconds(20));
  }

  GetJobStatusDependencies deps() {
    GetJobStatusDependencies d;
    d.engine = &engine_;
    d.sink = &sink_;
    d.orchestrator = reachable_.get();
    d.clock = &clock_;
    d.pause = [this](Clock::Duration delay, CancellationToken cancel) {
      return advance_clock(&clock_, &pauses_, delay, std::move(cancel));
    };
    return d;
  }
  // A pause that never elapses: waits end only by the job or by cancellation.
  GetJobStatusDependencies patient_deps() {
    GetJobStatusDependencies d = deps();
    d.pause = [](Clock::Duration, CancellationToken cancel) {
      return never_elapse(std::move(cancel));
    };
    return d;
  }

  const mcp::Registry& install(GetJobStatusDependencies d) {
    registry_ = std::make_unique<mcp::Registry>();
    const auto added = registry_->add_tool(make_get_job_status(std::move(d)));
    EXPECT_TRUE(added) << (added ? "" : added.error().message);
    return *registry_;
  }

  // Runs the tool as `caller` to completion on the fixture's loop; checks every answer
  // against the declared outputSchema.
  ToolResult run(Json arguments, const std::string& caller = "alice") {
    if (!registry_) install(deps());
    const mcp::ToolDefinition* tool = registry_->find_tool("get_job_status");
    mcp::ToolContext context;
    context.cancel = cancel_.token();
    context.caller = caller;
    context.progress = [this](double done, std::optional<double> total,
                              const std::string& message) {
      notices_.push_back({done, total.value_or(-1), message});
      if (on_progress_) on_progress_(notices_.size());
    };
    context.log = [](mcp::LogLevel, const std::string&, const Json&) {};
    context.executor = io_.get_executor();
    auto future =
        asio::co_spawn(io_, tool->handler(std::move(arguments), context), asio::use_future);
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      ADD_FAILURE() << "get_job_status did not finish";
      return ToolResult::error("test", "did not finish");
    }
    ToolResult result = future.get();
    if (!result.structured) {
      ADD_FAILURE() << "no structuredContent";
    } else if (const auto violation = registry_->tool_schemas("get_job_status")
                                          ->output->validate(*result.structured)) {
      ADD_FAILURE() << "outputSchema refuses " << result.structured->dump();
    }
    return result;
  }

  static std::string message_of(const ToolResult& result) {
    if (!result.structured || !result.structured->contains("error")) return "(no error)";
    return result.structured->at("error").value("message", "");
  }
  static std::string text_of(const ToolResult& result) {
    return result.content.empty() ? "" : result.content[0].value("text", "");
  }

  app::testing::FakeJobEngine engine_;
  FakeSink sink_;
  ScriptedBackend server_;
  std::unique_ptr<backend::Backend> reachable_;
  ManualClock clock_;
  std::vector<Clock::Duration> pauses_;
  CancellationSource cancel_;
  std::vector<Notice> notices_;
  std::function<void(std::size_t notices)> on_progress_;
  std::unique_ptr<mcp::Registry> registry_;
};

TEST_F(GetJobStatus, OwnJobShowsItsStatusAndEveryRemoteIngestion) {
  jobs::Job job = make_job(local_id('a'), "alice", jobs::JobState::kSucceeded);
  job.progress = Json{{"message", "crawled 3 pages"}, {"pages_ok", 3}};
  job.result = Json{{"pages", 3}, {"documents", 3}};
  job.remote_job_ids = {"r-done", "r-down", "r-busy"};
  job.attempts = 1;
  engine_.put(job);
  sink_.answers.emplace(
      "r-done",
      Json{{"remote_job_id", "r-done"}, {"state", "succeeded"}, {"detail", Json::object()}});
  backend::BackendError down;
  down.code = backend::BackendErrorCode::kUnavailable;
  down.backend = "orchestrator";
  down.message = "The orchestrator at http://orch is unavailable";
  down.detail = "connection refused";
  sink_.answers.emplace("r-down", tl::unexpected(down));

  const ToolResult result = run({{"job_id", job.id}});
  ASSERT_FALSE(result.is_error) << text_of(result);
  const Json& status = *result.structured;
  EXPECT_EQ(status["job_id"], job.id);
  EXPECT_EQ(status["state"], "succeeded");
  EXPECT_EQ(status["source"], "local");
  EXPECT_EQ(status["kind"], "crawl");
  EXPECT_EQ(status["result"], job.result);
  EXPECT_EQ(status["progress"], job.progress);
  EXPECT_EQ(status["remote_job_ids"], Json(job.remote_job_ids));
  ASSERT_EQ(status["remote"].size(), 3U);
  EXPECT_EQ(
      status["remote"][0],
      Json({{"remote_job_id", "r-done"}, {"state", "succeeded"}, {"detail", Json::object()}}));
  EXPECT_EQ(status["remote"][1]["state"], "unknown");
  EXPECT_EQ(status["remote"][1]["detail"]["code"], "backend_unavailable");
  EXPECT_EQ(status["remote"][1]["detail"]["detail"], "connection refused");
  EXPECT_EQ(status["remote"][2]["state"], "running");
  EXPECT_EQ(status["remote"][2]["detail"], Json({{"n", 1}}));
  std::vector<std::string> asked = sink_.asked;
  std::sort(asked.begin(), asked.end());
  EXPECT_EQ(asked, (std::vector<std::string>{"r-busy", "r-done", "r-down"}));
  EXPECT_EQ(server_.request_count(), 0U) << "our own job must not be forwarded";

  const std::string text = text_of(result);
  EXPECT_NE(text.find(local_id('a') + " (crawl): succeeded."), std::string::npos) << text;
  EXPECT_NE(text.find("crawled 3 pages"), std::string::npos) << text;
  EXPECT_NE(text.find("\"documents\":3"), std::string::npos) << text;
  EXPECT_NE(text.find("r-down: unknown (The orchestrator at http://orch is unavailable)"),
            std::string::npos)
      << text;
  EXPECT_TRUE(notices_.empty());
}

TEST_F(GetJobStatus, FailedOwnJobShowsItsErrorWithoutFailingTheCall) {
  jobs::Job job = make_job(local_id('b'), "alice", jobs::JobState::kFailed);
  job.error = jobs::JobError{"sink_unavailable", "the sink refused every batch"};
  engine_.put(job);
  const ToolResult result = run({{"job_id", job.id}});
  ASSERT_FALSE(result.is_error);
  EXPECT_EQ(result.structured->at("error")["code"], "sink_unavailable");
  EXPECT_EQ(result.structured->at("remote"), Json::array());
  EXPECT_NE(text_of(result).find("Error: sink_unavailable: the sink refused every batch"),
            std::string::npos);
  EXPECT_TRUE(sink_.asked.empty());
}

TEST_F(GetJobStatus, ManyRemoteJobsArePolledUpToABound) {
  jobs::Job job = make_job(local_id('c'), "alice", jobs::JobState::kRunning);
  for (int i = 0; i < 103; ++i) job.remote_job_ids.push_back("r" + std::to_string(i));
  engine_.put(job);
  const ToolResult result = run({{"job_id", job.id}});
  ASSERT_FALSE(result.is_error);
  const Json& remote = result.structured->at("remote");
  ASSERT_EQ(remote.size(), 103U);
  EXPECT_EQ(sink_.asked.size(), 100U);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(remote[i]["remote_job_id"], "r" + std::to_string(i));
    EXPECT_EQ(remote[i]["state"], "running") << i;
  }
  EXPECT_EQ(remote[102]["state"], "unknown");
  EXPECT_NE(remote[102]["detail"].get<std::string>().find("not polled"), std::string::npos);
}

TEST_F(GetJobStatus, AnotherCallersJobReadsExactlyLikeAnUnknownId) {
  engine_.put(make_job(local_id('d'), "bob", jobs::JobState::kRunning));
  server_.always(Reply::json(404, kUnknown));

  const ToolResult theirs = run({{"job_id", local_id('d')}}, "alice");
  const ToolResult nobodys = run({{"job_id", local_id('e')}}, "alice");
  EXPECT_EQ(error_code(theirs), "job_not_found");
  EXPECT_EQ(error_code(nobodys), "job_not_found");
  std::string theirs_message = message_of(theirs);
  theirs_message.replace(theirs_message.find(local_id('d')), 30, local_id('e'));
  EXPECT_EQ(theirs_message, message_of(nobodys));
  EXPECT_EQ(*theirs.structured, *mcp::ToolResult::error("job_not_found", message_of(theirs))
                                     .structured);  // no extra details either
  // Both took the same path: each was asked of the orchestrator.
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].target, "/jobs/" + local_id('d'));

  // Bob still sees his own job.
  const ToolResult his = run({{"job_id", local_id('d')}}, "bob");
  EXPECT_FALSE(his.is_error);
  EXPECT_EQ(his.structured->at("state"), "running");
}

TEST_F(GetJobStatus, ForeignIdsAreAskedOfTheOrchestrator) {
  server_.always(Reply::json(200, kRunning));
  const ToolResult result = run({{"job_id", "ingest/42 x?"}});
  ASSERT_FALSE(result.is_error) << text_of(result);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/jobs/ingest%2F42%20x%3F");
  const Json& status = *result.structured;
  EXPECT_EQ(status["job_id"], "ingest/42 x?");
  EXPECT_EQ(status["state"], "running");
  EXPECT_EQ(status["source"], "orchestrator");
  EXPECT_EQ(status["orchestrator"], Json::parse(kRunning));
  EXPECT_NE(text_of(result).find("Documents: 0 processed, 0 failed, of 2."), std::string::npos)
      << text_of(result);
  EXPECT_TRUE(pauses_.empty());
}

TEST_F(GetJobStatus, OrchestratorNotFoundIsJobNotFound) {
  server_.always(Reply::json(404, kUnknown));
  const ToolResult result = run({{"job_id", "ingest-404"}});
  EXPECT_EQ(error_code(result), "job_not_found");
  EXPECT_EQ(message_of(result),
            "job 'ingest-404' not found: it is not a job of this daemon and the orchestrator at " +
                server_.url() + " does not know it");
  EXPECT_EQ(text_of(result), message_of(result));
}

TEST_F(GetJobStatus, WithoutAnOrchestratorUnknownIdsAreSimplyNotFound) {
  GetJobStatusDependencies d = deps();
  d.orchestrator = nullptr;
  install(std::move(d));
  const ToolResult result = run({{"job_id", "ingest-1"}});
  EXPECT_EQ(error_code(result), "job_not_found");
  EXPECT_EQ(message_of(result),
            "job 'ingest-1' not found: it is not a job of this daemon, and no orchestrator is "
            "configured to ask");
  EXPECT_EQ(server_.request_count(), 0U);
}

TEST_F(GetJobStatus, OrchestratorTroubleIsReportedLikeEveryBackendFailure) {
  GetJobStatusDependencies d = deps();
  d.orchestrator = orchestrator_.get();  // a closed port
  install(std::move(d));
  const ToolResult result = run({{"job_id", "ingest-1"}});
  EXPECT_EQ(error_code(result), "backend_unavailable");
  const Json& error = result.structured->at("error");
  EXPECT_EQ(error["backend"], "orchestrator");
  EXPECT_TRUE(error.contains("retry_after_s"));
  EXPECT_FALSE(error["detail"].get<std::string>().empty());
}

TEST_F(GetJobStatus, AnAnswerThatIsNotAJobStatusIsBackendTrouble) {
  server_.always(Reply::json(200, R"({"state":"running"})"));
  const ToolResult result = run({{"job_id", "ingest-1"}});
  EXPECT_EQ(error_code(result), "backend_unavailable");
  EXPECT_NE(message_of(result).find("not a JobStatus"), std::string::npos) << message_of(result);
}

TEST_F(GetJobStatus, BadArgumentsAreRefusedBeforeAnyIo) {
  const std::vector<Json> refused = {
      Json{{"job_id", ""}},
      Json{{"job_id", std::string(201, 'a')}},
      Json{{"job_id", "job\nid"}},
      Json{{"job_id", std::string("job") + '\x7f'}},
      Json{{"job_id", ".."}},
      Json{{"job_id", 42}},
      Json::object(),
      Json{{"job_id", "ok"}, {"wait_seconds", -1}},
      Json{{"job_id", "ok"}, {"wait_seconds", 301}},
      Json{{"job_id", "ok"}, {"wait_seconds", 1.5}},
  };
  for (const Json& arguments : refused) {
    const ToolResult result = run(arguments);
    EXPECT_EQ(error_code(result), "invalid_arguments") << arguments.dump();
  }
  EXPECT_NE(message_of(run({{"job_id", "a\tb"}})).find("control character (0x09) at offset 1"),
            std::string::npos);
  EXPECT_EQ(server_.request_count(), 0U);
  EXPECT_TRUE(sink_.asked.empty());
  // A 200-character id is still an id.
  server_.always(Reply::json(404, kUnknown));
  EXPECT_EQ(error_code(run({{"job_id", std::string(200, 'a')}})), "job_not_found");
}

TEST_F(GetJobStatus, WaitSendsProgressAndAnswersAtTheFinalState) {
  const std::string id = local_id('f');
  jobs::Job job = make_job(id, "alice", jobs::JobState::kQueued);
  job.remote_job_ids = {"r1"};
  engine_.put(job);
  install(patient_deps());
  // Each notice moves the job on, the way its runner would while we wait.
  on_progress_ = [&](std::size_t notices) {
    jobs::Job next = job;
    next.state = jobs::JobState::kRunning;
    if (notices <= 2) {
      next.progress =
          Json{{"done", notices}, {"total", 3}, {"message", fmt::format("page {}", notices)}};
    } else {
      next.state = jobs::JobState::kSucceeded;
      next.result = Json{{"pages", 3}};
    }
    engine_.publish(next);
  };
  const ToolResult result = run({{"job_id", id}, {"wait_seconds", 300}});
  ASSERT_FALSE(result.is_error) << text_of(result);
  EXPECT_EQ(result.structured->at("state"), "succeeded");
  EXPECT_EQ(result.structured->at("result"), Json({{"pages", 3}}));
  EXPECT_EQ(result.structured->at("remote")[0]["state"], "running");
  EXPECT_EQ(notices_,
            (std::vector<Notice>{
                {0, -1, "queued"}, {1, 3, "running: page 1"}, {2, 3, "running: page 2"}}));
  EXPECT_EQ(engine_.watcher_count(), 0U);
}

TEST(JobStatusProgressNotices, ReportOnlyNewsAndNeverGoBackwards) {
  std::vector<Notice> sent;
  JobProgressNotices notices(
      [&](double progress, std::optional<double> total, const std::string& message) {
        sent.push_back({progress, total.value_or(-1), message});
      });
  jobs::Job job = make_job(local_id('g'), "alice", jobs::JobState::kQueued);
  notices.notify_job(job);
  notices.notify_job(job);  // nothing new
  job.state = jobs::JobState::kRunning;
  job.progress = Json{{"message", "starting"}};
  notices.notify_job(job);  // uncounted: one step
  job.progress = Json{{"done", 5}, {"total", 9}, {"message", "five"}};
  notices.notify_job(job);
  job.progress = Json{{"done", 5}, {"total", 9}, {"message", "still five"}};
  notices.notify_job(job);  // would not grow
  job.progress = Json{{"done", 4}, {"total", 9}};
  notices.notify_job(job);  // would go back
  job.progress = Json{{"done", 7}, {"total", 9}, {"message", ""}};
  notices.notify_job(job);
  job.progress = Json{{"message", "wrapping up"}};
  notices.notify_job(job);  // uncounted again: one step past the last
  EXPECT_EQ(sent, (std::vector<Notice>{{0, -1, "queued"},
                                       {1, -1, "running: starting"},
                                       {5, 9, "running: five"},
                                       {7, 9, "running"},
                                       {8, -1, "running: wrapping up"}}));
}

TEST(JobStatusProgressNotices, OrchestratorJobsCountTheirDocuments) {
  std::vector<Notice> sent;
  JobProgressNotices notices(
      [&](double progress, std::optional<double> total, const std::string& message) {
        sent.push_back({progress, total.value_or(-1), message});
      });
  notices.notify_orchestrator_job(Json{{"state", "queued"}, {"orchestrator", Json::object()}});
  notices.notify_orchestrator_job(Json::parse(
      R"({"state":"running","orchestrator":{"documents":{"total":4,"processed":2,"failed":1}}})"));
  EXPECT_EQ(sent, (std::vector<Notice>{{0, -1, "queued"},
                                       {3, 4, "running: 2 of 4 documents processed, 1 failed"}}));
  JobProgressNotices silent({});
  silent.notify_orchestrator_job(Json{{"state", "queued"}});  // no callback: nothing to call
}

TEST_F(GetJobStatus, WaitAnswersWithTheCurrentStatusWhenTheTimeIsUp) {
  const std::string id = local_id('h');
  engine_.put(make_job(id, "alice", jobs::JobState::kRunning));
  const ToolResult result = run({{"job_id", id}, {"wait_seconds", 2}});
  ASSERT_FALSE(result.is_error) << text_of(result);
  EXPECT_EQ(result.structured->at("state"), "running");
  EXPECT_EQ(pauses_, std::vector<Clock::Duration>{std::chrono::seconds(2)});
  EXPECT_EQ(engine_.watcher_count(), 0U);
}

TEST_F(GetJobStatus, TheDaemonsTimerEndsTheWait) {
  const std::string id = local_id('k');
  engine_.put(make_job(id, "alice", jobs::JobState::kRunning));
  GetJobStatusDependencies d = deps();
  d.clock = nullptr;  // the defaults: the system clock and a steady timer
  d.pause = {};
  install(std::move(d));
  const auto started = std::chrono::steady_clock::now();
  const ToolResult result = run({{"job_id", id}, {"wait_seconds", 1}});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.structured->at("state"), "running");
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(GetJobStatus, AJobThatEndsStopsTheDaemonsTimer) {
  const std::string id = local_id('l');
  jobs::Job job = make_job(id, "alice", jobs::JobState::kRunning);
  engine_.put(job);
  GetJobStatusDependencies d = deps();
  d.clock = nullptr;
  d.pause = {};
  install(std::move(d));
  on_progress_ = [&](std::size_t) {
    job.state = jobs::JobState::kSucceeded;
    engine_.publish(job);
  };
  const auto started = std::chrono::steady_clock::now();
  const ToolResult result = run({{"job_id", id}, {"wait_seconds", 300}});
  EXPECT_EQ(result.structured->at("state"), "succeeded");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(GetJobStatus, AFinishedJobIsAnsweredWithoutWaiting) {
  const std::string id = local_id('i');
  engine_.put(make_job(id, "alice", jobs::JobState::kSucceeded));
  install(patient_deps());
  const ToolResult result = run({{"job_id", id}, {"wait_seconds", 300}});
  EXPECT_EQ(result.structured->at("state"), "succeeded");
  EXPECT_TRUE(notices_.empty());
}

TEST_F(GetJobStatus, CancellingTheCallEndsTheWait) {
  const std::string id = local_id('j');
  engine_.put(make_job(id, "alice", jobs::JobState::kRunning));
  install(patient_deps());
  on_progress_ = [&](std::size_t) { cancel_.cancel("client went away"); };
  const ToolResult result = run({{"job_id", id}, {"wait_seconds", 300}});
  EXPECT_EQ(error_code(result), "cancelled");
  EXPECT_EQ(message_of(result), "stopped waiting for job '" + id + "': client went away");
  EXPECT_EQ(notices_.size(), 1U);
  EXPECT_EQ(engine_.watcher_count(), 0U);
}

TEST_F(GetJobStatus, WaitPollsTheOrchestratorEverySecondUntilTheJobEnds) {
  server_.script([](const backend::testing::SeenRequest&, std::size_t index) {
    if (index == 0) return Reply::json(200, kRunning);
    if (index == 1) return Reply::json(200, kHalfDone);
    return Reply::json(200, kSucceeded);
  });
  const ToolResult result = run({{"job_id", "ingest-42"}, {"wait_seconds", 60}});
  ASSERT_FALSE(result.is_error) << text_of(result);
  EXPECT_EQ(result.structured->at("state"), "succeeded");
  EXPECT_EQ(server_.request_count(), 3U);
  EXPECT_EQ(pauses_,
            (std::vector<Clock::Duration>{std::chrono::seconds(1), std::chrono::seconds(1)}));
  EXPECT_EQ(notices_, (std::vector<Notice>{{0, 2, "running: 0 of 2 documents processed"},
                                           {1, 2, "running: 1 of 2 documents processed"}}));
}

TEST_F(GetJobStatus, WaitForAForeignJobEndsAtTheDeadline) {
  server_.always(Reply::json(200, kRunning));
  const ToolResult result = run({{"job_id", "ingest-42"}, {"wait_seconds", 3}});
  ASSERT_FALSE(result.is_error) << text_of(result);
  EXPECT_EQ(result.structured->at("state"), "running");
  // Asked at 0, 1, 2 and 3 s.
  EXPECT_EQ(server_.request_count(), 4U);
  EXPECT_EQ(notices_.size(), 1U) << "an unchanged answer is no news";
}

TEST_F(GetJobStatus, CancellingAForeignWaitStopsPolling) {
  server_.always(Reply::json(200, kRunning));
  on_progress_ = [&](std::size_t) { cancel_.cancel("bye"); };
  const ToolResult result = run({{"job_id", "ingest-42"}, {"wait_seconds", 30}});
  EXPECT_EQ(error_code(result), "cancelled");
  EXPECT_EQ(server_.request_count(), 1U);
}

TEST_F(GetJobStatus, DeclaresAReadOnlyOpenWorldToolWithClearSchemas) {
  const mcp::ToolDefinition tool = make_get_job_status(deps());
  EXPECT_EQ(tool.annotations["readOnlyHint"], true);
  EXPECT_EQ(tool.annotations["destructiveHint"], false);
  EXPECT_EQ(tool.annotations["idempotentHint"], true);
  EXPECT_EQ(tool.annotations["openWorldHint"], false);
  EXPECT_EQ(tool.input_schema["additionalProperties"], false);
  EXPECT_EQ(tool.input_schema["required"], Json::array({"job_id"}));
  EXPECT_EQ(tool.input_schema["properties"]["wait_seconds"]["maximum"], 300);
  EXPECT_EQ(tool.input_schema["properties"]["wait_seconds"]["default"], 0);
  for (const auto& [name, property] : tool.input_schema["properties"].items()) {
    EXPECT_FALSE(property.value("description", "").empty()) << name;
  }
  const auto& registry = install(deps());
  const auto& schemas = *registry.tool_schemas("get_job_status");
  EXPECT_FALSE(schemas.input->validate(Json{{"job_id", "x"}, {"wait_seconds", 300}}).has_value());
  EXPECT_TRUE(schemas.input->validate(Json{{"job_id", "x"}, {"wait_seconds", 301}}).has_value());
  EXPECT_TRUE(schemas.input->validate(Json{{"job_id", "x"}, {"extra", 1}}).has_value());
  EXPECT_TRUE(schemas.output->validate(Json{{"surprise", 1}}).has_value());
}

class ToolSetJobStatus : public testing::ToolFixture {};

TEST_F(ToolSetJobStatus, RegisteredWithTheJobEngineOrTheOrchestrator) {
  app::testing::FakeJobEngine engine;
  auto has_it = [&](const ToolDependencies& deps) {
    mcp::Registry registry;
    EXPECT_TRUE(register_tools(registry, deps));
    return registry.find_tool("get_job_status") != nullptr;
  };
  ToolDependencies deps = dependencies();  // with an orchestrator, no engine
  EXPECT_TRUE(has_it(deps));
  deps.orchestrator = nullptr;
  EXPECT_FALSE(has_it(deps));
  deps.jobs = &engine;
  EXPECT_TRUE(has_it(deps));
}

}  // namespace
}  // namespace shield::tools
