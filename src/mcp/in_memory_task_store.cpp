#include "shield/mcp/in_memory_task_store.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>

#include "shield/mcp/cursor.hpp"
#include "shield/mcp/json_rpc.hpp"
#include "shield/util/secure_token.hpp"

namespace shield::mcp {
namespace {

constexpr std::string_view kCursorList = "tasks";

std::int64_t to_ms(std::chrono::milliseconds d) {
  return static_cast<std::int64_t>(d.count());
}

Result<void> check_input_requests(const Json& requests) {
  if (!requests.is_object() || requests.empty()) {
    return fail(ErrorCode::kInvalidArgument, "input requests must be a non-empty object");
  }
  for (const auto& [name, request] : requests.items()) {
    if (name.empty() || !request.is_object() || !request.contains("method") ||
        !request["method"].is_string()) {
      return fail(ErrorCode::kInvalidArgument,
                  "input request '" + name + "' must be an object with a string method");
    }
  }
  return {};
}

}  // namespace

struct InMemoryTaskStore::Entry {
  std::uint64_t seq = 0;
  TaskOwner owner;
  Task task;
  Clock::TimePoint expires_at;
  CancellationSource source;
  std::shared_ptr<AsyncLatch> final_latch = AsyncLatch::create();
  std::function<void(const Task&)> on_status;
  bool removed = false;

