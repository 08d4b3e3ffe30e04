#pragma once
// Every tool, resource, resource template, prompt and completion the server offers, in
// registration order (which is also list order). Registration happens at start-up, before
// the engine serves; afterwards the registry is read-only and safe to share across threads.
#include <string>
#include <vector>

#include "shield/mcp/catalog.hpp"
#include "shield/mcp/tool.hpp"
#include "shield/util/error.hpp"

namespace shield::mcp {

class Registry {
 public:
  // kAlreadyExists for a duplicate name/uri; kInvalidArgument for a schema that is not a
  // valid JSON Schema object (checked once here so calls never meet a broken schema).
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

 private:
  std::vector<ToolDefinition> tools_;
  std::vector<ResourceDefinition> resources_;
  std::vector<ResourceTemplateDefinition> templates_;
  std::vector<PromptDefinition> prompts_;
  CompletionHandler completion_;
};

}  // namespace shield::mcp
