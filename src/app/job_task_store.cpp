#include "shield/app/job_task_store.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "shield/mcp/async_latch.hpp"

namespace shield::app {
namespace {

using mcp::Task;
using mcp::TaskStatus;
using mcp::ToolResult;

// tasks/list pages are at most this long, even when the caller asks for no limit.
constexpr std::size_t kMaxPage = 1'000;
// Cancelled tasks remembered for the override; older ones have long reached a final state.
constexpr std::size_t kRememberedCancels = 4'096;

// What a job reads as when its tool registered no builder: its state and summary, or its
// error as an isError result.
ToolResult generic_result(const jobs::Job& job) {
  const std::string state(jobs::to_string(job.state));
  const mcp::Json details{{"job_id", job.id}, {"state", state}};
  switch (job.state) {
    case jobs::JobState::kSucceeded: {
      ToolResult result =
          ToolResult::text("Job " + job.id + " succeeded" +
                           (job.result.is_null() ? std::string() : ": " + job.result.dump()));
      result.structured = mcp::Json{{"job_id", job.id}, {"state", state}, {"result", job.result}};
      return result;
    }
    case jobs::JobState::kFailed:
      return ToolResult::error(job.error ? job.error->code : "job_failed",
                               job.error ? job.error->message : "Job " + job.id + " failed",
                               details);
    case jobs::JobState::kInterrupted:
      return ToolResult::error(
          "job_interrupted",
          job.error ? job.error->message
                    : "Job " + job.id + " was interrupted by a restart; it can be retried",
          details);
    case jobs::JobState::kCancelled:
      return ToolResult::error("job_cancelled", "Job " + job.id + " was cancelled", details);
    case jobs::JobState::kQueued:
    case jobs::JobState::kRunning:
      break;
  }
  return ToolResult::text("Job " + job.id + " is " + state);
}

bool is_final_event(const jobs::JobEvent& event) {
  if (!event.job.is_object()) return false;
  const auto state = event.job.find("state");
  if (state == event.job.end() || !state->is_string()) return false;
  const auto parsed = jobs::parse_job_state(state->get<std::string>());
  return parsed && jobs::is_final(*parsed);
}

}  // namespace

JobTaskStore::JobTaskStore(jobs::JobEngine& engine, std::chrono::milliseconds retention)
    : engine_(engine), retention_(retention) {}

void JobTaskStore::set_result_builder(jobs::JobKind kind, JobResultBuilder builder) {
  builders_[kind] = std::move(builder);
}

ToolResult JobTaskStore::result_of(const jobs::Job& job) const {
  const auto builder = builders_.find(job.kind);
  if (builder == builders_.end() || !builder->second) return generic_result(job);
  try {
    return builder->second(job);
  } catch (const std::exception& e) {
    // A tool's bug must not hide the job: it still reads, generically.
    spdlog::error("app: the result builder of {} jobs failed on job {}: {}",
                  jobs::to_string(job.kind), job.id, e.what());
    return generic_result(job);
  }
}

Task JobTaskStore::to_task(const jobs::Job& job) const {
  Task task;
  task.id = job.id;
  task.created_at_ms = job.created_at_ms;
  task.updated_at_ms = job.updated_at_ms;
  task.ttl_ms = static_cast<std::int64_t>(retention_.count());
  task.poll_interval_ms = std::max<std::int64_t>(engine_.poll_after_s(), 1) * 1000;
  if (was_cancelled(job.id)) {
    task.status = TaskStatus::kCancelled;
    task.status_message = "The task was cancelled by request.";
    return task;
  }
  switch (job.state) {
    case jobs::JobState::kQueued:
      task.status = TaskStatus::kWorking;
      task.status_message = "Queued";
      break;
    case jobs::JobState::kRunning: {
      task.status = TaskStatus::kWorking;
      const auto message =
          job.progress.is_object() ? job.progress.find("message") : job.progress.end();
      if (message != job.progress.end() && message->is_string()) {
        task.status_message = message->get<std::string>();
      }
      break;
    }
    case jobs::JobState::kSucceeded: {
      ToolResult result = result_of(job);
      task.status = result.is_error ? TaskStatus::kFailed : TaskStatus::kCompleted;
      if (result.is_error) task.status_message = result.first_text();
      task.result = std::move(result);
      break;
    }
    case jobs::JobState::kFailed:
    case jobs::JobState::kInterrupted: {
      ToolResult result = result_of(job);
      // The job did not do its work, whatever its tool makes of it.
      result.is_error = true;
      task.status = TaskStatus::kFailed;
      task.status_message = job.error ? job.error->message : result.first_text();
      task.result = std::move(result);
      break;
    }
    case jobs::JobState::kCancelled:
      task.status = TaskStatus::kCancelled;
      task.status_message = "The job was cancelled.";
      break;
  }
  return task;
}

boost::asio::awaitable<Result<jobs::Job>> JobTaskStore::owned_job(const mcp::TaskOwner& owner,
                                                                  std::string id) {
  Result<jobs::Job> job = co_await engine_.get(id);
  if (!job) {
    // A malformed id names no job either; only other failures are the engine's trouble.
    if (job.error().code == ErrorCode::kNotFound ||
        job.error().code == ErrorCode::kInvalidArgument) {
      co_return fail(ErrorCode::kNotFound, "Task not found: " + id);
    }
    co_return job;
  }
  if (job->caller != owner.caller) co_return fail(ErrorCode::kNotFound, "Task not found: " + id);
  co_return job;
}

boost::asio::awaitable<Result<Task>> JobTaskStore::create(mcp::TaskRequest request) {
  if (!request.start) {
    co_return fail(ErrorCode::kFailedPrecondition,
                   "tool '" + request.tool + "' has no task_starter, so it cannot run as a job");
  }
  Result<std::string> started =
      co_await request.start(std::move(request.arguments), std::move(request.context));
  if (!started) co_return tl::unexpected(started.error());
  // submit() returned after the journal commit, so the job is readable from here on.
  Result<jobs::Job> job = co_await engine_.get(*started);
  if (!job) co_return tl::unexpected(job.error());
  co_return to_task(*job);
}

boost::asio::awaitable<Result<Task>> JobTaskStore::get(mcp::TaskOwner owner, std::string id) {
  Result<jobs::Job> job = co_await owned_job(owner, std::move(id));
  if (!job) co_return tl::unexpected(job.error());
  co_return to_task(*job);
}

boost::asio::awaitable<Result<Task>> JobTaskStore::result(mcp::TaskOwner owner, std::string id,
                                                          CancellationToken cancel) {
  for (;;) {
    // Watch before reading, so a job that ends between the two still wakes us.
    const auto ended = mcp::AsyncLatch::create();
    const auto subscription = engine_.watch(id, [ended](const jobs::JobEvent& event) {
      if (is_final_event(event)) ended->open();
    });
    Result<jobs::Job> job = co_await owned_job(owner, id);
    if (!job) co_return tl::unexpected(job.error());
    Task task = to_task(*job);
    if (mcp::is_terminal(task.status)) co_return task;
    const bool woke = co_await ended->wait(cancel);
    if (!woke) co_return fail(ErrorCode::kCancelled, "stopped waiting for task " + id);
  }
}

boost::asio::awaitable<Result<mcp::TaskPage>> JobTaskStore::list(mcp::TaskOwner owner,
                                                                 std::string cursor,
                                                                 std::size_t limit) {
  jobs::JobQuery query;
  query.caller = owner.caller;
  query.after_id = std::move(cursor);
  query.limit = limit == 0 ? kMaxPage : std::min(limit, kMaxPage);
  Result<jobs::JobPage> page = co_await engine_.list(std::move(query));
  if (!page) co_return tl::unexpected(page.error());
  mcp::TaskPage out;
  for (const auto& job : page->jobs) out.tasks.push_back(to_task(job));
  out.next_cursor = std::move(page->next_cursor);
  co_return out;
}

boost::asio::awaitable<Result<Task>> JobTaskStore::cancel(mcp::TaskOwner owner, std::string id) {
  Result<jobs::Job> job = co_await owned_job(owner, id);
  if (!job) co_return tl::unexpected(job.error());
  const Task before = to_task(*job);
  if (mcp::is_terminal(before.status)) {
    co_return fail(ErrorCode::kFailedPrecondition,
                   "Cannot cancel task: already in terminal status '" +
                       std::string(mcp::to_string(before.status)) + "'");
  }
  Result<jobs::Job> cancelled = co_await engine_.cancel(id);
  if (!cancelled) co_return tl::unexpected(cancelled.error());
  // A running job stops when its runner sees the token; the task is cancelled from now on.
  remember_cancelled(id);
  co_return to_task(*cancelled);
}

boost::asio::awaitable<Result<Task>> JobTaskStore::update(mcp::TaskOwner owner, std::string id,
                                                          mcp::Json) {
  Result<jobs::Job> job = co_await owned_job(owner, std::move(id));
  if (!job) co_return tl::unexpected(job.error());
  co_return to_task(*job);
}

void JobTaskStore::remember_cancelled(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (!cancelled_.insert(id).second) return;
  cancelled_order_.push_back(id);
  if (cancelled_order_.size() > kRememberedCancels) {
    cancelled_.erase(cancelled_order_.front());
    cancelled_order_.pop_front();
  }
}

bool JobTaskStore::was_cancelled(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return cancelled_.count(id) != 0;
}

}  // namespace shield::app