  // The input round in progress: key → what was asked under which name, and the answer.
  struct Pending {
    std::string name;
    Json request;
    std::optional<Json> answer;
  };
  std::map<std::string, Pending> pending;
  std::shared_ptr<AsyncLatch> input_latch;
  std::uint64_t next_input = 1;  // keys are never reused within a task
};

void InMemoryTaskStore::Effects::run() {
  for (auto& [source, reason] : cancels) source.cancel(reason);
  for (const auto& latch : latches) latch->open();
  for (const auto& [notify, task] : notices) notify(task);
}

std::shared_ptr<InMemoryTaskStore> InMemoryTaskStore::create(boost::asio::any_io_executor executor,
                                                             const Clock& clock,
                                                             InMemoryTaskStoreOptions options) {
  return std::shared_ptr<InMemoryTaskStore>(
      new InMemoryTaskStore(std::move(executor), clock, options));
}

InMemoryTaskStore::InMemoryTaskStore(boost::asio::any_io_executor executor, const Clock& clock,
                                     InMemoryTaskStoreOptions options)
    : executor_(std::move(executor)), clock_(clock), options_(options) {}

boost::asio::awaitable<Result<Task>> InMemoryTaskStore::create(TaskRequest request) {
  if (!request.run) {
    co_return fail(ErrorCode::kFailedPrecondition,
                   "tool '" + request.tool + "' has no in-process work to run as a task");
  }
  Effects effects;
  EntryPtr entry;
  Task created;
  {
    std::lock_guard lock(mutex_);
    sweep_locked(effects);
    std::size_t owned = 0;
    EntryPtr oldest_finished;
    for (const auto& [seq, candidate] : by_seq_) {
      if (candidate->owner.caller != request.owner.caller ||
          candidate->owner.session_id != request.owner.session_id) {
        continue;
      }
      ++owned;
      if (!oldest_finished && is_terminal(candidate->task.status)) oldest_finished = candidate;
    }
    if (owned >= options_.max_tasks_per_owner) {
      if (!oldest_finished) {
        co_return fail(ErrorCode::kResourceExhausted,
                       "too many tasks still running for this caller (" +
                           std::to_string(options_.max_tasks_per_owner) +
                           "); wait for one to finish or cancel one");
      }
      remove_locked(oldest_finished, effects);
    }

    std::chrono::milliseconds ttl = options_.default_ttl;
    if (request.requested_ttl_ms) ttl = std::chrono::milliseconds(*request.requested_ttl_ms);
    ttl = std::clamp(ttl, options_.min_ttl, options_.max_ttl);

    entry = std::make_shared<Entry>();
    entry->seq = next_seq_++;
    entry->owner = request.owner;
    entry->on_status = std::move(request.on_status);
    entry->expires_at = clock_.now() + ttl;
    Task& task = entry->task;
    task.id = "task-" + random_hex(16);
    task.status = TaskStatus::kWorking;
    task.created_at_ms = clock_.unix_millis();
    task.updated_at_ms = task.created_at_ms;
    task.ttl_ms = to_ms(ttl);
    task.poll_interval_ms = to_ms(options_.poll_interval);
    by_id_.emplace(task.id, entry);
    by_seq_.emplace(entry->seq, entry);
    created = snapshot_locked(*entry);
  }
  effects.run();

  ToolContext context = std::move(request.context);
  context.cancel = entry->source.token();
  if (request.client_input) {
    std::weak_ptr<InMemoryTaskStore> weak_self = weak_from_this();
    std::weak_ptr<Entry> weak_entry = entry;
    // A plain lambda handing over to a coroutine function: GCC 12 is unreliable with the
    // captures of coroutine lambdas.
    context.request_input = [weak_self, weak_entry](Json requests) {
      return request_input_weak(weak_self, weak_entry, std::move(requests));
    };
  } else {
    context.request_input = [](Json) -> boost::asio::awaitable<Result<Json>> {
      co_return fail(ErrorCode::kFailedPrecondition,
                     "this client cannot answer input requests for a task");
    };
  }
  const std::string tool = request.tool;
  boost::asio::co_spawn(executor_,
                        run_work(shared_from_this(), entry, std::move(request.run),
                                 std::move(request.arguments), std::move(context)),
                        [tool](const std::exception_ptr& error) {
                          if (!error) return;
                          try {
                            std::rethrow_exception(error);
                          } catch (const std::exception& e) {
                            spdlog::error("mcp: task of tool '{}' ended abnormally: {}", tool,
                                          e.what());
                          } catch (...) {
                            spdlog::error("mcp: task of tool '{}' ended abnormally", tool);
                          }
                        });
  co_return created;
}

boost::asio::awaitable<void> InMemoryTaskStore::run_work(std::shared_ptr<InMemoryTaskStore> self,
                                                         EntryPtr entry, TaskWork work,
                                                         Json arguments, ToolContext context) {
  TaskOutcome outcome;
  try {
    outcome = co_await work(std::move(arguments), std::move(context));
  } catch (const std::exception& e) {
    spdlog::error("mcp: task {} failed: {}", entry->task.id, e.what());
    outcome = tl::unexpected(TaskError{kInternalError, "Internal error", nullptr});
  } catch (...) {
    spdlog::error("mcp: task {} failed with a non-standard exception", entry->task.id);
    outcome = tl::unexpected(TaskError{kInternalError, "Internal error", nullptr});
  }
  self->finish(entry, std::move(outcome));
}

void InMemoryTaskStore::finish(const EntryPtr& entry, TaskOutcome outcome) {
  Effects effects;
  {
    std::lock_guard lock(mutex_);
    // A cancelled or expired task keeps what it is: its work finishing late changes nothing.
    if (entry->removed || is_terminal(entry->task.status)) return;
    Task& task = entry->task;
    if (outcome) {
      task.status = outcome->is_error ? TaskStatus::kFailed : TaskStatus::kCompleted;
      task.status_message = outcome->is_error ? outcome->first_text() : std::string();
      task.result = std::move(*outcome);
    } else {
      task.status = TaskStatus::kFailed;
      task.status_message = outcome.error().message;
      task.error = std::move(outcome.error());
    }
    entry->pending.clear();
    touch_locked(*entry, effects);
    effects.latches.push_back(entry->final_latch);
  }
  effects.run();
}

boost::asio::awaitable<Result<Json>> InMemoryTaskStore::request_input_weak(
    std::weak_ptr<InMemoryTaskStore> weak_self, std::weak_ptr<Entry> weak_entry, Json requests) {
  auto self = weak_self.lock();
  auto entry = weak_entry.lock();
  if (!self || !entry) co_return fail(ErrorCode::kCancelled, "the task is gone");
  Result<Json> answers =
      co_await request_input(std::move(self), std::move(entry), std::move(requests));
  co_return answers;
}

boost::asio::awaitable<Result<Json>> InMemoryTaskStore::request_input(
    std::shared_ptr<InMemoryTaskStore> self, EntryPtr entry, Json requests) {
  if (auto valid = check_input_requests(requests); !valid) co_return tl::unexpected(valid.error());
  Effects effects;
  std::shared_ptr<AsyncLatch> latch;
  {
    std::lock_guard lock(self->mutex_);
    if (entry->removed || is_terminal(entry->task.status)) {
      co_return fail(ErrorCode::kCancelled, "the task is no longer running");
    }
    if (!entry->pending.empty()) {
      co_return fail(ErrorCode::kFailedPrecondition,
                     "the task is already waiting for input; ask for everything at once");
    }
    for (auto& [name, request] : requests.items()) {
      std::string key = name + "-" + std::to_string(entry->next_input++);
      entry->pending.emplace(std::move(key), Entry::Pending{name, std::move(request), {}});
    }
    entry->task.status = TaskStatus::kInputRequired;
    entry->task.status_message = "Waiting for the client's input";
    latch = AsyncLatch::create();
    entry->input_latch = latch;
    self->touch_locked(*entry, effects);
  }
  effects.run();

  const CancellationToken cancelled = entry->source.token();
  const bool answered = co_await latch->wait(cancelled);

  std::lock_guard lock(self->mutex_);
  entry->input_latch.reset();
  if (!answered || entry->removed || is_terminal(entry->task.status)) {
    entry->pending.clear();
    co_return fail(ErrorCode::kCancelled, "the task was cancelled while waiting for input");
  }
  Json answers = Json::object();
  for (auto& [key, pending] : entry->pending) {
    answers[pending.name] = pending.answer ? std::move(*pending.answer) : Json(nullptr);
  }
  entry->pending.clear();
  co_return answers;
}

boost::asio::awaitable<Result<Task>> InMemoryTaskStore::get(TaskOwner owner, std::string id) {
  Effects effects;
  Result<Task> out = fail(ErrorCode::kNotFound, "Task not found: " + id);
  {
    std::lock_guard lock(mutex_);
    sweep_locked(effects);
    if (const auto entry = find_locked(owner, id)) out = snapshot_locked(*entry);
  }
  effects.run();
  co_return out;
}

boost::asio::awaitable<Result<Task>> InMemoryTaskStore::result(TaskOwner owner, std::string id,
                                                               CancellationToken cancel) {
  for (;;) {
    Effects effects;
    std::shared_ptr<AsyncLatch> latch;
    Result<Task> out = fail(ErrorCode::kNotFound, "Task not found: " + id);
    {
      std::lock_guard lock(mutex_);
      sweep_locked(effects);
      if (const auto entry = find_locked(owner, id)) {
        if (is_terminal(entry->task.status)) {
          out = snapshot_locked(*entry);
        } else {
          latch = entry->final_latch;
        }
      }
    }
    effects.run();
    if (!latch) co_return out;
    // The latch opens when the task ends or is dropped; either way look again.
    const bool opened = co_await latch->wait(cancel);
    if (!opened) {
      co_return fail(ErrorCode::kCancelled, "stopped waiting for task " + id);
    }
  }
}

boost::asio::awaitable<Result<TaskPage>> InMemoryTaskStore::list(TaskOwner owner,
                                                                 std::string cursor,
                                                                 std::size_t limit) {
  std::uint64_t after = 0;
  if (!cursor.empty()) {
    const auto decoded = decode_cursor(kCursorList, cursor);
    if (!decoded) co_return fail(ErrorCode::kInvalidArgument, "Invalid cursor");
    after = *decoded;
  }
  Effects effects;
  TaskPage page;
  {
    std::lock_guard lock(mutex_);
    sweep_locked(effects);
    std::uint64_t last = 0;
    for (auto it = by_seq_.upper_bound(after); it != by_seq_.end(); ++it) {
      const Entry& entry = *it->second;
      if (entry.owner.caller != owner.caller || entry.owner.session_id != owner.session_id) {
        continue;
      }
      if (limit != 0 && page.tasks.size() == limit) {
        page.next_cursor = encode_cursor(kCursorList, last);
        break;
      }
      page.tasks.push_back(snapshot_locked(entry));
      last = entry.seq;
    }
  }
  effects.run();
  co_return page;
}

boost::asio::awaitable<Result<Task>> InMemoryTaskStore::cancel(TaskOwner owner, std::string id) {
  Effects effects;
  Result<Task> out = fail(ErrorCode::kNotFound, "Task not found: " + id);
  {
    std::lock_guard lock(mutex_);
    sweep_locked(effects);
    if (const auto entry = find_locked(owner, id)) {
      Task& task = entry->task;
      if (is_terminal(task.status)) {
        out = fail(ErrorCode::kFailedPrecondition,
                   "Cannot cancel task: already in terminal status '" +
                       std::string(to_string(task.status)) + "'");
      } else {
        task.status = TaskStatus::kCancelled;
        task.status_message = "The task was cancelled by request.";
        entry->pending.clear();
        touch_locked(*entry, effects);
        effects.cancels.emplace_back(entry->source, "cancelled by tasks/cancel");
        effects.latches.push_back(entry->final_latch);
        out = snapshot_locked(*entry);
      }
    }
  }
  effects.run();
  co_return out;
}

boost::asio::awaitable<Result<Task>> InMemoryTaskStore::update(TaskOwner owner, std::string id,
                                                               Json responses) {
  if (!responses.is_object()) {
    co_return fail(ErrorCode::kInvalidArgument, "inputResponses must be an object");
  }
  Effects effects;
  Result<Task> out = fail(ErrorCode::kNotFound, "Task not found: " + id);
  {
    std::lock_guard lock(mutex_);
    sweep_locked(effects);
    const auto entry = find_locked(owner, id);
    if (entry && entry->task.status == TaskStatus::kInputRequired) {
      for (auto& [key, answer] : responses.items()) {
        const auto pending = entry->pending.find(key);
        if (pending == entry->pending.end() || pending->second.answer) continue;
        if (!answer.is_object()) {
          co_return fail(ErrorCode::kInvalidArgument,
                         "the answer to input request '" + key + "' must be an object");
        }
        pending->second.answer = std::move(answer);
      }
      const bool complete = std::all_of(entry->pending.begin(), entry->pending.end(),
                                        [](const auto& p) { return p.second.answer.has_value(); });
      if (complete) {
        // Back to work at once, so no poll sees input_required with nothing left to answer.
        entry->task.status = TaskStatus::kWorking;
        entry->task.status_message.clear();
        touch_locked(*entry, effects);
        if (entry->input_latch) effects.latches.push_back(entry->input_latch);
      }
    }
    if (entry) out = snapshot_locked(*entry);
  }
  effects.run();
  co_return out;
}

void InMemoryTaskStore::cancel_all(const std::string& reason) {
  Effects effects;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [seq, entry] : by_seq_) {
      if (is_terminal(entry->task.status)) continue;
      entry->task.status = TaskStatus::kCancelled;
      entry->task.status_message = reason;
      entry->pending.clear();
      touch_locked(*entry, effects);
      effects.cancels.emplace_back(entry->source, reason);
      effects.latches.push_back(entry->final_latch);
    }
  }
  effects.run();
}

