#pragma once
// qdrant_store: embeds one entry or a batch ({text, metadata}) and upserts them into a Qdrant
// collection with payload {document, metadata}. The point id is point_id(collection, text),
// so storing the same text again updates it. Creates the collection on first use.
#include <memory>
#include <string>
#include <vector>

#include "shield/mcp/tool.hpp"
#include "shield/tools/qdrant_collections.hpp"

namespace shield::backend {
class Embedder;
}

namespace shield::tools {

struct QdrantStoreDependencies {
  std::shared_ptr<QdrantCollections> collections;
  backend::Embedder* embedder = nullptr;  // must outlive the tool
};

[[nodiscard]] mcp::ToolDefinition make_qdrant_store(QdrantStoreDependencies dependencies);

struct StoreEntry {
  std::string text;
  mcp::Json metadata = mcp::Json::object();
};

// The entries of a call: `text` (+ `metadata`) or `entries`, exactly one of them.
[[nodiscard]] ToolOutcome<std::vector<StoreEntry>> store_entries(const mcp::Json& arguments);

}  // namespace shield::tools
