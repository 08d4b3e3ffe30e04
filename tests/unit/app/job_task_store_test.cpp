#include "shield/app/job_task_store.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace shield::app {
namespace {

namespace asio = boost::asio;
using jobs::Job;
using jobs::JobKind;
using jobs::JobState;
using mcp::Json;
using mcp::Task;
using mcp::TaskOwner;
using mcp::TaskStatus;
using mcp::ToolResult;

// A JobEngine the test drives by hand: jobs change state only when the test says so, and
// cancel() asks a running job to stop without stopping it (like a runner that has not yet
// looked at its token).
class ScriptedJobEngine final : public jobs::JobEngine {
 public:
  void register_runner(JobKind, jobs::JobRunner, std::size_t) override {}
  asio::awaitable<Result<void>> start() override { co_return Result<void>{}; }
  asio::awaitable<void> stop(std::chrono::milliseconds) override { co_return; }

  asio::awaitable<Result<Job>> submit(JobKind kind, Json input, std::string caller) override {
    std::lock_guard lock(mutex_);
    if (busy) co_return fail(ErrorCode::kResourceExhausted, "busy, retry after 5 s");
    Job job;
    job.id = "job_" + std::to_string(next_++);
    job.kind = kind;
    job.input = std::move(input);
    job.caller = std::move(caller);
    job.created_at_ms = 1'700'000'000'000 + static_cast<std::int64_t>(next_);
    job.updated_at_ms = job.created_at_ms;
    jobs_[job.id] = job;
    order_.push_back(job.id);
    co_return job;
  }
  asio::awaitable<Result<Job>> get(std::string id) override {
    std::lock_guard lock(mutex_);
    ++gets;
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) co_return fail(ErrorCode::kNotFound, "no job " + id);
    co_return it->second;
  }
  asio::awaitable<Result<jobs::JobPage>> list(jobs::JobQuery query) override {
    std::lock_guard lock(mutex_);
    last_query = query;
    jobs::JobPage page;
    bool after = query.after_id.empty();
    for (const auto& id : order_) {
      if (!after) {
        after = id == query.after_id;
        continue;
      }
      const Job& job = jobs_[id];
      if (query.caller && job.caller != *query.caller) continue;
      if (page.jobs.size() == query.limit) {
        page.next_cursor = page.jobs.back().id;
        break;
      }
      page.jobs.push_back(job);
    }
    co_return page;
  }
  asio::awaitable<Result<Job>> cancel(std::string id) override {
    std::lock_guard lock(mutex_);
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) co_return fail(ErrorCode::kNotFound, "no job " + id);
    cancelled.push_back(id);
    if (it->second.state == JobState::kQueued) it->second.state = JobState::kCancelled;
    co_return it->second;
  }
  asio::awaitable<Result<Job>> retry(std::string id) override {
    co_return fail(ErrorCode::kFailedPrecondition, "not scripted: retry " + id);
  }
  asio::awaitable<Result<std::size_t>> purge_expired() override { co_return std::size_t{0}; }
  asio::awaitable<Result<std::vector<jobs::JobEvent>>> events(std::string, std::uint64_t) override {
    co_return std::vector<jobs::JobEvent>{};
  }

  class Watch final : public Subscription {
   public:
    Watch(ScriptedJobEngine& engine, std::size_t key) : engine_(engine), key_(key) {}
    ~Watch() override {
      std::lock_guard lock(engine_.mutex_);
      engine_.watchers_.erase(key_);
    }

   private:
    ScriptedJobEngine& engine_;
    std::size_t key_;
  };
  std::unique_ptr<Subscription> watch(
      std::string id, std::function<void(const jobs::JobEvent&)> on_event) override {
    std::lock_guard lock(mutex_);
    const std::size_t key = next_watch_++;
    watchers_.emplace(key, std::make_pair(std::move(id), std::move(on_event)));
    return std::make_unique<Watch>(*this, key);
  }
  [[nodiscard]] std::int64_t poll_after_s() const override { return 2; }
  [[nodiscard]] std::size_t queued() const override { return 0; }
  [[nodiscard]] std::size_t running() const override { return 0; }

  // Test side: a new state for a job, told to its watchers as the real engine would.
  void move(const std::string& id, JobState state, const std::function<void(Job&)>& change = {}) {
    std::vector<std::function<void(const jobs::JobEvent&)>> targets;
    jobs::JobEvent event;
    {
      std::lock_guard lock(mutex_);
      Job& job = jobs_.at(id);
      job.state = state;
      job.updated_at_ms += 1'000;
      if (change) change(job);
      event.job_id = id;
      event.seq = ++seq_[id];
      event.job = Json{{"job_id", id}, {"state", std::string(jobs::to_string(state))}};
      for (const auto& [key, watcher] : watchers_) {
        if (watcher.first == id) targets.push_back(watcher.second);
      }
    }
    for (const auto& target : targets) target(event);
  }
  std::size_t watcher_count() const {
    std::lock_guard lock(mutex_);
    return watchers_.size();
  }

  bool busy = false;
  int gets = 0;
  std::vector<std::string> cancelled;
  std::optional<jobs::JobQuery> last_query;

 private:
  mutable std::mutex mutex_;
  int next_ = 1;
  std::size_t next_watch_ = 0;
  std::map<std::string, Job> jobs_;
  std::vector<std::string> order_;
  std::map<std::string, std::uint64_t> seq_;
  std::map<std::size_t, std::pair<std::string, std::function<void(const jobs::JobEvent&)>>>
      watchers_;
};

