#include <utility>

#include "shield/mcp/tool.hpp"

namespace shield::mcp {

ToolResult ToolResult::text(std::string text) {
  ToolResult result;
  result.content.push_back(Json{{"type", "text"}, {"text", std::move(text)}});
  return result;
}

std::string ToolResult::first_text() const {
  if (!content.is_array()) return {};
  for (const auto& block : content) {
    if (block.is_object() && block.value("type", std::string()) == "text" &&
        block.contains("text") && block["text"].is_string()) {
      return block["text"].get<std::string>();
    }
  }
  return {};
}

ToolResult ToolResult::error(std::string code, std::string message, Json details) {
  ToolResult result;
  Json error = details.is_object() ? std::move(details) : Json{{"details", std::move(details)}};
  error["code"] = std::move(code);
  error["message"] = message;
  result.content.push_back(Json{{"type", "text"}, {"text", std::move(message)}});
  result.structured = Json{{"error", std::move(error)}};
  result.is_error = true;
  return result;
}

TaskSupport task_support(const ToolDefinition& tool) {
  const auto it = tool.execution.find("taskSupport");
  if (it == tool.execution.end() || !it->is_string()) return TaskSupport::kForbidden;
  if (*it == "optional") return TaskSupport::kOptional;
  if (*it == "required") return TaskSupport::kRequired;
  return TaskSupport::kForbidden;
}

}  // namespace shield::mcp
