#include "shield/tools/qdrant_tool_settings.hpp"

#include "shield/backend/qdrant_client.hpp"
#include "shield/config/config.hpp"

namespace shield::tools {

Result<QdrantToolSettings> qdrant_tool_settings(const config::QdrantConfig& config) {
  const auto distance = backend::QdrantClient::canonical_distance(config.distance);
  if (!distance) {
    return fail(ErrorCode::kInvalidArgument,
                "qdrant.distance = '" + config.distance +
                    "' is not a Qdrant distance; use Cosine, Dot, Euclid or Manhattan");
  }
  QdrantToolSettings settings;
  settings.collection = config.collection;
  settings.collection_locked = config.collection_locked;
  settings.vector_name = config.vector_name;
  settings.distance = *distance;
  settings.read_only = config.read_only;
  settings.allow_arbitrary_filters = config.allow_arbitrary_filters;
  return settings;
}

}  // namespace shield::tools
