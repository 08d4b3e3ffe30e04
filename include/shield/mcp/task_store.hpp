#pragma once
// Tasks: tool calls the client polls instead of waiting on. The engine speaks both wires
// (MCP 2025-11-25 `tasks`, and the 2026-07-28 extension io.modelcontextprotocol/tasks); a
// TaskStore keeps the tasks and runs or tracks their work. Two stores exist: the in-memory
// one (mcp/in_memory_task_store.hpp) runs a tool's handler in the background, and the
// daemon's jobs-backed one (app/job_task_store.hpp) makes every job a task.
//
// One model serves both wires. A task that ended without success is kFailed either with a
// `result` (the tool ran and answered isError: 2025-11-25 shows `failed`, 2026-07-28 shows
// `completed` with result.isError) or with an `error` (a protocol-level failure: `failed` on
// both). The engine does that translation; stores never think about wire revisions.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <tl/expected.hpp>

#include "shield/mcp/tool.hpp"
#include "shield/util/cancellation.hpp"
#include "shield/util/error.hpp"

namespace shield::mcp {

// working → input_required ⇄ working → completed | failed | cancelled (the last three are
// terminal: nothing changes a task after them).
enum class TaskStatus { kWorking, kInputRequired, kCompleted, kFailed, kCancelled };

// "working", "input_required", "completed", "failed", "cancelled".
[[nodiscard]] std::string_view to_string(TaskStatus status) noexcept;
[[nodiscard]] bool is_terminal(TaskStatus status) noexcept;

// Who may see a task. Stores bind a task to the principal that created it and may also bind
// it to the session it was created in (each store says which); a task bound to someone else
// is reported exactly like one that never existed.
struct TaskOwner {
  std::string caller;      // authenticated principal ("anonymous" without auth)
  std::string session_id;  // empty outside a legacy session (2026-07-28 is stateless)
};

// A protocol-level failure of the work: the JSON-RPC error tools/call would have answered.
struct TaskError {
  int code = 0;
  std::string message;
  Json data = nullptr;
};

// A task as a store reports it: a snapshot, copied freely.
struct Task {
  std::string id;  // unguessable: it is the only handle a client needs
  TaskStatus status = TaskStatus::kWorking;
  std::string status_message;      // optional, for people
  std::int64_t created_at_ms = 0;  // Unix epoch milliseconds
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> ttl_ms;  // retention from creation; nullopt means unlimited
  std::optional<std::int64_t> poll_interval_ms;
  // kInputRequired: the outstanding server-to-client requests by key, each
  // {"method": "elicitation/create", "params": {...}}; an empty object otherwise.
  Json input_requests = Json::object();
  // kCompleted: the tool's answer. kFailed: either the tool's isError answer or `error`.
  std::optional<ToolResult> result;
  std::optional<TaskError> error;
};

// What running a tool in-process produces: its answer, or a protocol-level failure.
using TaskOutcome = tl::expected<ToolResult, TaskError>;
// Runs a tool as the engine would for a direct call (handler, output checks); the store
// provides the context's cancellation and input hooks.
using TaskWork =
    std::function<boost::asio::awaitable<TaskOutcome>(Json arguments, ToolContext context)>;

// Everything a store needs to start one task.
struct TaskRequest {
  TaskOwner owner;
  std::string tool;  // the tool's name, for logs
  Json arguments = Json::object();
  // As for a direct call. Stores that run the work replace `cancel` with the task's own
  // token and `request_input` with their input hook.
  ToolContext context;
  std::optional<std::int64_t> requested_ttl_ms;  // the client's wish (2025-11-25 task.ttl)
  // The client can answer input requests (2026-07-28 tasks/update). Without it a handler's
  // request_input fails at once.
  bool client_input = false;
  TaskWork run;  // for stores that run tools themselves
  // For stores backed by a job system: ToolDefinition::task_starter of the tool.
  TaskStarter start;
  // Told about every status change of this task (may be empty). Called from any thread,
  // outside the store's locks; must not block.
  std::function<void(const Task&)> on_status;
};

struct TaskPage {
  std::vector<Task> tasks;
  std::string next_cursor;  // empty on the last page
};

// Threading: every method may be called from any thread concurrently.
// Errors (Result values): kNotFound for an unknown, expired or someone else's task (never
// told apart); kInvalidArgument for a malformed cursor or input answer; kFailedPrecondition
// from cancel() for a task that was already terminal; kResourceExhausted when the store is
// full (the message says what to do); others as the backing system reports them.
class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // Starts the work and resolves once get() would find the task (never earlier), with the
  // task as it is right after creation.
  virtual boost::asio::awaitable<Result<Task>> create(TaskRequest request) = 0;
  virtual boost::asio::awaitable<Result<Task>> get(TaskOwner owner, std::string id) = 0;
  // Waits until the task is terminal and returns it with its result or error. `cancel`
  // ends the wait early with kCancelled.
  virtual boost::asio::awaitable<Result<Task>> result(TaskOwner owner, std::string id,
                                                      CancellationToken cancel) = 0;
  // One page of the owner's tasks in creation order, `limit` at most (0: no limit). `cursor`
  // is empty for the first page, else a next_cursor this store returned.
  virtual boost::asio::awaitable<Result<TaskPage>> list(TaskOwner owner, std::string cursor,
                                                        std::size_t limit) = 0;
  // Stops the work: the task is cancelled from now on, whatever its work does later.
  virtual boost::asio::awaitable<Result<Task>> cancel(TaskOwner owner, std::string id) = 0;
  // Delivers the client's answers to outstanding input requests ({key: answer}). Keys that
  // are not outstanding are ignored, as is an update of a task that asks for nothing.
  virtual boost::asio::awaitable<Result<Task>> update(TaskOwner owner, std::string id,
                                                      Json responses) = 0;
};

// RFC 3339 UTC with milliseconds ("2025-11-25T10:30:00.123Z"): the wire's timestamps.
[[nodiscard]] std::string format_task_time(std::int64_t unix_ms);

}  // namespace shield::mcp
