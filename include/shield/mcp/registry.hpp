#pragma once
// Every tool, resource, resource template, prompt and completion the server offers, in
// registration order (which is also list order). Registration happens at start-up, before
// the engine serves; afterwards the registry is read-only and safe to share across threads.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shield/mcp/catalog.hpp"
#include "shield/mcp/schema_validator.hpp"
#include "shield/mcp/tool.hpp"
#include "shield/util/error.hpp"

namespace shield::mcp {

class Registry {
 public:
  // kAlreadyExists for a duplicate name/uri; kInvalidArgument for an empty name, a missing
  // handler, or a schema that is not a usable JSON Schema object (inputSchema must also say
  // "type": "object"); schemas are compiled once here so calls never meet a broken one.
  Result<void> add_tool(ToolDefinition tool);
  Result<void> add_resource(ResourceDefinition resource);
  Result<void> add_resource_template(ResourceTemplateDefinition resource_template);
  Result<void> add_prompt(PromptDefinition prompt);
  void set_completion(CompletionHandler handler);

  [[nodiscard]] const std::vector<ToolDefinition>& tools() const { return tools_; }
  [[nodiscard]] const ToolDefinition* find_tool(const std::string& name) const;
  [[nodiscard]] const std::vector<ResourceDefinition>& resources() const { return resources_; }
  [[nodiscard]] const std::vector<ResourceTemplateDefinition>& resource_templates() const {
    return templates_;
  }
  [[nodiscard]] const std::vector<PromptDefinition>& prompts() const { return prompts_; }
  [[nodiscard]] const PromptDefinition* find_prompt(const std::string& name) const;
  [[nodiscard]] const CompletionHandler& completion() const { return completion_; }
  [[nodiscard]] const ResourceDefinition* find_resource(const std::string& uri) const;

  // The compiled schemas of a registered tool (output null when it declares none).
  struct ToolSchemas {
    std::shared_ptr<const SchemaValidator> input;
    std::shared_ptr<const SchemaValidator> output;
  };
  [[nodiscard]] const ToolSchemas* tool_schemas(const std::string& name) const;

 private:
  std::vector<ToolDefinition> tools_;
  std::vector<ResourceDefinition> resources_;
  std::vector<ResourceTemplateDefinition> templates_;
  std::vector<PromptDefinition> prompts_;
  CompletionHandler completion_;
  std::map<std::string, ToolSchemas> schemas_;
};

}  // namespace shield::mcp