std::size_t InMemoryTaskStore::size() const {
  std::lock_guard lock(mutex_);
  return by_id_.size();
}

void InMemoryTaskStore::sweep_locked(Effects& effects) {
  const auto now = clock_.now();
  std::vector<EntryPtr> expired;
  for (const auto& [seq, entry] : by_seq_) {
    if (now >= entry->expires_at) expired.push_back(entry);
  }
  for (const auto& entry : expired) {
    if (!is_terminal(entry->task.status)) {
      effects.cancels.emplace_back(entry->source, "the task's ttl elapsed");
    }
    remove_locked(entry, effects);
  }
}

void InMemoryTaskStore::remove_locked(const EntryPtr& entry, Effects& effects) {
  entry->removed = true;
  entry->pending.clear();
  // Whoever waits on it looks again and finds nothing.
  effects.latches.push_back(entry->final_latch);
  by_id_.erase(entry->task.id);
  by_seq_.erase(entry->seq);
}

InMemoryTaskStore::EntryPtr InMemoryTaskStore::find_locked(const TaskOwner& owner,
                                                           const std::string& id) const {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  const Entry& entry = *it->second;
  if (entry.owner.caller != owner.caller || entry.owner.session_id != owner.session_id) {
    return nullptr;
  }
  return it->second;
}

Task InMemoryTaskStore::snapshot_locked(const Entry& entry) const {
  Task task = entry.task;
  task.input_requests = Json::object();
  for (const auto& [key, pending] : entry.pending) {
    if (!pending.answer) task.input_requests[key] = pending.request;
  }
  return task;
}

void InMemoryTaskStore::touch_locked(Entry& entry, Effects& effects) {
  entry.task.updated_at_ms = clock_.unix_millis();
  if (entry.on_status) effects.notices.emplace_back(entry.on_status, snapshot_locked(entry));
}

}  // namespace shield::mcp
