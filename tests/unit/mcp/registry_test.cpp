#include "shield/mcp/registry.hpp"

#include <gtest/gtest.h>

namespace shield::mcp {
namespace {

boost::asio::awaitable<ToolResult> echo(Json arguments, ToolContext) {
  co_return ToolResult::text(arguments.dump());
}

ToolDefinition tool_named(std::string name) {
  ToolDefinition tool;
  tool.name = std::move(name);
  tool.description = "test tool";
  tool.input_schema = Json{{"type", "object"}};
  tool.handler = echo;
  return tool;
}

boost::asio::awaitable<Result<Json>> read_nothing(std::string) {
  co_return Json::array();
}

TEST(Registry, AddsToolsInOrderAndFindsThem) {
  Registry registry;
  ASSERT_TRUE(registry.add_tool(tool_named("b")));
  ASSERT_TRUE(registry.add_tool(tool_named("a")));
  ASSERT_EQ(registry.tools().size(), 2u);
  EXPECT_EQ(registry.tools()[0].name, "b");
  EXPECT_EQ(registry.tools()[1].name, "a");
  ASSERT_NE(registry.find_tool("a"), nullptr);
  EXPECT_EQ(registry.find_tool("c"), nullptr);
  ASSERT_NE(registry.tool_schemas("a"), nullptr);
  EXPECT_NE(registry.tool_schemas("a")->input, nullptr);
  EXPECT_EQ(registry.tool_schemas("a")->output, nullptr);
}

TEST(Registry, RefusesDuplicateToolNames) {
  Registry registry;
  ASSERT_TRUE(registry.add_tool(tool_named("a")));
  auto again = registry.add_tool(tool_named("a"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(registry.tools().size(), 1u);
}

TEST(Registry, RefusesBadToolNames) {
  Registry registry;
  for (const std::string& name :
       std::vector<std::string>{"", "has space", "slash/name", std::string(129, 'x')}) {
    auto added = registry.add_tool(tool_named(name));
    ASSERT_FALSE(added) << name;
    EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(registry.add_tool(tool_named("ok.name-1_x")));
  EXPECT_TRUE(registry.add_tool(tool_named(std::string(128, 'y'))));
}

TEST(Registry, RefusesInputSchemasThatAreNotObjectSchemas) {
  Registry registry;
  auto no_type = tool_named("a");
  no_type.input_schema = Json::object();
  EXPECT_EQ(registry.add_tool(no_type).error().code, ErrorCode::kInvalidArgument);
  auto string_type = tool_named("b");
  string_type.input_schema = Json{{"type", "string"}};
  EXPECT_EQ(registry.add_tool(string_type).error().code, ErrorCode::kInvalidArgument);
  auto not_object = tool_named("c");
  not_object.input_schema = Json::array();
  auto refused = registry.add_tool(not_object);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("inputSchema"), std::string::npos);
  EXPECT_TRUE(registry.tools().empty());
}

TEST(Registry, RefusesSchemasValijsonCannotUse) {
  Registry registry;
  auto bad_keyword = tool_named("a");
  bad_keyword.input_schema =
      Json::parse(R"({"type":"object","properties":{"n":{"type":"integer","minimum":"five"}}})");
  auto refused = registry.add_tool(bad_keyword);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("tool 'a'"), std::string::npos);

  auto remote_ref = tool_named("b");
  remote_ref.input_schema = Json::parse(
      R"({"type":"object","properties":{"n":{"$ref":"https://example.com/schema.json"}}})");
  EXPECT_EQ(registry.add_tool(remote_ref).error().code, ErrorCode::kInvalidArgument);

  auto bad_output = tool_named("c");
  bad_output.output_schema = Json::parse(R"({"type":"object","required":"count"})");
  auto output_refused = registry.add_tool(bad_output);
  ASSERT_FALSE(output_refused);
  EXPECT_NE(output_refused.error().message.find("outputSchema"), std::string::npos);
  EXPECT_TRUE(registry.tools().empty());
}

TEST(Registry, Accepts2020_12Schemas) {
  Registry registry;
  auto tool = tool_named("json_schema_2020_12_tool");
  tool.input_schema = Json::parse(R"({
    "$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
    "$defs":{"address":{"$anchor":"addressDef","type":"object",
             "properties":{"street":{"type":"string"},"city":{"type":"string"}}}},
    "properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},
                  "contactMethod":{"type":"string","enum":["phone","email"]},
                  "phone":{"type":"string"},"email":{"type":"string"}},
    "allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],
    "if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},
    "then":{"required":["phone"]},"else":{"required":["email"]},
    "additionalProperties":false})");
  auto added = registry.add_tool(tool);
  ASSERT_TRUE(added) << added.error().message;
  tool.output_schema = Json::parse(R"({"type":"object","properties":{"x":{"type":"number",
      "exclusiveMinimum":0}}})");
  tool.name = "second";
  EXPECT_TRUE(registry.add_tool(tool));
}

