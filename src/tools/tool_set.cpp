#include "shield/tools/tool_set.hpp"

#include <memory>

#include "shield/backend/lightrag_client.hpp"
#include "shield/config/config.hpp"
#include "shield/tools/lightrag_query.hpp"
#include "shield/tools/qdrant_collections.hpp"
#include "shield/tools/qdrant_find.hpp"
#include "shield/tools/qdrant_store.hpp"

namespace shield::tools {

Result<void> register_tools(mcp::Registry& registry, const ToolDependencies& dependencies) {
  if (dependencies.config == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "register_tools needs the configuration");
  }
  const config::Config& config = *dependencies.config;

  if (dependencies.qdrant != nullptr && dependencies.embedder != nullptr) {
    auto settings = qdrant_tool_settings(config.qdrant);
    if (!settings) return tl::unexpected(settings.error());
    const bool read_only = settings->read_only;
    auto collections = std::make_shared<QdrantCollections>(*dependencies.qdrant, *settings);
    if (auto added = registry.add_tool(make_qdrant_find({collections, dependencies.embedder}));
        !added) {
      return added;
    }
    if (!read_only) {
      if (auto added = registry.add_tool(make_qdrant_store({collections, dependencies.embedder}));
          !added) {
        return added;
      }
    }
  }

  backend::LightragRoute route = backend::LightragRoute::kOrchestrator;
  if (config.lightrag.mode == "direct") {
    route = backend::LightragRoute::kDirect;
  } else if (config.lightrag.mode != "orchestrator") {
    return fail(ErrorCode::kInvalidArgument, "lightrag.mode = '" + config.lightrag.mode +
                                                 "' is not known; use orchestrator or direct");
  }
  backend::Backend* lightrag =
      route == backend::LightragRoute::kDirect ? dependencies.lightrag : dependencies.orchestrator;
  if (lightrag != nullptr) {
    auto client = std::make_shared<backend::LightragClient>(*lightrag, route);
    if (auto added = registry.add_tool(make_lightrag_query({std::move(client)})); !added) {
      return added;
    }
  }
  return {};
}

}  // namespace shield::tools
