#pragma once
// qdrant_find: embeds the query and searches a Qdrant collection (POST /points/query),
// optionally narrowed by a metadata filter. A collection that does not exist gives an empty
// result with a note, not an error.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shield/backend/qdrant_client.hpp"
#include "shield/mcp/tool.hpp"
#include "shield/tools/qdrant_collections.hpp"

namespace shield::backend {
class Embedder;
}

namespace shield::tools {

struct QdrantFindDependencies {
  std::shared_ptr<QdrantCollections> collections;
  backend::Embedder* embedder = nullptr;  // must outlive the tool
};

[[nodiscard]] mcp::ToolDefinition make_qdrant_find(QdrantFindDependencies dependencies);

// The structuredContent of a search: {collection, results: [{id, score, document,
// metadata}], note?}. Entries written by other programs without {document, metadata} show
// their `text` (if any) as document and the rest of the payload as metadata.
[[nodiscard]] mcp::Json find_result(const std::string& collection,
                                    const std::vector<backend::ScoredPoint>& hits,
                                    const std::optional<std::string>& note = std::nullopt);
// The same, as text for a person or a model that reads only `content`.
[[nodiscard]] std::string find_result_text(const mcp::Json& result);

}  // namespace shield::tools
