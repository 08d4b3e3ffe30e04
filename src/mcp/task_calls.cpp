// Tasks on both wires: starting a tool as a task (the tools/call half), the tasks/* methods,
// and the Task object as each revision spells it. The stores keep one model (task_store.hpp);
// everything that differs between 2025-11-25 and the 2026-07-28 extension is decided here.
#include <algorithm>
#include <string>

#include <spdlog/spdlog.h>

#include "engine_impl.hpp"
#include "shield/mcp/cursor.hpp"
#include "shield/mcp/json_rpc.hpp"
#include "shield/mcp/protocol_version.hpp"

namespace shield::mcp {
namespace {

constexpr std::string_view kCursorList = "tasks";
constexpr const char* kRelatedTask = "io.modelcontextprotocol/related-task";

// 2026-07-28 keeps `failed` for protocol errors: a tool that ran and answered isError is
// `completed` there, while 2025-11-25 calls it `failed`.
bool is_tool_error(const Task& task) {
  return task.status == TaskStatus::kFailed && task.result.has_value();
}

std::string wire_status(const Task& task, bool stateless) {
  if (stateless && is_tool_error(task)) return "completed";
  return std::string(to_string(task.status));
}

// The fields every Task object carries (2025-11-25 `Task`, 2026-07-28 `Task` of the
// extension, whose duration fields say their unit).
Json task_fields(const Task& task, bool stateless) {
  Json out{{"taskId", task.id}, {"status", wire_status(task, stateless)}};
  put_if_not_empty(out, "statusMessage", task.status_message);
  out["createdAt"] = format_task_time(task.created_at_ms);
  out["lastUpdatedAt"] = format_task_time(task.updated_at_ms);
  out[stateless ? "ttlMs" : "ttl"] = task.ttl_ms ? Json(*task.ttl_ms) : Json(nullptr);
  if (task.poll_interval_ms)
    out[stateless ? "pollIntervalMs" : "pollInterval"] = *task.poll_interval_ms;
  return out;
}

Json error_json(const TaskError& error) {
  Json out{{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) out["data"] = error.data;
  return out;
}

// A store's error as the JSON-RPC error of a task method.
RpcError task_rpc_error(const Error& error, const std::string& method) {
  switch (error.code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
      return RpcError{kInvalidParams, error.message, nullptr};
    default:
      spdlog::error("mcp: {} failed: {} ({})", method, error.message, to_string(error.code));
      return RpcError{kInternalError, "Internal error", nullptr};
  }
}

}  // namespace

boost::asio::awaitable<TaskOutcome> Engine::Impl::run_task_work(std::shared_ptr<const Impl> self,
                                                                std::string name, Json arguments,
                                                                ToolContext context) {
  const ToolDefinition* tool = self->registry.find_tool(name);
  const Registry::ToolSchemas* schemas = self->registry.tool_schemas(name);
  if (tool == nullptr || schemas == nullptr) {
    co_return tl::unexpected(TaskError{kInternalError, "Unknown tool: " + name, nullptr});
  }
  const std::string key = context.request_id;
  ToolOutcome outcome =
      co_await self->run_tool(*tool, *schemas, std::move(arguments), std::move(context), key);
  if (!outcome) {
    co_return tl::unexpected(TaskError{outcome.error().code, std::move(outcome.error().message),
                                       std::move(outcome.error().data)});
  }
  co_return std::move(*outcome);
}

bool Engine::Impl::offers_tasks() const {
  for (const auto& tool : registry.tools()) {
    if (task_support(tool) != TaskSupport::kForbidden) return true;
  }
  return false;
}

std::vector<std::shared_ptr<TaskStore>> Engine::Impl::task_stores() const {
  std::vector<std::shared_ptr<TaskStore>> stores{tasks};
  for (const auto& tool : registry.tools()) {
    if (tool.task_store &&
        std::find(stores.begin(), stores.end(), tool.task_store) == stores.end()) {
      stores.push_back(tool.task_store);
    }
  }
  return stores;
}

TaskOwner Engine::Impl::task_owner(const Call& call) {
  TaskOwner owner;
  owner.caller = call.scope.caller;
  if (!call.stateless && call.scope.session) owner.session_id = call.scope.session->id();
  return owner;
}

Json Engine::Impl::task_json(const Call& call, const Task& task, bool detailed) const {
  Json out = task_fields(task, call.stateless);
  // Only the extension inlines what a task produced; 2025-11-25 has tasks/result for it.
  if (!detailed || !call.stateless) return out;
  if (task.status == TaskStatus::kInputRequired) out["inputRequests"] = task.input_requests;
  if (task.result && (task.status == TaskStatus::kCompleted || is_tool_error(task))) {
    Json result = tool_result_json(call, *task.result);
    result["resultType"] = "complete";
    out["result"] = std::move(result);
  }
  if (task.status == TaskStatus::kFailed && task.error) out["error"] = error_json(*task.error);
  return out;
}

boost::asio::awaitable<Outcome> Engine::Impl::start_task(
    const Call& call, const ToolDefinition& tool, Json arguments, ToolContext context,
    std::optional<std::int64_t> requested_ttl_ms) {
  TaskRequest request;
  request.owner = task_owner(call);
  request.tool = tool.name;
  request.arguments = std::move(arguments);
  request.context = std::move(context);
  request.requested_ttl_ms = requested_ttl_ms;
  // Only the extension has a way back for answers (tasks/update); 2025-11-25 would need
  // server-to-client requests on the tasks/result stream, which this server does not send.
  request.client_input = call.stateless;
  request.start = tool.task_starter;
  // A plain lambda handing over to a coroutine function: GCC 12 is unreliable with the
  // captures of coroutine lambdas.
  request.run = [self = shared_from_this(), name = tool.name](Json args, ToolContext ctx) {
    return run_task_work(self, name, std::move(args), std::move(ctx));
  };
  // 2025-11-25 lets the server tell the client of status changes; its standalone stream is
  // the only way back once the tools/call is answered.
  if (!call.stateless && call.scope.session) {
    std::weak_ptr<Session> weak_session = call.scope.session;
    request.on_status = [weak_session](const Task& task) {
      if (const auto session = weak_session.lock()) {
        session->send_standalone(
            make_notification("notifications/tasks/status", task_fields(task, false)));
      }
    };
  }

  const std::shared_ptr<TaskStore> store = tool.task_store ? tool.task_store : tasks;
  Result<Task> created = co_await store->create(std::move(request));
  if (!created) {
    const Error& error = created.error();
    if (call.stateless) {
      // The extension lets a server answer with a plain result instead of a task: the model
      // reads why the work could not start, as for any tool failure.
      co_return tool_result_json(call, ToolResult::error(to_string(error.code), error.message));
    }
    const int code = error.code == ErrorCode::kInvalidArgument ? kInvalidParams : kInternalError;
    if (code == kInternalError) {
      spdlog::warn("mcp: tool '{}' could not start a task: {} ({})", tool.name, error.message,
                   to_string(error.code));
    }
    co_return rpc_error(code, "Cannot start a task for tool '" + tool.name + "': " + error.message,
                        Json{{"code", to_string(error.code)}});
  }
  Json fields = task_fields(*created, call.stateless);
  if (!call.stateless) co_return Json{{"task", std::move(fields)}};
  fields["resultType"] = "task";
  co_return fields;
}

boost::asio::awaitable<Outcome> Engine::Impl::task_method(std::shared_ptr<AsyncCall> state) {
  const Call& call = *state->call;
  const std::string& method = call.method;
  if (call.stateless && !declares_tasks_extension(call)) {
    co_return rpc_error(
        kMissingRequiredClientCapability,
        "Missing required client capability: " + method + " needs the " + kTasksExtension +
            " extension in clientCapabilities",
        Json{{"requiredCapabilities", {{"extensions", {{kTasksExtension, Json::object()}}}}}});
  }
  const TaskOwner owner = task_owner(call);
  const std::vector<std::shared_ptr<TaskStore>> stores = task_stores();

  if (method == "tasks/list") {
    std::size_t index = 0;
    std::string inner;
    if (const auto cursor = call.params.find("cursor");
        cursor != call.params.end() && !cursor->is_null()) {
      const auto position = cursor->is_string()
                                ? decode_text_cursor(kCursorList, cursor->get<std::string>())
                                : std::nullopt;
      const auto colon = position ? position->find(':') : std::string::npos;
      if (colon == std::string::npos) co_return rpc_error(kInvalidParams, "Invalid cursor");
      try {
        index = std::stoul(position->substr(0, colon));
      } catch (const std::exception&) {
        co_return rpc_error(kInvalidParams, "Invalid cursor");
      }
      if (index >= stores.size()) co_return rpc_error(kInvalidParams, "Invalid cursor");
      inner = position->substr(colon + 1);
    }
    // One store per page; an empty page moves on to the next store, so a caller never pages
    // through stores that hold nothing of theirs.
    for (;;) {
      Result<TaskPage> page = co_await stores[index]->list(owner, inner, options.page_size);
      if (!page) {
        if (page.error().code == ErrorCode::kInvalidArgument) {
          co_return rpc_error(kInvalidParams, "Invalid cursor");
        }
        co_return tl::unexpected(task_rpc_error(page.error(), method));
      }
      const bool last_store = index + 1 == stores.size();
      if (page->tasks.empty() && page->next_cursor.empty() && !last_store) {
        ++index;
        inner.clear();
        continue;
      }
      Json listed = Json::array();
      for (const auto& task : page->tasks) listed.push_back(task_json(call, task, false));
      Json result{{"tasks", std::move(listed)}};
      if (!page->next_cursor.empty()) {
        result["nextCursor"] =
            encode_text_cursor(kCursorList, std::to_string(index) + ":" + page->next_cursor);
      } else if (!last_store) {
        result["nextCursor"] = encode_text_cursor(kCursorList, std::to_string(index + 1) + ":");
      }
      co_return result;
    }
  }

  const auto task_id = call.params.find("taskId");
  if (task_id == call.params.end() || !task_id->is_string()) {
    co_return rpc_error(kInvalidParams, "Invalid params: taskId is required (a string)");
  }
  const std::string id = task_id->get<std::string>();
  Json responses;
  if (method == "tasks/update") {
    const auto given = call.params.find("inputResponses");
    if (given == call.params.end() || !given->is_object()) {
      co_return rpc_error(kInvalidParams, "Invalid params: inputResponses must be an object");
    }
    responses = *given;
  }

  // The first store that knows the task answers; the others report kNotFound.
  Result<Task> found = fail(ErrorCode::kNotFound, "Task not found: " + id);
  for (const auto& store : stores) {
    if (method == "tasks/get") {
      found = co_await store->get(owner, id);
    } else if (method == "tasks/result") {
      const CancellationToken gave_up = state->source.token();
      found = co_await store->result(owner, id, gave_up);
    } else if (method == "tasks/cancel") {
      found = co_await store->cancel(owner, id);
    } else {
      found = co_await store->update(owner, id, responses);
    }
    if (found || found.error().code != ErrorCode::kNotFound) break;
  }

  if (method == "tasks/cancel" && call.stateless) {
    // The extension's cancel is an acknowledgement only, and idempotent: cancelling a
    // task that already ended is no error there.
    if (found || found.error().code == ErrorCode::kFailedPrecondition) co_return Json::object();
  }
  if (!found) co_return tl::unexpected(task_rpc_error(found.error(), method));

  if (method == "tasks/get") co_return task_json(call, *found, true);
  if (method == "tasks/cancel") co_return task_json(call, *found, false);
  if (method == "tasks/update") co_return Json::object();

  // tasks/result: exactly what the tools/call would have answered, tagged with its task.
  if (found->result) {
    Json result = tool_result_json(call, std::move(*found->result));
    Json& meta = result["_meta"];
    if (!meta.is_object()) meta = Json::object();
    meta[kRelatedTask] = Json{{"taskId", id}};
    co_return result;
  }
  if (found->error) {
    co_return rpc_error(found->error->code, found->error->message, found->error->data);
  }
  co_return rpc_error(kInvalidParams, "Task " + id + " was cancelled; it has no result");
}

}  // namespace shield::mcp
