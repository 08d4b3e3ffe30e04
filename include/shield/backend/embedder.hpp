#pragma once
// Embedder: turns texts into vectors through an embedding provider (Ollama's /api/embed or
// an OpenAI-compatible /v1/embeddings). Tools see only this interface.
//
// Threading: embed() may be awaited concurrently from any io_context thread.
// Errors: a BackendError whose message says what to do: a missing model names the pull
// command, an over-long input names its position and length.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "shield/backend/call_result.hpp"
#include "shield/util/cancellation.hpp"
#include "shield/util/error.hpp"

namespace prometheus {
class Registry;
}

namespace shield::config {
struct EmbedderConfig;
}

namespace shield::backend {

class Backend;

using Embedding = std::vector<float>;
using Embeddings = std::vector<Embedding>;

enum class EmbeddingProvider { kOllama, kOpenAi };

// "ollama" | "openai".
const char* to_string(EmbeddingProvider provider) noexcept;

struct EmbedderSettings {
  EmbeddingProvider provider = EmbeddingProvider::kOllama;
  std::string model = "nomic-embed-text";
  // Ask the provider for vectors of this size (models trained for shortened vectors);
  // nullopt keeps the model's own size.
  std::optional<std::size_t> dimensions;
  bool truncate = true;         // Ollama: cut inputs longer than the context instead of failing
  std::string keep_alive;       // Ollama: how long the model stays loaded, e.g. "5m"; "" = default
  std::size_t batch_size = 32;  // texts per provider request
  std::size_t max_concurrency = 4;  // provider requests in flight, across all callers
  std::size_t cache_entries = 10'000;
  std::size_t cache_bytes = std::size_t{64} * 1024 * 1024;
};

class Embedder {
 public:
  virtual ~Embedder() = default;

  // One vector per text, in order. An empty list gives an empty list without a request.
  virtual boost::asio::awaitable<CallResult<Embeddings>> embed(std::vector<std::string> texts,
                                                               CancellationToken cancel = {}) = 0;
  // The vector size, once configured or seen in an answer.
  [[nodiscard]] virtual std::optional<std::size_t> dimensions() const = 0;
  [[nodiscard]] virtual const std::string& provider() const = 0;  // "ollama" | "openai"
  [[nodiscard]] virtual const std::string& model() const = 0;
};

// The settings of config section [embedder]; kInvalidArgument for an unknown provider.
[[nodiscard]] Result<EmbedderSettings> embedder_settings(const config::EmbedderConfig& config);

// The embedder `settings` describe, calling the provider through `backend` (whose base URL
// is the provider's root, e.g. http://127.0.0.1:11434). `registry` (may be null) receives
// the cache metrics. `backend` and `registry` must outlive the embedder.
std::unique_ptr<Embedder> make_embedder(const EmbedderSettings& settings, Backend& backend,
                                        prometheus::Registry* registry);

}  // namespace shield::backend
