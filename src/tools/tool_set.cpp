#include "shield/tools/tool_set.hpp"

#include <memory>

#include "shield/backend/lightrag_client.hpp"
#include "shield/config/config.hpp"
#include "shield/tools/get_job_status.hpp"
#include "shield/tools/ingest_doc.hpp"
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

  // get_job_status: our own jobs need the engine, foreign ids the orchestrator.
  if (dependencies.jobs != nullptr || dependencies.orchestrator != nullptr) {
    GetJobStatusDependencies status;
    status.engine = dependencies.jobs;
    status.sink = dependencies.sink;
    status.orchestrator = dependencies.orchestrator;
    if (auto added = registry.add_tool(make_get_job_status(std::move(status))); !added) {
      return added;
    }
  }

  // ingest_doc: documents become ingest jobs of the engine, kept in the upload store.
  if (dependencies.jobs != nullptr && dependencies.uploads != nullptr) {
    IngestDocDependencies ingest;
    ingest.engine = dependencies.jobs;
    ingest.uploads = dependencies.uploads;
    ingest.tasks = dependencies.job_tasks;
    ingest.base_url = dependencies.public_base_url;
    if (auto added = registry.add_tool(make_ingest_doc(std::move(ingest))); !added) return added;
  }
  return {};
}

}  // namespace shield::tools
