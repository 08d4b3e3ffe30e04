#pragma once
// JobTaskStore: MCP tasks backed by the durable job engine. A jobs-backed tool (one that sets
// ToolDefinition::task_starter and points task_store here) starts a task by submitting a job;
// the job id is the task id, so the same work is visible as a task, through GET /jobs/{id}
// and through get_job_status, and it survives a restart like any job. Every job of a caller
// is a task of that caller, whichever surface started it.
//
// Mapping: queued and running → working (the progress message is the status message);
// succeeded → completed, with the CallToolResult the tool builds from the job (a result
// marked isError makes it failed); failed and interrupted → failed, with the tool's isError
// result; cancelled → cancelled. A task cancelled through tasks/cancel stays cancelled even
// if its job ends otherwise before the cancellation reaches it (2025-11-25 requires it).
// ttl is the job retention; pollInterval the engine's poll_after_s.
//
// Binding: to the principal only (Job::caller). Jobs outlive sessions and restarts, and their
// ids are unguessable; another principal's job is reported as not found.
// Not offered: status notifications (GET /jobs/{id}/events streams every change) and input
// requests (jobs never ask the client anything; update() changes nothing).
//
// Threading: set_result_builder() before serving; everything else from any thread. The
// engine is borrowed and must outlive the store.
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "shield/jobs/job_engine.hpp"
#include "shield/mcp/task_store.hpp"

namespace shield::app {

// Builds the CallToolResult a job's tool answers for that job (its summary once succeeded,
// an isError result naming the job's error otherwise).
using JobResultBuilder = std::function<mcp::ToolResult(const jobs::Job& job)>;

class JobTaskStore final : public mcp::TaskStore {
 public:
  // `retention`: how long the engine keeps finished jobs (JobEngineOptions::retention), shown
  // to clients as the tasks' ttl.
  JobTaskStore(jobs::JobEngine& engine, std::chrono::milliseconds retention);

  // The tool that submits jobs of `kind` says how they read as results. A kind without a
  // builder gets a generic one (the job's state, result summary or error).
  void set_result_builder(jobs::JobKind kind, JobResultBuilder builder);

  boost::asio::awaitable<Result<mcp::Task>> create(mcp::TaskRequest request) override;
  boost::asio::awaitable<Result<mcp::Task>> get(mcp::TaskOwner owner, std::string id) override;
  boost::asio::awaitable<Result<mcp::Task>> result(mcp::TaskOwner owner, std::string id,
                                                   CancellationToken cancel) override;
  boost::asio::awaitable<Result<mcp::TaskPage>> list(mcp::TaskOwner owner, std::string cursor,
                                                     std::size_t limit) override;
  boost::asio::awaitable<Result<mcp::Task>> cancel(mcp::TaskOwner owner, std::string id) override;
  boost::asio::awaitable<Result<mcp::Task>> update(mcp::TaskOwner owner, std::string id,
                                                   mcp::Json responses) override;

  // The result a job reads as (the builder of its kind, or the generic one, also when the
  // builder throws).
  [[nodiscard]] mcp::ToolResult result_of(const jobs::Job& job) const;
  [[nodiscard]] mcp::Task to_task(const jobs::Job& job) const;

 private:
  // The caller's job, or kNotFound (also for another principal's job).
  boost::asio::awaitable<Result<jobs::Job>> owned_job(const mcp::TaskOwner& owner, std::string id);
  void remember_cancelled(const std::string& id);
  [[nodiscard]] bool was_cancelled(const std::string& id) const;

  jobs::JobEngine& engine_;
  const std::chrono::milliseconds retention_;
  std::map<jobs::JobKind, JobResultBuilder> builders_;

  // Tasks cancelled through tasks/cancel, newest last; bounded, since a job the engine
  // reports cancelled needs no entry and others end within the retention anyway.
  mutable std::mutex mutex_;
  std::deque<std::string> cancelled_order_;
  std::set<std::string> cancelled_;
};

}  // namespace shield::app