template <class T>
std::shared_ptr<std::optional<T>> spawn(asio::io_context& io, asio::awaitable<T> work) {
  auto out = std::make_shared<std::optional<T>>();
  asio::co_spawn(io, std::move(work), [out](const std::exception_ptr& error, T value) {
    if (!error) *out = std::move(value);
  });
  return out;
}

// The crawl tool's answer for a job, as a jobs-backed tool would build it.
ToolResult crawl_result(const Job& job) {
  if (job.state != JobState::kSucceeded) {
    return ToolResult::error(job.error ? job.error->code : "crawl_failed",
                             job.error ? job.error->message : "crawl did not finish");
  }
  const int pages = job.result.is_object() ? job.result.value("pages", 0) : 0;
  ToolResult result = ToolResult::text("crawled " + std::to_string(pages) + " pages");
  result.structured = Json{{"job_id", job.id}, {"pages", pages}};
  return result;
}

class JobTaskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_.set_result_builder(JobKind::kCrawl, crawl_result); }

  template <class T>
  std::optional<T> run(asio::awaitable<T> work) {
    auto out = spawn(io_, std::move(work));
    poll();
    return *out;
  }
  void poll() {
    io_.restart();
    io_.poll();
  }

  // What a jobs-backed tool's task_starter does: submit, and hand back the job id.
  mcp::TaskRequest request(const std::string& caller = "alice", JobKind kind = JobKind::kCrawl) {
    mcp::TaskRequest r;
    r.owner = TaskOwner{caller, "session-is-ignored"};
    r.tool = "crawl_web";
    r.arguments = Json{{"url", "https://example.org"}};
    r.context.caller = caller;
    r.start = [this, kind](Json arguments, mcp::ToolContext context) {
      return start_job(&engine_, kind, std::move(arguments), std::move(context));
    };
    return r;
  }
  static asio::awaitable<Result<std::string>> start_job(ScriptedJobEngine* engine, JobKind kind,
                                                        Json arguments, mcp::ToolContext context) {
    Result<Job> job = co_await engine->submit(kind, std::move(arguments), context.caller);
    if (!job) co_return tl::unexpected(job.error());
    co_return job->id;
  }

  Task create(const std::string& caller = "alice", JobKind kind = JobKind::kCrawl) {
    auto created = run(store_.create(request(caller, kind)));
    EXPECT_TRUE(created && *created);
    return created && *created ? **created : Task{};
  }
  Result<Task> get(const std::string& id, const std::string& caller = "alice") {
    return *run(store_.get(TaskOwner{caller, ""}, id));
  }

  asio::io_context io_;
  ScriptedJobEngine engine_;
  JobTaskStore store_{engine_, std::chrono::hours(24 * 7)};
};