TEST(Registry, RefusesAToolWithoutHandler) {
  Registry registry;
  auto tool = tool_named("a");
  tool.handler = nullptr;
  EXPECT_EQ(registry.add_tool(tool).error().code, ErrorCode::kInvalidArgument);
}

TEST(Registry, ResourcesTemplatesAndPrompts) {
  Registry registry;
  ResourceDefinition resource{"test://a", "a", "", "", "text/plain", read_nothing};
  ASSERT_TRUE(registry.add_resource(resource));
  EXPECT_EQ(registry.add_resource(resource).error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(registry.find_resource("test://a"), nullptr);
  EXPECT_EQ(registry.find_resource("test://b"), nullptr);
  ResourceDefinition nameless{"test://c", "", "", "", "", read_nothing};
  EXPECT_EQ(registry.add_resource(nameless).error().code, ErrorCode::kInvalidArgument);

  auto read_template =
      [](std::string, std::map<std::string, std::string>) -> boost::asio::awaitable<Result<Json>> {
    co_return Json::array();
  };
  ResourceTemplateDefinition good{"test://t/{id}", "t", "", "", "", read_template};
  ASSERT_TRUE(registry.add_resource_template(good));
  EXPECT_EQ(registry.add_resource_template(good).error().code, ErrorCode::kAlreadyExists);
  ResourceTemplateDefinition broken{"test://t/{id", "t2", "", "", "", read_template};
  EXPECT_EQ(registry.add_resource_template(broken).error().code, ErrorCode::kInvalidArgument);

  auto get = [](std::map<std::string, std::string>) -> boost::asio::awaitable<Result<Json>> {
    co_return Json{{"messages", Json::array()}};
  };
  PromptDefinition prompt{"p", "", "d", {}, get};
  ASSERT_TRUE(registry.add_prompt(prompt));
  EXPECT_EQ(registry.add_prompt(prompt).error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(registry.find_prompt("p"), nullptr);
  EXPECT_EQ(registry.find_prompt("q"), nullptr);
}

TEST(ToolResult, TextIsOneTextBlock) {
  const ToolResult result = ToolResult::text("hello");
  EXPECT_EQ(result.content, Json::parse(R"([{"type":"text","text":"hello"}])"));
  EXPECT_FALSE(result.is_error);
  EXPECT_FALSE(result.structured);
}

TEST(ToolResult, ErrorCarriesCodeMessageAndDetails) {
  const ToolResult result =
      ToolResult::error("backend_unavailable", "Qdrant is down", Json{{"retry_after_s", 5}});
  EXPECT_TRUE(result.is_error);
  EXPECT_EQ(result.content, Json::parse(R"([{"type":"text","text":"Qdrant is down"}])"));
  ASSERT_TRUE(result.structured);
  EXPECT_EQ(*result.structured, Json::parse(R"({"error":{"code":"backend_unavailable",
      "message":"Qdrant is down","retry_after_s":5}})"));
}

}  // namespace
}  // namespace shield::mcp
