// The conformance suite's fixture tools (names, arguments and outputs as its scenarios
// check them). Sampling, elicitation and input-required fixtures are absent on purpose:
// those features wait for a later issue and their scenarios are baselined. The tasks
// scenarios' tools are in fixture_task_tools.cpp.
#include <chrono>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fixtures.hpp"

namespace shield::conformance {
namespace {

namespace asio = boost::asio;
using mcp::Json;
using mcp::LogLevel;
using mcp::ToolContext;
using mcp::ToolDefinition;
using mcp::ToolResult;

const Json kNoArguments = Json{{"type", "object"}, {"properties", Json::object()}};

// The steps of the logging and progress tools are spaced out so their notifications are
// seen to arrive over time, before the result.
asio::awaitable<void> pause(const ToolContext& context, std::chrono::milliseconds delay) {
  asio::steady_timer timer(context.executor);
  timer.expires_after(delay);
  co_await timer.async_wait(asio::use_awaitable);
}

ToolResult content(Json items) {
  ToolResult result;
  result.content = std::move(items);
  return result;
}

ToolDefinition simple(std::string name, std::string description, Json items) {
  ToolDefinition tool;
  tool.name = std::move(name);
  tool.description = std::move(description);
  tool.input_schema = kNoArguments;
  tool.handler = [items = std::move(items)](Json, ToolContext) -> asio::awaitable<ToolResult> {
    co_return content(items);
  };
  return tool;
}

Json text_item(const std::string& text) {
  return Json{{"type", "text"}, {"text", text}};
}

Json image_item() {
  return Json{{"type", "image"}, {"data", kPngBase64}, {"mimeType", "image/png"}};
}

ToolDefinition logging_tool() {
  ToolDefinition tool;
  tool.name = "test_tool_with_logging";
  tool.description = "Tests tool that emits log messages during execution";
  tool.input_schema = kNoArguments;
  tool.handler = [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
    context.log(LogLevel::kInfo, "conformance", Json("Tool execution started"));
    co_await pause(context, std::chrono::milliseconds(50));
    context.log(LogLevel::kInfo, "conformance", Json("Tool processing data"));
    co_await pause(context, std::chrono::milliseconds(50));
    context.log(LogLevel::kInfo, "conformance", Json("Tool execution completed"));
    co_return ToolResult::text("Tool with logging executed successfully");
  };
  return tool;
}

ToolDefinition progress_tool() {
  ToolDefinition tool;
  tool.name = "test_tool_with_progress";
  tool.description = "Tests tool that reports progress notifications";
  tool.input_schema = kNoArguments;
  tool.handler = [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
    for (int step : {0, 50, 100}) {
      context.progress(step, 100.0, "Completed step " + std::to_string(step) + " of 100");
      if (step < 100) co_await pause(context, std::chrono::milliseconds(50));
    }
    co_return ToolResult::text("Progress test completed");
  };
  return tool;
}

ToolDefinition error_tool() {
  ToolDefinition tool;
  tool.name = "test_error_handling";
  tool.description = "Tests error response handling";
  tool.input_schema = kNoArguments;
  tool.handler = [](Json, ToolContext) -> asio::awaitable<ToolResult> {
    ToolResult result =
        content(Json::array({text_item("This tool intentionally returns an error for testing")}));
    result.is_error = true;
    co_return result;
  };
  return tool;
}

Json json_schema_2020_12() {
  return Json::parse(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
      "address": {
        "$anchor": "addressDef",
        "type": "object",
        "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
      }
    },
    "properties": {
      "name": {"type": "string"},
      "address": {"$ref": "#/$defs/address"},
      "contactMethod": {"type": "string", "enum": ["phone", "email"]},
      "phone": {"type": "string"},
      "email": {"type": "string"}
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": false
  })");
}

}  // namespace

