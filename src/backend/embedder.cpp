#include "shield/backend/embedder.hpp"

#include "shield/backend/ollama_embedder.hpp"
#include "shield/backend/openai_embedder.hpp"
#include "shield/config/config.hpp"

namespace shield::backend {

const char* to_string(EmbeddingProvider provider) noexcept {
  switch (provider) {
    case EmbeddingProvider::kOllama:
      return "ollama";
    case EmbeddingProvider::kOpenAi:
      return "openai";
  }
  return "unknown";
}

Result<EmbedderSettings> embedder_settings(const config::EmbedderConfig& config) {
  EmbedderSettings settings;
  if (config.provider == "ollama") {
    settings.provider = EmbeddingProvider::kOllama;
  } else if (config.provider == "openai") {
    settings.provider = EmbeddingProvider::kOpenAi;
  } else {
    return fail(ErrorCode::kInvalidArgument,
                "embedder.provider = '" + config.provider + "' is not known; use ollama or openai");
  }
  settings.model = config.model;
  if (config.dimensions > 0) settings.dimensions = config.dimensions;
  settings.truncate = config.truncate;
  settings.keep_alive = config.keep_alive;
  settings.batch_size = config.batch_size;
  settings.max_concurrency = config.max_concurrency;
  settings.cache_entries = config.cache_entries;
  settings.cache_bytes = config.cache_bytes;
  return settings;
}

std::unique_ptr<Embedder> make_embedder(const EmbedderSettings& settings, Backend& backend,
                                        prometheus::Registry* registry) {
  switch (settings.provider) {
    case EmbeddingProvider::kOllama:
      return std::make_unique<OllamaEmbedder>(settings, backend, registry);
    case EmbeddingProvider::kOpenAi:
      return std::make_unique<OpenAiEmbedder>(settings, backend, registry);
  }
  return nullptr;
}

}  // namespace shield::backend