TEST_F(JobTaskStoreTest, CreatingATaskSubmitsAJobWhoseIdIsTheTaskId) {
  const Task task = create();
  EXPECT_EQ(task.id, "job_1");
  EXPECT_EQ(task.status, TaskStatus::kWorking);
  EXPECT_EQ(task.status_message, "Queued");
  EXPECT_EQ(task.ttl_ms, std::int64_t{7} * 24 * 3'600'000);
  EXPECT_EQ(task.poll_interval_ms, 2'000);
  EXPECT_EQ(task.created_at_ms, 1'700'000'000'002);
  ASSERT_TRUE(get("job_1"));
}

TEST_F(JobTaskStoreTest, ARefusedSubmitIsTheCreateError) {
  engine_.busy = true;
  auto refused = run(store_.create(request()));
  ASSERT_TRUE(refused);
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(refused->error().message, "busy, retry after 5 s");
}

TEST_F(JobTaskStoreTest, AToolWithoutStarterCannotMakeAJob) {
  mcp::TaskRequest r = request();
  r.start = nullptr;
  auto refused = run(store_.create(std::move(r)));
  ASSERT_TRUE(refused);
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(JobTaskStoreTest, JobStatesMapOntoTaskStatuses) {
  const std::string running = create().id;
  engine_.move(running, JobState::kRunning, [](Job& job) {
    job.progress = Json{{"pages_ok", 3}, {"message", "3 pages so far"}};
  });
  auto working = get(running);
  EXPECT_EQ(working->status, TaskStatus::kWorking);
  EXPECT_EQ(working->status_message, "3 pages so far");
  EXPECT_FALSE(working->result);

  const std::string succeeded = create().id;
  engine_.move(succeeded, JobState::kSucceeded, [](Job& job) { job.result = Json{{"pages", 42}}; });
  auto done = get(succeeded);
  EXPECT_EQ(done->status, TaskStatus::kCompleted);
  ASSERT_TRUE(done->result);
  EXPECT_FALSE(done->result->is_error);
  EXPECT_EQ(done->result->content[0]["text"], "crawled 42 pages");
  EXPECT_EQ((*done->result->structured)["pages"], 42);

  const std::string failed = create().id;
  engine_.move(failed, JobState::kFailed, [](Job& job) {
    job.error = jobs::JobError{"sink_unavailable", "the orchestrator refused the documents"};
  });
  auto broke = get(failed);
  EXPECT_EQ(broke->status, TaskStatus::kFailed);
  EXPECT_EQ(broke->status_message, "the orchestrator refused the documents");
  ASSERT_TRUE(broke->result);
  EXPECT_TRUE(broke->result->is_error);
  EXPECT_FALSE(broke->error) << "a failed job is the tool's failure, not a protocol error";
  EXPECT_EQ((*broke->result->structured)["error"]["code"], "sink_unavailable");

  const std::string interrupted = create().id;
  engine_.move(interrupted, JobState::kInterrupted, [](Job& job) {
    job.error = jobs::JobError{"interrupted", "the daemon stopped mid-crawl"};
  });
  EXPECT_EQ(get(interrupted)->status, TaskStatus::kFailed);
  EXPECT_TRUE(get(interrupted)->result->is_error);

  const std::string cancelled = create().id;
  engine_.move(cancelled, JobState::kCancelled);
  EXPECT_EQ(get(cancelled)->status, TaskStatus::kCancelled);
  EXPECT_FALSE(get(cancelled)->result);
}

TEST_F(JobTaskStoreTest, KindsWithoutABuilderReadGenerically) {
  const std::string id = create("alice", JobKind::kIngest).id;
  engine_.move(id, JobState::kSucceeded, [](Job& job) { job.result = Json{{"documents", 2}}; });
  auto done = get(id);
  EXPECT_EQ(done->status, TaskStatus::kCompleted);
  EXPECT_EQ((*done->result->structured)["result"]["documents"], 2);
  EXPECT_EQ((*done->result->structured)["state"], "succeeded");
}

TEST_F(JobTaskStoreTest, ABuilderThatThrowsFallsBackToTheGenericResult) {
  store_.set_result_builder(JobKind::kIngest,
                            [](const Job&) -> ToolResult { throw std::runtime_error("tool bug"); });
  const std::string id = create("alice", JobKind::kIngest).id;
  engine_.move(id, JobState::kSucceeded);
  auto done = get(id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, TaskStatus::kCompleted);
  EXPECT_EQ((*done->result->structured)["state"], "succeeded");
}

TEST_F(JobTaskStoreTest, AnotherPrincipalsJobIsNotFound) {
  const std::string id = create("alice").id;
  create("bob");
  const TaskOwner mallory{"mallory", ""};
  EXPECT_EQ(get(id, "mallory").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(run(store_.cancel(mallory, id))->error().code, ErrorCode::kNotFound);
  EXPECT_EQ(run(store_.result(mallory, id, {}))->error().code, ErrorCode::kNotFound);
  EXPECT_EQ(run(store_.update(mallory, id, Json::object()))->error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(engine_.cancelled.empty()) << "a stranger's cancel never reaches the engine";
  // Sessions do not matter: jobs outlive them.
  auto from_elsewhere = run(store_.get(TaskOwner{"alice", "another-session"}, id));
  EXPECT_TRUE(*from_elsewhere);
}

TEST_F(JobTaskStoreTest, UnknownIdsAreNotFound) {
  const auto missing = get("job_999");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "Task not found: job_999");
}

TEST_F(JobTaskStoreTest, ResultWaitsForTheJobToEnd) {
  const std::string id = create().id;
  auto waiting = spawn(io_, store_.result(TaskOwner{"alice", ""}, id, {}));
  poll();
  EXPECT_FALSE(*waiting);
  EXPECT_EQ(engine_.watcher_count(), 1u) << "it watches the job instead of polling it";
  const int gets_while_waiting = engine_.gets;

  engine_.move(id, JobState::kRunning);
  poll();
  EXPECT_FALSE(*waiting) << "running is not an end";
  EXPECT_EQ(engine_.gets, gets_while_waiting);

  engine_.move(id, JobState::kSucceeded, [](Job& job) { job.result = Json{{"pages", 7}}; });
  poll();
  ASSERT_TRUE(*waiting);
  ASSERT_TRUE(**waiting);
  EXPECT_EQ((**waiting)->status, TaskStatus::kCompleted);
  EXPECT_EQ((**waiting)->result->content[0]["text"], "crawled 7 pages");
  EXPECT_EQ(engine_.watcher_count(), 0u);
}

TEST_F(JobTaskStoreTest, ResultOfAFinishedJobNeedsNoWait) {
  const std::string id = create().id;
  engine_.move(id, JobState::kFailed, [](Job& job) {
    job.error = jobs::JobError{"unreachable_start_url", "DNS failed"};
  });
  auto done = run(store_.result(TaskOwner{"alice", ""}, id, {}));
  ASSERT_TRUE(done && *done);
  EXPECT_EQ((*done)->status, TaskStatus::kFailed);
  EXPECT_EQ(engine_.watcher_count(), 0u);
}

TEST_F(JobTaskStoreTest, AResultWaitEndsWhenItsCallerGivesUp) {
  const std::string id = create().id;
  CancellationSource gone;
  auto waiting = spawn(io_, store_.result(TaskOwner{"alice", ""}, id, gone.token()));
  poll();
  EXPECT_FALSE(*waiting);
  gone.cancel("stream closed");
  poll();
  ASSERT_TRUE(*waiting);
  EXPECT_EQ((**waiting).error().code, ErrorCode::kCancelled);
  EXPECT_EQ(engine_.watcher_count(), 0u);
  EXPECT_TRUE(engine_.cancelled.empty()) << "giving up on a wait does not cancel the job";
}

TEST_F(JobTaskStoreTest, CancelAsksTheEngineAndTheTaskStaysCancelled) {
  const std::string id = create().id;
  engine_.move(id, JobState::kRunning);
  auto waiting = spawn(io_, store_.result(TaskOwner{"alice", ""}, id, {}));
  poll();

  auto cancelled = run(store_.cancel(TaskOwner{"alice", ""}, id));
  ASSERT_TRUE(cancelled && *cancelled);
  EXPECT_EQ((*cancelled)->status, TaskStatus::kCancelled);
  EXPECT_EQ(engine_.cancelled, std::vector<std::string>{id});
  EXPECT_EQ(get(id)->status, TaskStatus::kCancelled) << "even while the runner still runs";

  // The runner finished its work before it saw the token: the task still reads cancelled.
  engine_.move(id, JobState::kSucceeded, [](Job& job) { job.result = Json{{"pages", 1}}; });
  poll();
  EXPECT_EQ(get(id)->status, TaskStatus::kCancelled);
  EXPECT_FALSE(get(id)->result);
  ASSERT_TRUE(*waiting && **waiting);
  EXPECT_EQ((**waiting)->status, TaskStatus::kCancelled);

  auto again = run(store_.cancel(TaskOwner{"alice", ""}, id));
  ASSERT_TRUE(again && !*again);
  EXPECT_EQ(again->error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(engine_.cancelled.size(), 1u);
}

TEST_F(JobTaskStoreTest, CancellingAFinishedJobIsRefused) {
  const std::string id = create().id;
  engine_.move(id, JobState::kSucceeded);
  auto refused = run(store_.cancel(TaskOwner{"alice", ""}, id));
  ASSERT_TRUE(refused);
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused->error().message.find("'completed'"), std::string::npos);
  EXPECT_TRUE(engine_.cancelled.empty());
}

TEST_F(JobTaskStoreTest, ListPagesThroughTheCallersJobsWithTheEnginesCursor) {
  for (int i = 0; i < 3; ++i) {
    create("alice");
    create("bob");
  }
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    auto listed = run(store_.list(TaskOwner{"alice", "s"}, cursor, 2));
    ASSERT_TRUE(listed && *listed);
    for (const auto& task : (*listed)->tasks) seen.push_back(task.id);
    cursor = (*listed)->next_cursor;
    if (cursor.empty()) break;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"job_1", "job_3", "job_5"}));
  ASSERT_TRUE(engine_.last_query);
  EXPECT_EQ(engine_.last_query->caller, "alice");

  run(store_.list(TaskOwner{"alice", ""}, "", 0));
  EXPECT_EQ(engine_.last_query->limit, 1'000u) << "no limit still means bounded pages";
}

TEST_F(JobTaskStoreTest, UpdateChangesNothingForAJob) {
  const std::string id = create().id;
  auto updated = run(store_.update(TaskOwner{"alice", ""}, id, Json{{"k", Json::object()}}));
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ((*updated)->status, TaskStatus::kWorking);
  EXPECT_TRUE((*updated)->input_requests.empty());
}

}  // namespace
}  // namespace shield::app
