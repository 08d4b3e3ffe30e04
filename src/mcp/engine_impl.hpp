#pragma once
// Engine internals shared by the engine's source files: one request's parsed state, the
// error-or-result type of a method, and the state of a request answered asynchronously.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <tl/expected.hpp>

#include "shield/mcp/engine.hpp"
#include "shield/mcp/task_store.hpp"

namespace shield::mcp {

struct RpcError {
  int code = 0;
  std::string message;
  Json data = nullptr;
};

// What a method produces: the `result` object, or a JSON-RPC error.
using Outcome = tl::expected<Json, RpcError>;

inline tl::unexpected<RpcError> rpc_error(int code, std::string message, Json data = nullptr) {
  return tl::unexpected<RpcError>(RpcError{code, std::move(message), std::move(data)});
}

// One request as the engine sees it once the envelope has been checked.
struct Call {
  Json id;
  std::string key;  // request_key(id)
  std::string method;
  Json params;         // always an object
  Json meta;           // params._meta, or an empty object
  RequestScope scope;  // session may be set even for a stateless call (stdio)
  std::string version;
  bool stateless = false;
  // Stateless calls: the level asked for in `_meta`; none means no notifications/message.
  std::optional<LogLevel> stateless_log_level;
};

// A request answered later, from a coroutine. Exactly one of respond()/cancelled() reaches
// the channel: whichever of completion and cancellation comes first claims `answered`.
struct AsyncCall {
  std::shared_ptr<const Call> call;
  CancellationSource source;
  std::atomic<bool> answered{false};
  std::size_t transport_hook = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string tool;  // tools/call only: the metrics label
};

// What running a tool produces: its answer, or a protocol-level error (a broken promise).
using ToolOutcome = tl::expected<ToolResult, RpcError>;

struct Engine::Impl : std::enable_shared_from_this<Engine::Impl> {
  Impl(EngineOptions opts, Registry& reg, SessionStore& store, boost::asio::any_io_executor exec,
       metrics::Metrics* m, std::shared_ptr<TaskStore> task_store)
      : options(std::move(opts)),
        registry(reg),
        sessions(store),
        executor(std::move(exec)),
        metrics(m),
        tasks(std::move(task_store)) {}

  EngineOptions options;
  Registry& registry;
  SessionStore& sessions;
  boost::asio::any_io_executor executor;
  metrics::Metrics* metrics;
  std::shared_ptr<TaskStore> tasks;  // tasks of tools without a store of their own

  // Envelope and routing (engine.cpp).
  void handle_request(Json message, Json id, RequestScope scope);
  void handle_notification(const Json& message, const RequestScope& scope);
  std::optional<RpcError> check_stateless_meta(Call& call) const;
  void dispatch(const std::shared_ptr<Call>& call);
  void answer(const Call& call, Outcome outcome) const;
  // The final `result`: stateless calls get resultType, cache hints on cacheable methods
  // and serverInfo in _meta; legacy results go out untouched.
  Json finish_result(const Call& call, Json result) const;
  // Stateless servers advertise no subscribe/listChanged: we do not serve
  // subscriptions/listen, and advertising them while answering it -32601 is a contradiction.
  Json capabilities(const std::string& version, bool stateless) const;
  Json server_info(const std::string& version) const;

  // Methods answered at once (engine.cpp).
  Outcome initialize(const Call& call) const;
  Outcome discover(const Call& call) const;
  Outcome set_level(const Call& call) const;
  Outcome list_tools(const Call& call) const;
  Outcome list_resources(const Call& call) const;
  Outcome list_resource_templates(const Call& call) const;
  Outcome list_prompts(const Call& call) const;
  Outcome subscribe(const Call& call, bool on) const;

  // Methods answered from a coroutine (tool_call.cpp, catalog_calls.cpp).
  void start_async(const std::shared_ptr<Call>& call, std::string tool_label,
                   boost::asio::awaitable<Outcome> (Impl::*work)(std::shared_ptr<AsyncCall>));
  static boost::asio::awaitable<void> drive(std::shared_ptr<const Impl> engine,
                                            std::shared_ptr<AsyncCall> state,
                                            boost::asio::awaitable<Outcome> work);
  void complete(const std::shared_ptr<AsyncCall>& state, Outcome outcome) const;
  void on_cancelled(const std::shared_ptr<AsyncCall>& state) const;
  boost::asio::awaitable<Outcome> call_tool(std::shared_ptr<AsyncCall> state);
  // The handler with the engine's guarantees: exceptions become isError results, and a
  // result that breaks the tool's outputSchema becomes -32603.
  boost::asio::awaitable<ToolOutcome> run_tool(const ToolDefinition& tool,
                                               const Registry::ToolSchemas& schemas, Json arguments,
                                               ToolContext context, std::string request_key) const;
  boost::asio::awaitable<Outcome> read_resource(std::shared_ptr<AsyncCall> state);
  boost::asio::awaitable<Outcome> get_prompt(std::shared_ptr<AsyncCall> state);
  boost::asio::awaitable<Outcome> complete_argument(std::shared_ptr<AsyncCall> state);
  Json tool_result_json(const Call& call, ToolResult result) const;
  // The caller's mistake in a tools/call: an isError result the model can read, or, when
  // `as_error` (the client waits for a CreateTaskResult), -32602 carrying the same error.
  Outcome refuse(const Call& call, bool as_error, ToolResult failure) const;

  // Tasks (task_calls.cpp).
  // Some tool can run as a task, so the task methods and capability are offered.
  bool offers_tasks() const;
  // Every store a task may live in: the engine's own first, then the tools' (each once).
  std::vector<std::shared_ptr<TaskStore>> task_stores() const;
  static TaskOwner task_owner(const Call& call);
  // The tools/call half: starts `tool` as a task in its store and answers CreateTaskResult.
  boost::asio::awaitable<Outcome> start_task(const Call& call, const ToolDefinition& tool,
                                             Json arguments, ToolContext context,
                                             std::optional<std::int64_t> requested_ttl_ms);
  // What the in-memory store runs for a task: the tool, as run_tool runs it.
  static boost::asio::awaitable<TaskOutcome> run_task_work(std::shared_ptr<const Impl> self,
                                                           std::string name, Json arguments,
                                                           ToolContext context);
  // tasks/get, tasks/result, tasks/list, tasks/cancel and tasks/update.
  boost::asio::awaitable<Outcome> task_method(std::shared_ptr<AsyncCall> state);
  // The Task object on the wire of `call`; `detailed` adds 2026-07-28's inlined result,
  // error and inputRequests (tasks/get).
  Json task_json(const Call& call, const Task& task, bool detailed) const;
};

// Shared helpers.
// The parts of `required` (a capabilities object) missing from `declared`, or null if none.
Json missing_capabilities(const Json& required, const Json& declared);
const char* log_level_name(LogLevel level);
std::optional<LogLevel> parse_log_level(const Json& name);
// Optional string fields (title, description, mimeType) are left out rather than sent empty.
void put_if_not_empty(Json& object, const char* key, const std::string& value);
// The id of the 2026-07-28 tasks extension, as capabilities and _meta name it.
inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";
// The client capabilities a call declared: `_meta`'s on 2026-07-28, the session's before.
Json declared_client_capabilities(const Call& call);
// A 2026-07-28 call declared the tasks extension in its clientCapabilities.
bool declares_tasks_extension(const Call& call);

}  // namespace shield::mcp
