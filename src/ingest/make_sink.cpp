#include "shield/ingest/make_sink.hpp"

#include <fmt/format.h>

#include "shield/backend/qdrant_client.hpp"
#include "shield/ingest/directory_sink.hpp"
#include "shield/ingest/lightrag_sink.hpp"
#include "shield/ingest/orchestrator_sink.hpp"
#include "shield/ingest/qdrant_sink.hpp"

namespace shield::ingest {
namespace {

tl::unexpected<Error> missing(std::string_view kind, std::string_view what) {
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("[sink] kind = \"{}\" needs {}, which was not provided", kind, what));
}

Result<std::unique_ptr<Sink>> qdrant_sink(const config::Config& config,
                                          const SinkDependencies& dependencies) {
  if (dependencies.qdrant == nullptr) return missing("qdrant", "the Qdrant backend");
  if (dependencies.embedder == nullptr) return missing("qdrant", "an embedder");
  QdrantSinkSettings settings;
  settings.collection =
      config.sink.collection.empty() ? config.qdrant.collection : config.sink.collection;
  if (auto valid = backend::QdrantClient::validate_collection_name(settings.collection); !valid) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("[sink] collection '{}': {}", settings.collection, valid.error().message));
  }
  const auto distance = backend::QdrantClient::canonical_distance(config.qdrant.distance);
  if (!distance) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("[qdrant] distance '{}' is not one of Cosine, Dot, Euclid, Manhattan",
                            config.qdrant.distance));
  }
  settings.distance = *distance;
  settings.vector_name = config.qdrant.vector_name;
  settings.chunking.chunk_tokens = config.sink.chunk_tokens;
  settings.chunking.overlap_tokens = config.sink.chunk_overlap_tokens;
  if (auto valid = Chunker::validate(settings.chunking); !valid)
    return tl::unexpected(valid.error());
  settings.blocking = dependencies.blocking;
  return std::make_unique<QdrantSink>(*dependencies.qdrant, *dependencies.embedder,
                                      std::move(settings));
}

}  // namespace

Result<std::unique_ptr<Sink>> make_sink(const config::Config& config,
                                        const SinkDependencies& dependencies) {
  const std::string& kind = config.sink.kind;
  if (kind == "orchestrator") {
    if (dependencies.orchestrator == nullptr) return missing(kind, "the orchestrator backend");
    return std::make_unique<OrchestratorSink>(*dependencies.orchestrator);
  }
  if (kind == "qdrant") return qdrant_sink(config, dependencies);
  if (kind == "lightrag") {
    if (dependencies.lightrag == nullptr) return missing(kind, "the LightRAG backend");
    return std::make_unique<LightragSink>(*dependencies.lightrag);
  }
  if (kind == "directory") {
    if (!dependencies.blocking) return missing(kind, "an executor for disk I/O");
    if (config.sink.directory.empty()) {
      return fail(ErrorCode::kInvalidArgument, "[sink] directory must not be empty");
    }
    const Clock& clock =
        dependencies.clock != nullptr ? *dependencies.clock : SystemClock::instance();
    return std::make_unique<DirectorySink>(config.sink.directory, dependencies.blocking, clock);
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("[sink] kind = \"{}\" is unknown; use orchestrator, qdrant, lightrag or "
                          "directory",
                          kind));
}

}  // namespace shield::ingest
