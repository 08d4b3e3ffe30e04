// The tools the suite's tasks scenarios (io.modelcontextprotocol/tasks, SEP-2663) call, with
// the names, arguments and behaviour they check. They run as tasks in the engine's in-memory
// task store, like any daemon tool that declares task support without a store of its own.
#include <algorithm>
#include <chrono>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fixtures.hpp"

namespace shield::conformance {
namespace {

namespace asio = boost::asio;
using mcp::Json;
using mcp::ToolContext;
using mcp::ToolDefinition;
using mcp::ToolResult;

// Waits `delay` or until the call is cancelled, whichever comes first; true when it waited
// the whole time. Short slices keep a cancelled task from lingering without sharing a timer
// across threads.
asio::awaitable<bool> sleep_unless_cancelled(const ToolContext& context,
                                             std::chrono::milliseconds delay) {
  constexpr std::chrono::milliseconds kSlice{20};
  asio::steady_timer timer(context.executor);
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (!context.cancel.cancelled()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) co_return true;
    timer.expires_after(std::min(left, kSlice));
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return false;
}

Json object_schema(Json properties, Json required = Json::array()) {
  Json schema{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

Json elicit(const std::string& message, Json properties, Json required) {
  return Json{{"method", "elicitation/create"},
              {"params",
               {{"mode", "form"},
                {"message", message},
                {"requestedSchema", object_schema(std::move(properties), std::move(required))}}}};
}

// The content of an accepted form answer, or null when the user declined or cancelled.
Json accepted_content(const Json& answer) {
  if (!answer.is_object() || answer.value("action", std::string()) != "accept") return nullptr;
  return answer.value("content", Json::object());
}

ToolDefinition greet() {
  ToolDefinition tool;
  tool.name = "greet";
  tool.description = "Greets someone at once (never a task)";
  tool.input_schema = object_schema({{"name", {{"type", "string"}}}}, Json::array({"name"}));
  tool.handler = [](Json arguments, ToolContext) -> asio::awaitable<ToolResult> {
    co_return ToolResult::text("Hello, " + arguments.value("name", std::string()) + "!");
  };
  return tool;
}

ToolDefinition slow_compute() {
  ToolDefinition tool;
  tool.name = "slow_compute";
  tool.description = "Computes for `seconds` seconds, then reports; may run as a task";
  tool.input_schema = object_schema(
      {{"seconds", {{"type", "number"}, {"minimum", 0}}}, {"label", {{"type", "string"}}}},
      Json::array({"seconds"}));
  tool.execution = Json{{"taskSupport", "optional"}};
  tool.handler = [](Json arguments, ToolContext context) -> asio::awaitable<ToolResult> {
    const double seconds = arguments.value("seconds", 0.0);
    const std::string label = arguments.value("label", std::string("unnamed"));
    const auto delay = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    const bool finished = co_await sleep_unless_cancelled(context, delay);
    if (!finished) {
      co_return ToolResult::error("cancelled", "slow_compute '" + label + "' was cancelled");
    }
    co_return ToolResult::text("slow_compute '" + label + "' finished after " +
                               std::to_string(seconds) + " s");
  };
  return tool;
}

ToolDefinition failing_job() {
  ToolDefinition tool;
  tool.name = "failing_job";
  tool.description = "Runs only as a task and ends with a tool error after about a second";
  tool.input_schema = object_schema(Json::object());
  tool.execution = Json{{"taskSupport", "required"}};
  tool.handler = [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
    co_await sleep_unless_cancelled(context, std::chrono::seconds(1));
    co_return ToolResult::error("job_failed", "failing_job failed, as it always does");
  };
  return tool;
}

ToolDefinition protocol_error_job() {
  // It promises structuredContent and returns none: the engine reports that broken promise
  // as a protocol error (-32603), which is what a task's `failed` status is for.
  ToolDefinition tool;
  tool.name = "protocol_error_job";
  tool.description = "Breaks its own outputSchema, so its task fails with a protocol error";
  tool.input_schema = object_schema(Json::object());
  tool.output_schema = object_schema({{"value", {{"type", "number"}}}}, Json::array({"value"}));
  tool.execution = Json{{"taskSupport", "optional"}};
  tool.handler = [](Json, ToolContext) -> asio::awaitable<ToolResult> {
    co_return ToolResult::text("no structured content, despite the outputSchema");
  };
  return tool;
}

ToolDefinition confirm_delete() {
  ToolDefinition tool;
  tool.name = "confirm_delete";
  tool.description = "Asks the user to confirm before it (pretends to) delete a file";
  tool.input_schema =
      object_schema({{"filename", {{"type", "string"}}}}, Json::array({"filename"}));
  tool.execution = Json{{"taskSupport", "optional"}};
  tool.handler = [](Json arguments, ToolContext context) -> asio::awaitable<ToolResult> {
    const std::string filename = arguments.value("filename", std::string());
    // Built before the co_await: GCC 12 cannot keep an initializer list across one.
    Json questions = Json::object();
    questions["confirm"] =
        elicit("Delete " + filename + "?", Json{{"confirm", {{"type", "boolean"}}}},
               Json::array({"confirm"}));
    auto answers = co_await context.request_input(std::move(questions));
    if (!answers) co_return ToolResult::error("no_confirmation", answers.error().message);
    const Json content = accepted_content((*answers)["confirm"]);
    if (content.is_null() || !content.value("confirm", false)) {
      co_return ToolResult::text("Kept " + filename);
    }
    co_return ToolResult::text("Deleted " + filename);
  };
  return tool;
}

ToolDefinition multi_input() {
  ToolDefinition tool;
  tool.name = "multi_input";
  tool.description = "Asks two questions at once and reports both answers";
  tool.input_schema = object_schema(Json::object());
  tool.execution = Json{{"taskSupport", "optional"}};
  tool.handler = [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
    Json questions = Json::object();
    questions["name"] =
        elicit("What is your name?", Json{{"name", {{"type", "string"}}}}, Json::array({"name"}));
    questions["confirm"] = elicit("Shall I go on?", Json{{"confirm", {{"type", "boolean"}}}},
                                  Json::array({"confirm"}));
    auto answers = co_await context.request_input(std::move(questions));
    if (!answers) co_return ToolResult::error("no_answers", answers.error().message);
    co_return ToolResult::text("Answers: " + answers->dump());
  };
  return tool;
}

}  // namespace

void register_fixture_task_tools(mcp::Registry& registry) {
  for (ToolDefinition tool : {greet(), slow_compute(), failing_job(), protocol_error_job(),
                              confirm_delete(), multi_input()}) {
    const std::string name = tool.name;
    must(registry.add_tool(std::move(tool)), "tool " + name);
  }
}

}  // namespace shield::conformance
