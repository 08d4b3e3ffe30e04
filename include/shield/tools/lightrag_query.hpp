#pragma once
// lightrag_query: asks the LightRAG knowledge graph a question, through the orchestrator
// (default) or straight at a LightRAG server, and returns the answer with its references.
#include <memory>

#include "shield/backend/lightrag_client.hpp"
#include "shield/mcp/tool.hpp"

namespace shield::tools {

struct LightragQueryDependencies {
  std::shared_ptr<backend::LightragClient> lightrag;
};

// Used when a call gives no mode: LightRAG's own default, which combines the knowledge
// graph with vector retrieval of chunks.
inline constexpr const char* kDefaultLightragMode = "mix";

[[nodiscard]] mcp::ToolDefinition make_lightrag_query(LightragQueryDependencies dependencies);

// The request a call's (schema-checked) arguments describe.
[[nodiscard]] backend::LightragQuery lightrag_request(const mcp::Json& arguments);
// structuredContent: {answer, references: [{reference_id, file_path, title?}], mode, route}.
[[nodiscard]] mcp::Json lightrag_result(const backend::LightragAnswer& answer,
                                        const std::string& mode, backend::LightragRoute route);
[[nodiscard]] std::string lightrag_result_text(const mcp::Json& result);

}  // namespace shield::tools
