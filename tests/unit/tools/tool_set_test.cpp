#include "shield/tools/tool_set.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "unit/tools/tool_test_support.hpp"

namespace shield::tools {
namespace {

using testing::ToolFixture;

std::vector<std::string> names(const mcp::Registry& registry) {
  std::vector<std::string> out;
  for (const auto& tool : registry.tools()) out.push_back(tool.name);
  return out;
}

class ToolSet : public ToolFixture {};

TEST_F(ToolSet, RegistersEveryToolWhoseBackendsExist) {
  const mcp::Registry registry = registered();
  EXPECT_EQ(names(registry), (std::vector<std::string>{"qdrant_find", "qdrant_store",
                                                       "lightrag_query", "get_job_status"}));
  for (const auto& tool : registry.tools()) {
    EXPECT_NE(registry.tool_schemas(tool.name), nullptr);
    ASSERT_TRUE(tool.output_schema.has_value()) << tool.name;
    EXPECT_FALSE(tool.description.empty());
  }
}

TEST_F(ToolSet, ReadOnlyQdrantHidesStore) {
  config_.qdrant.read_only = true;
  EXPECT_EQ(names(registered()),
            (std::vector<std::string>{"qdrant_find", "lightrag_query", "get_job_status"}));
}

TEST_F(ToolSet, QdrantToolsNeedBothQdrantAndTheEmbedder) {
  ToolDependencies deps = dependencies();
  deps.embedder = nullptr;
  mcp::Registry without_embedder;
  ASSERT_TRUE(register_tools(without_embedder, deps));
  EXPECT_EQ(names(without_embedder),
            (std::vector<std::string>{"lightrag_query", "get_job_status"}));

  deps = dependencies();
  deps.qdrant = nullptr;
  mcp::Registry without_qdrant;
  ASSERT_TRUE(register_tools(without_qdrant, deps));
  EXPECT_EQ(names(without_qdrant), (std::vector<std::string>{"lightrag_query", "get_job_status"}));
}

TEST_F(ToolSet, LightragQueryFollowsTheConfiguredRoute) {
  ToolDependencies deps = dependencies();
  deps.orchestrator = nullptr;
  mcp::Registry orchestrator_missing;
  ASSERT_TRUE(register_tools(orchestrator_missing, deps));
  EXPECT_EQ(names(orchestrator_missing), (std::vector<std::string>{"qdrant_find", "qdrant_store"}));

  config_.lightrag.mode = "direct";
  mcp::Registry direct;
  ASSERT_TRUE(register_tools(direct, deps));
  EXPECT_EQ(names(direct),
            (std::vector<std::string>{"qdrant_find", "qdrant_store", "lightrag_query"}));

  deps = dependencies();
  deps.lightrag = nullptr;
  mcp::Registry lightrag_missing;
  ASSERT_TRUE(register_tools(lightrag_missing, deps));
  EXPECT_EQ(names(lightrag_missing),
            (std::vector<std::string>{"qdrant_find", "qdrant_store", "get_job_status"}));
}

TEST_F(ToolSet, RefusesAnUnknownLightragModeOrDistance) {
  config_.lightrag.mode = "sideways";
  mcp::Registry registry;
  const auto mode = register_tools(registry, dependencies());
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message.find("lightrag.mode = 'sideways'"), std::string::npos);

  config_.lightrag.mode = "orchestrator";
  config_.qdrant.distance = "euclidean";
  mcp::Registry other;
  const auto distance = register_tools(other, dependencies());
  ASSERT_FALSE(distance);
  EXPECT_NE(distance.error().message.find("qdrant.distance = 'euclidean'"), std::string::npos);
}

TEST_F(ToolSet, WithoutConfigNothingIsRegistered) {
  ToolDependencies deps = dependencies();
  deps.config = nullptr;
  mcp::Registry registry;
  EXPECT_FALSE(register_tools(registry, deps));
  EXPECT_TRUE(registry.tools().empty());
}

TEST_F(ToolSet, AnnotationsSayWhatEachToolDoes) {
  const mcp::Registry registry = registered();
  const auto& store = registry.find_tool("qdrant_store")->annotations;
  EXPECT_EQ(store["readOnlyHint"], false);
  EXPECT_EQ(store["destructiveHint"], false);
  EXPECT_EQ(store["idempotentHint"], true);
  EXPECT_EQ(store["openWorldHint"], false);
  EXPECT_EQ(registry.find_tool("qdrant_find")->annotations["readOnlyHint"], true);
  EXPECT_EQ(registry.find_tool("lightrag_query")->annotations["readOnlyHint"], true);
}

}  // namespace
}  // namespace shield::tools
