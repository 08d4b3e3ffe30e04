#pragma once
// What a tool is, and what its handler gets. A tool is one file that fills a ToolDefinition
// and one registration line (ToolRegistry::add). Tools know nothing of HTTP or sessions.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "shield/util/cancellation.hpp"
#include "shield/util/error.hpp"

namespace shield::mcp {

using Json = nlohmann::json;

class TaskStore;

// Levels of notifications/message, in RFC 5424 order (debug lowest).
enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical, kAlert, kEmergency };

// Everything a handler may use besides its arguments.
// Threading: all members are safe to call from any thread.
struct ToolContext {
  CancellationToken cancel;  // tripped by notifications/cancelled, a closed stream, shutdown
  // Sends notifications/progress when the caller passed a progressToken; otherwise a no-op.
  std::function<void(double progress, std::optional<double> total, const std::string& message)>
      progress;
  // Sends notifications/message to the caller when `level` passes the session's setLevel.
  std::function<void(LogLevel level, const std::string& logger, const Json& data)> log;
  std::string caller;            // authenticated principal ("anonymous" without auth)
  std::string protocol_version;  // negotiated revision, e.g. "2025-11-25"
  // What the client declared: the session's (initialize) or, on 2026-07-28, this request's.
  Json client_capabilities = Json::object();
  std::string request_id;  // for log correlation only
  boost::asio::any_io_executor executor;
  // Asks the client for input mid-call: `requests` maps names to server-to-client requests
  // ({"method": "elicitation/create", "params": {...}}), all outstanding at once; resolves to
  // the client's answers under the same names. Only a task whose client can answer (2026-07-28
  // tasks/update) gets them; anywhere else it fails at once with kFailedPrecondition, and a
  // cancelled task fails it with kCancelled.
  std::function<boost::asio::awaitable<Result<Json>>(Json requests)> request_input;
};

// A tools/call outcome. Bad input and backend trouble are results with is_error, not
// protocol errors (the model reads them and can correct itself).
struct ToolResult {
  Json content = Json::array();
  std::optional<Json> structured;  // structuredContent; checked against outputSchema
  bool is_error = false;

  static ToolResult text(std::string text);
  // isError result with structuredContent.error = {code, message, ...details}.
  static ToolResult error(std::string code, std::string message, Json details = Json::object());
  // The first text block's text ("" when there is none): a task's status message.
  [[nodiscard]] std::string first_text() const;
};

using ToolHandler =
    std::function<boost::asio::awaitable<ToolResult>(Json arguments, ToolContext context)>;
// Starts a task's work outside the process's memory (a durable job) and resolves to its id,
// which becomes the task id; the tool's task_store then tracks it.
using TaskStarter =
    std::function<boost::asio::awaitable<Result<std::string>>(Json arguments, ToolContext context)>;

// execution.taskSupport: whether tools/call may (or must) run the tool as a task.
enum class TaskSupport { kForbidden, kOptional, kRequired };

struct ToolDefinition {
  std::string name;
  std::string title;
  std::string description;
  Json input_schema;  // JSON Schema (2020-12 dialect by default)
  std::optional<Json> output_schema;
  Json annotations =
      Json::object();  // readOnlyHint, destructiveHint, idempotentHint, openWorldHint
  // {"taskSupport": "optional" | "required"} lets clients run the tool as a task (absent or
  // "forbidden": never). Tasks of a tool without task_store run its handler in the engine's
  // in-memory store.
  Json execution = Json::object();
  Json meta = Json::object();  // _meta on the tool listing
  // Client capabilities the tool cannot work without, e.g. {"sampling": {}}. A caller that
  // did not declare them gets -32021 on 2026-07-28 and an isError result on older revisions,
  // and the handler never runs.
  Json required_client_capabilities = Json::object();
  ToolHandler handler;  // the direct call (and the task's work in the in-memory store)
  // Where this tool's tasks live, when not in the engine's in-memory store (e.g. the daemon's
  // jobs-backed store). Such a store starts the work with task_starter instead of handler.
  std::shared_ptr<TaskStore> task_store;
  TaskStarter task_starter;
};

// The tool's execution.taskSupport (kForbidden when absent or unknown).
[[nodiscard]] TaskSupport task_support(const ToolDefinition& tool);

}  // namespace shield::mcp