void register_fixture_tools(mcp::Registry& registry) {
  auto add = [&](ToolDefinition tool) {
    const std::string name = tool.name;
    must(registry.add_tool(std::move(tool)), "tool " + name);
  };
  // First: http-header-validation calls tools[0] with empty arguments and expects success.
  add(simple("test_simple_text", "Tests simple text content response",
             Json::array({text_item("This is a simple text response for testing.")})));
  add(simple("test_image_content", "Tests image content response", Json::array({image_item()})));
  add(simple(
      "test_audio_content", "Tests audio content response",
      Json::array({Json{{"type", "audio"}, {"data", kWavBase64}, {"mimeType", "audio/wav"}}})));
  add(simple("test_embedded_resource", "Tests embedded resource content response",
             Json::array({Json{{"type", "resource"},
                               {"resource",
                                {{"uri", "test://embedded-resource"},
                                 {"mimeType", "text/plain"},
                                 {"text", "This is an embedded resource content."}}}}})));
  add(simple("test_multiple_content_types",
             "Tests response with multiple content types (text, image, resource)",
             Json::array({text_item("Multiple content types test:"), image_item(),
                          Json{{"type", "resource"},
                               {"resource",
                                {{"uri", "test://mixed-content-resource"},
                                 {"mimeType", "application/json"},
                                 {"text", R"({"test":"data","value":123})"}}}}})));
  add(logging_tool());
  add(progress_tool());
  add(error_tool());
  // SEP-1699 polling: the suite accepts a plain JSON answer (no stream to resume).
  add(simple("test_reconnection", "Tests SSE stream reconnection (SEP-1699)",
             Json::array({text_item("Reconnection test completed successfully.")})));

  ToolDefinition schema_tool;
  schema_tool.name = "json_schema_2020_12_tool";
  schema_tool.description = "Tool with JSON Schema 2020-12 features";
  schema_tool.input_schema = json_schema_2020_12();
  schema_tool.handler = [](Json arguments, ToolContext) -> asio::awaitable<ToolResult> {
    co_return ToolResult::text("Received: " + arguments.dump());
  };
  add(std::move(schema_tool));

  // 2026-07-28 (server-stateless): a tool that needs the sampling capability, so a caller
  // that did not declare it gets -32021 before the handler runs.
  ToolDefinition needs_sampling;
  needs_sampling.name = "test_missing_capability";
  needs_sampling.description = "Requires the client's sampling capability";
  needs_sampling.input_schema = kNoArguments;
  needs_sampling.required_client_capabilities = Json{{"sampling", Json::object()}};
  needs_sampling.handler = [](Json, ToolContext) -> asio::awaitable<ToolResult> {
    co_return ToolResult::text("The client declared sampling");
  };
  add(std::move(needs_sampling));

  // Its stream must carry only this call's answer, never a server-to-client request.
  add(simple("test_streaming_elicitation",
             "Answers on its own stream without sending the client any request",
             Json::array({text_item("No elicitation needed: this server answers directly.")})));

  ToolDefinition quiet_logger;
  quiet_logger.name = "test_logging_tool";
  quiet_logger.description = "Logs only when the request's _meta asks for a log level";
  quiet_logger.input_schema = kNoArguments;
  quiet_logger.handler = [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
    context.log(LogLevel::kInfo, "conformance", Json("test_logging_tool ran"));
    co_return ToolResult::text("Logging tool completed");
  };
  add(std::move(quiet_logger));

  // SEP-2243 custom headers: `region` is mirrored into Mcp-Param-Region.
  ToolDefinition custom_header;
  custom_header.name = "test_custom_header";
  custom_header.description = "Mirrors its region argument into the Mcp-Param-Region header";
  custom_header.input_schema =
      Json{{"type", "object"},
           {"properties", {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}}}},
           {"required", Json::array({"region"})}};
  custom_header.handler = [](Json arguments, ToolContext) -> asio::awaitable<ToolResult> {
    co_return ToolResult::text("region=" + arguments.value("region", std::string()));
  };
  add(std::move(custom_header));
}

}  // namespace shield::conformance
