// Requests answered from a coroutine (tools/call above all): tracking for cancellation,
// the exactly-once answer, and the tools/call pipeline (validate, run, check, shape).
#include <exception>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>

#include "engine_impl.hpp"
#include "shield/mcp/json_rpc.hpp"
#include "shield/mcp/protocol_version.hpp"
#include "shield/metrics/metrics.hpp"

namespace shield::mcp {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

boost::asio::awaitable<void> Engine::Impl::drive(std::shared_ptr<const Impl> engine,
                                                 std::shared_ptr<AsyncCall> state,
                                                 boost::asio::awaitable<Outcome> work) {
  Outcome outcome;
  try {
    outcome = co_await std::move(work);
  } catch (const std::exception& e) {
    spdlog::error("mcp: {} (id {}) failed: {}", state->call->method, state->call->key, e.what());
    outcome = rpc_error(kInternalError, "Internal error");
  } catch (...) {
    spdlog::error("mcp: {} (id {}) failed with a non-standard exception", state->call->method,
                  state->call->key);
    outcome = rpc_error(kInternalError, "Internal error");
  }
  engine->complete(state, std::move(outcome));
}

void Engine::Impl::start_async(
    const std::shared_ptr<Call>& call, std::string tool_label,
    boost::asio::awaitable<Outcome> (Impl::*work)(std::shared_ptr<AsyncCall>)) {
  auto state = std::make_shared<AsyncCall>();
  state->call = call;
  state->tool = std::move(tool_label);

  const auto& session = call->scope.session;
  if (session && !session->track_request(call->key, state->source)) {
    answer(*call, rpc_error(kInvalidRequest,
                            "Invalid Request: a request with id " + call->key + " is in flight"));
    return;
  }
  // Whoever trips the source (notifications/cancelled, a closed stream, shutdown) ends the
  // request without an answer; the handler sees the same token and stops when it can.
  std::weak_ptr<AsyncCall> weak = state;
  std::weak_ptr<const Impl> self = shared_from_this();
  state->source.token().on_cancel([weak, self] {
    const auto s = weak.lock();
    const auto engine = self.lock();
    if (s && engine) engine->on_cancelled(s);
  });
  CancellationSource source = state->source;
  state->transport_hook = call->scope.transport_cancel.on_cancel(
      [source]() mutable { source.cancel("stream closed"); });
  if (state->source.cancelled()) {
    if (session) session->finish_request(call->key);
    return;
  }

  boost::asio::co_spawn(executor, drive(shared_from_this(), state, (this->*work)(state)),
                        [](const std::exception_ptr& error) {
                          if (!error) return;
                          try {
                            std::rethrow_exception(error);
                          } catch (const std::exception& e) {
                            spdlog::error("mcp: request coroutine ended abnormally: {}", e.what());
                          } catch (...) {
                            spdlog::error("mcp: request coroutine ended abnormally");
                          }
                        });
}

void Engine::Impl::complete(const std::shared_ptr<AsyncCall>& state, Outcome outcome) const {
  const Call& call = *state->call;
  if (call.scope.session) call.scope.session->finish_request(call.key);
  call.scope.transport_cancel.forget(state->transport_hook);
  if (state->answered.exchange(true)) return;
  if (metrics != nullptr && !state->tool.empty()) {
    const bool failed = !outcome || outcome->value("isError", false);
    metrics->record_tool_call(state->tool, failed ? "error" : "ok", seconds_since(state->started));
  }
  answer(call, std::move(outcome));
}

void Engine::Impl::on_cancelled(const std::shared_ptr<AsyncCall>& state) const {
  if (state->answered.exchange(true)) return;
  if (metrics != nullptr && !state->tool.empty()) {
    metrics->record_tool_call(state->tool, "cancelled", seconds_since(state->started));
  }
  if (state->call->scope.channel) state->call->scope.channel->cancelled();
}

Json declared_client_capabilities(const Call& call) {
  if (call.stateless) {
    return call.meta.value("io.modelcontextprotocol/clientCapabilities", Json::object());
  }
  return call.scope.session ? call.scope.session->client_capabilities() : Json::object();
}

bool declares_tasks_extension(const Call& call) {
  if (!call.stateless) return false;
  const Json capabilities = declared_client_capabilities(call);
  const auto extensions = capabilities.find("extensions");
  if (extensions == capabilities.end() || !extensions->is_object()) return false;
  const auto tasks = extensions->find(kTasksExtension);
  return tasks != extensions->end() && !tasks->is_null();
}

boost::asio::awaitable<Outcome> Engine::Impl::call_tool(std::shared_ptr<AsyncCall> state) {
  const Call& call = *state->call;
  const std::string name = call.params.at("name").get<std::string>();
  const ToolDefinition* tool = registry.find_tool(name);
  const Registry::ToolSchemas* schemas = registry.tool_schemas(name);
  if (tool == nullptr || schemas == nullptr)
    co_return rpc_error(kInvalidParams, "Unknown tool: " + name);

  // Whether this call runs as a task.
  const TaskSupport support = task_support(*tool);
  bool as_task = false;
  std::optional<std::int64_t> requested_ttl_ms;
  if (call.stateless) {
    // Server-directed (2026-07-28 extension): a task whenever the tool can be one and the
    // request declares the extension; a 2025-11-25 params.task hint is ignored.
    if (support != TaskSupport::kForbidden && declares_tasks_extension(call)) {
      as_task = true;
    } else if (support == TaskSupport::kRequired) {
      co_return rpc_error(
          kMissingRequiredClientCapability,
          "Missing required client capability: tool '" + name + "' runs only as a task (" +
              kTasksExtension + ")",
          Json{{"requiredCapabilities", {{"extensions", {{kTasksExtension, Json::object()}}}}}});
    }
  } else if (has_tool_execution(call.version) && offers_tasks()) {
    if (const auto task = call.params.find("task"); task != call.params.end()) {
      if (!task->is_object())
        co_return rpc_error(kInvalidParams, "Invalid params: task must be an object");
      if (const auto ttl = task->find("ttl"); ttl != task->end() && !ttl->is_null()) {
        if (!ttl->is_number_integer()) {
          co_return rpc_error(kInvalidParams,
                              "Invalid params: task.ttl must be an integer (milliseconds)");
        }
        requested_ttl_ms = ttl->get<std::int64_t>();
      }
      as_task = true;
    }
    if (as_task && support == TaskSupport::kForbidden) {
      co_return rpc_error(kMethodNotFound, "Method not found: tool '" + name +
                                               "' does not run as a task (execution.taskSupport)");
    }
    if (!as_task && support == TaskSupport::kRequired) {
      co_return rpc_error(kMethodNotFound, "Method not found: tool '" + name +
                                               "' runs only as a task (params.task)");
    }
  }
  // A 2025-11-25 task request waits for a CreateTaskResult, which an isError result is not:
  // its caller's mistakes come back as -32602 instead.
  const bool refuse_as_error = as_task && !call.stateless;

  const Json client_capabilities = declared_client_capabilities(call);
  if (Json missing = missing_capabilities(tool->required_client_capabilities, client_capabilities);
      !missing.is_null()) {
    std::string names;
    for (const auto& [capability, unused] : missing.items()) {
      (void)unused;
      if (!names.empty()) names += ", ";
      names += capability;
    }
    if (call.stateless) {
      co_return rpc_error(kMissingRequiredClientCapability,
                          "Missing required client capability: " + names,
                          Json{{"requiredCapabilities", std::move(missing)}});
    }
    ToolResult failure = ToolResult::error("missing_client_capability",
                                           "Tool '" + name + "' needs the client capability " +
                                               names + ", which this client did not declare",
                                           Json{{"requiredCapabilities", std::move(missing)}});
    co_return refuse(call, refuse_as_error, std::move(failure));
  }

  Json arguments = call.params.value("arguments", Json::object());
  if (arguments.is_null()) arguments = Json::object();
  if (const auto violation = schemas->input->validate(arguments)) {
    ToolResult failure =
        ToolResult::error("invalid_arguments",
                          "Invalid arguments for tool '" + name + "': " + violation->to_string());
    co_return refuse(call, refuse_as_error, std::move(failure));
  }

  ToolContext context;
  context.cancel = state->source.token();
  context.caller = call.scope.caller;
  context.protocol_version = call.version;
  context.client_capabilities = client_capabilities;
  context.request_id = call.id.is_string() ? call.id.get<std::string>() : call.key;
  context.executor = executor;
  context.request_input = [](Json) -> boost::asio::awaitable<Result<Json>> {
    co_return fail(ErrorCode::kFailedPrecondition,
                   "client input is only available to a task whose client can answer it");
  };

  const auto token = call.meta.find("progressToken");
  const bool has_token = token != call.meta.end() && (token->is_string() || token->is_number());
  const std::shared_ptr<Session> session = call.stateless ? nullptr : call.scope.session;

  if (as_task) {
    // The request is answered at once, so what the work reports later can only travel on the
    // session's standalone stream; stateless tasks have none and report nothing.
    std::weak_ptr<Session> weak_session = session;
    if (has_token && session) {
      context.progress = [weak_session, progress_token = *token](double progress,
                                                                 std::optional<double> total,
                                                                 const std::string& message) {
        const auto s = weak_session.lock();
        if (!s) return;
        Json params{{"progressToken", progress_token}, {"progress", progress}};
        if (total) params["total"] = *total;
        if (!message.empty()) params["message"] = message;
        s->send_standalone(make_notification("notifications/progress", std::move(params)));
      };
    } else {
      context.progress = [](double, std::optional<double>, const std::string&) {};
    }
    context.log = [weak_session](LogLevel level, const std::string& logger, const Json& data) {
      const auto s = weak_session.lock();
      if (!s || level < s->log_level()) return;
      Json params{{"level", log_level_name(level)}, {"data", data}};
      if (!logger.empty()) params["logger"] = logger;
      s->send_standalone(make_notification("notifications/message", std::move(params)));
    };
    // Awaited into a local first: GCC 12 mishandles `co_return co_await`.
    Outcome started = co_await start_task(call, *tool, std::move(arguments), std::move(context),
                                          requested_ttl_ms);
    co_return started;
  }

  const std::shared_ptr<RequestChannel> channel = call.scope.channel;
  std::weak_ptr<AsyncCall> weak = state;
  if (has_token && channel) {
    context.progress = [weak, channel, progress_token = *token](double progress,
                                                                std::optional<double> total,
                                                                const std::string& message) {
      const auto s = weak.lock();
      if (!s || s->answered.load()) return;
      Json params{{"progressToken", progress_token}, {"progress", progress}};
      if (total) params["total"] = *total;
      if (!message.empty()) params["message"] = message;
      channel->notify(make_notification("notifications/progress", std::move(params)));
    };
  } else {
    context.progress = [](double, std::optional<double>, const std::string&) {};
  }

  const std::optional<LogLevel> stateless_level = call.stateless_log_level;
  const bool stateless = call.stateless;
  context.log = [weak, channel, session, stateless_level, stateless](
                    LogLevel level, const std::string& logger, const Json& data) {
    const auto s = weak.lock();
    if (!s || s->answered.load() || !channel) return;
    // Stateless: no level in _meta means the client did not opt in to log messages.
    const std::optional<LogLevel> threshold =
        stateless ? stateless_level
                  : std::optional<LogLevel>(session ? session->log_level() : LogLevel::kInfo);
    if (!threshold || level < *threshold) return;
    Json params{{"level", log_level_name(level)}, {"data", data}};
    if (!logger.empty()) params["logger"] = logger;
    channel->notify(make_notification("notifications/message", std::move(params)));
  };

  ToolOutcome outcome =
      co_await run_tool(*tool, *schemas, std::move(arguments), std::move(context), call.key);
  if (!outcome) co_return tl::unexpected<RpcError>(std::move(outcome.error()));
  co_return tool_result_json(call, std::move(*outcome));
}

Outcome Engine::Impl::refuse(const Call& call, bool as_error, ToolResult failure) const {
  if (as_error) {
    Json error = failure.structured ? (*failure.structured)["error"] : Json(nullptr);
    std::string message = error.is_object() ? error.value("message", std::string()) : std::string();
    if (message.empty()) message = "Invalid params";
    return rpc_error(kInvalidParams, std::move(message), std::move(error));
  }
  return tool_result_json(call, std::move(failure));
}

boost::asio::awaitable<ToolOutcome> Engine::Impl::run_tool(const ToolDefinition& tool,
                                                           const Registry::ToolSchemas& schemas,
                                                           Json arguments, ToolContext context,
                                                           std::string request_key) const {
  const std::string& name = tool.name;
  ToolResult result;
  try {
    result = co_await tool.handler(std::move(arguments), std::move(context));
  } catch (const std::exception& e) {
    spdlog::error("mcp: tool '{}' (id {}) threw: {}", name, request_key, e.what());
    co_return ToolResult::error("internal_error", "Tool '" + name + "' failed unexpectedly");
  } catch (...) {
    spdlog::error("mcp: tool '{}' (id {}) threw a non-standard exception", name, request_key);
    co_return ToolResult::error("internal_error", "Tool '" + name + "' failed unexpectedly");
  }

  if (schemas.output && !result.is_error) {
    // A result that breaks the tool's own promise is our bug, not the caller's input.
    if (!result.structured) {
      co_return tl::unexpected<RpcError>(RpcError{
          kInternalError,
          "Tool '" + name + "' returned no structuredContent although it declares an outputSchema",
          nullptr});
    }
    if (const auto violation = schemas.output->validate(*result.structured)) {
      spdlog::error("mcp: tool '{}' broke its outputSchema: {}", name, violation->to_string());
      co_return tl::unexpected<RpcError>(RpcError{
          kInternalError,
          "Tool '" + name + "' returned structuredContent that violates its outputSchema: " +
              violation->to_string(),
          nullptr});
    }
  }
  co_return result;
}

Json Engine::Impl::tool_result_json(const Call& call, ToolResult result) const {
  Json content = result.content.is_array() ? std::move(result.content) : Json::array();
  // Clients that read only `content` still get the structured answer, as text.
  if (content.empty() && result.structured) {
    content.push_back(
        Json{{"type", "text"},
             {"text", result.structured->dump(-1, ' ', false, Json::error_handler_t::replace)}});
  }
  Json out{{"content", std::move(content)}};
  if (result.structured && (call.stateless || has_titles_and_structured_output(call.version))) {
    out["structuredContent"] = std::move(*result.structured);
  }
  if (result.is_error) out["isError"] = true;
  return out;
}

}  // namespace shield::mcp
