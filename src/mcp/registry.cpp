#include "shield/mcp/registry.hpp"

#include <algorithm>

#include "shield/mcp/uri_template.hpp"

namespace shield::mcp {
namespace {

// MCP's tool-name rule (2025-11-25): 1..128 characters from [A-Za-z0-9_.-].
bool is_valid_tool_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

}  // namespace

Result<void> Registry::add_tool(ToolDefinition tool) {
  if (!is_valid_tool_name(tool.name)) {
    return fail(ErrorCode::kInvalidArgument,
                "tool name '" + tool.name + "' must be 1-128 characters of A-Z a-z 0-9 _ - .");
  }
  if (find_tool(tool.name) != nullptr) {
    return fail(ErrorCode::kAlreadyExists, "tool '" + tool.name + "' is already registered");
  }
  if (!tool.handler) {
    return fail(ErrorCode::kInvalidArgument, "tool '" + tool.name + "' has no handler");
  }
  if (!tool.input_schema.is_object() || tool.input_schema.value("type", Json()) != "object") {
    return fail(ErrorCode::kInvalidArgument, "tool '" + tool.name +
                                                 "': inputSchema must be a JSON Schema object with "
                                                 "\"type\": \"object\"");
  }
  ToolSchemas schemas;
  auto input = SchemaValidator::compile(tool.input_schema);
  if (!input) {
    return fail(ErrorCode::kInvalidArgument,
                "tool '" + tool.name + "': inputSchema: " + input.error().message);
  }
  schemas.input = std::move(*input);
  if (tool.output_schema) {
    if (!tool.output_schema->is_object()) {
      return fail(ErrorCode::kInvalidArgument,
                  "tool '" + tool.name + "': outputSchema must be a JSON Schema object");
    }
    auto output = SchemaValidator::compile(*tool.output_schema);
    if (!output) {
      return fail(ErrorCode::kInvalidArgument,
                  "tool '" + tool.name + "': outputSchema: " + output.error().message);
    }
    schemas.output = std::move(*output);
  }
  if (!tool.annotations.is_object() || !tool.execution.is_object() || !tool.meta.is_object()) {
    return fail(ErrorCode::kInvalidArgument,
                "tool '" + tool.name + "': annotations, execution and _meta must be objects");
  }
  if (const auto support = tool.execution.find("taskSupport");
      support != tool.execution.end() &&
      (!support->is_string() ||
       (*support != "forbidden" && *support != "optional" && *support != "required"))) {
    return fail(ErrorCode::kInvalidArgument,
                "tool '" + tool.name +
                    "': execution.taskSupport must be \"forbidden\", \"optional\" or "
                    "\"required\"");
  }
  if (tool.task_starter && !tool.task_store) {
    return fail(ErrorCode::kInvalidArgument,
                "tool '" + tool.name + "': a task_starter needs the task_store that tracks it");
  }
  schemas_.emplace(tool.name, std::move(schemas));
  tools_.push_back(std::move(tool));
  return {};
}

Result<void> Registry::add_resource(ResourceDefinition resource) {
  if (resource.uri.empty() || resource.name.empty()) {
    return fail(ErrorCode::kInvalidArgument, "a resource needs a uri and a name");
  }
  if (!resource.read) {
    return fail(ErrorCode::kInvalidArgument, "resource '" + resource.uri + "' has no reader");
  }
  if (find_resource(resource.uri) != nullptr) {
    return fail(ErrorCode::kAlreadyExists, "resource '" + resource.uri + "' is already registered");
  }
  resources_.push_back(std::move(resource));
  return {};
}

Result<void> Registry::add_resource_template(ResourceTemplateDefinition resource_template) {
  if (!is_valid_uri_template(resource_template.uri_template) || resource_template.name.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "resource template '" + resource_template.uri_template +
                    "' needs a name and a URI template with well-formed {variables}");
  }
  if (!resource_template.read) {
    return fail(ErrorCode::kInvalidArgument,
                "resource template '" + resource_template.uri_template + "' has no reader");
  }
  const bool duplicate =
      std::any_of(templates_.begin(), templates_.end(), [&](const ResourceTemplateDefinition& t) {
        return t.uri_template == resource_template.uri_template;
      });
  if (duplicate) {
    return fail(ErrorCode::kAlreadyExists,
                "resource template '" + resource_template.uri_template + "' is already registered");
  }
  templates_.push_back(std::move(resource_template));
  return {};
}

Result<void> Registry::add_prompt(PromptDefinition prompt) {
  if (prompt.name.empty()) return fail(ErrorCode::kInvalidArgument, "a prompt needs a name");
  if (!prompt.get) {
    return fail(ErrorCode::kInvalidArgument, "prompt '" + prompt.name + "' has no handler");
  }
  if (find_prompt(prompt.name) != nullptr) {
    return fail(ErrorCode::kAlreadyExists, "prompt '" + prompt.name + "' is already registered");
  }
  prompts_.push_back(std::move(prompt));
  return {};
}

void Registry::set_completion(CompletionHandler handler) {
  completion_ = std::move(handler);
}

const ToolDefinition* Registry::find_tool(const std::string& name) const {
  const auto it = std::find_if(tools_.begin(), tools_.end(),
                               [&](const ToolDefinition& t) { return t.name == name; });
  return it == tools_.end() ? nullptr : &*it;
}

const PromptDefinition* Registry::find_prompt(const std::string& name) const {
  const auto it = std::find_if(prompts_.begin(), prompts_.end(),
                               [&](const PromptDefinition& p) { return p.name == name; });
  return it == prompts_.end() ? nullptr : &*it;
}

const ResourceDefinition* Registry::find_resource(const std::string& uri) const {
  const auto it = std::find_if(resources_.begin(), resources_.end(),
                               [&](const ResourceDefinition& r) { return r.uri == uri; });
  return it == resources_.end() ? nullptr : &*it;
}

const Registry::ToolSchemas* Registry::tool_schemas(const std::string& name) const {
  const auto it = schemas_.find(name);
  return it == schemas_.end() ? nullptr : &it->second;
}

}  // namespace shield::mcp
