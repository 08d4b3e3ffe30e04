#pragma once
// BatchingEmbedder: what every provider shares. It answers from the EmbeddingCache where it
// can, sends the rest in requests of at most batch_size texts (identical texts once), keeps
// at most max_concurrency requests in flight toward the provider, and checks every answer
// (one vector per text, one size for all). A provider supplies only embed_batch().
//
// Threading: as Embedder. Ownership: owns its cache and concurrency limit.
#include <atomic>
#include <string>
#include <vector>

#include "shield/backend/concurrency_limit.hpp"
#include "shield/backend/embedder.hpp"
#include "shield/backend/embedding_cache.hpp"

namespace shield::backend {

class BatchingEmbedder : public Embedder {
 public:
  boost::asio::awaitable<CallResult<Embeddings>> embed(std::vector<std::string> texts,
                                                       CancellationToken cancel = {}) final;
  [[nodiscard]] std::optional<std::size_t> dimensions() const final;
  [[nodiscard]] const std::string& provider() const final { return provider_; }
  [[nodiscard]] const std::string& model() const final { return settings_.model; }

  [[nodiscard]] const EmbedderSettings& settings() const { return settings_; }
  [[nodiscard]] const EmbeddingCache& cache() const { return cache_; }
  [[nodiscard]] const ConcurrencyLimit& concurrency() const { return limit_; }

 protected:
  // Texts for one provider request, with their positions in the caller's list.
  struct Batch {
    std::vector<std::string> texts;
    std::vector<std::size_t> positions;
  };

  // `backend_name` and `base_url` name the provider in errors found on our side.
  BatchingEmbedder(EmbedderSettings settings, std::string backend_name, std::string base_url,
                   prometheus::Registry* registry);

  // One request to the provider: exactly one vector per text, in order, or the error.
  virtual boost::asio::awaitable<CallResult<Embeddings>> embed_batch(const Batch& batch,
                                                                     CancellationToken cancel) = 0;

  [[nodiscard]] BackendError malformed_answer(std::string detail) const;

 private:
  boost::asio::awaitable<CallResult<Embeddings>> run_batch(Batch batch, CancellationToken cancel);
  [[nodiscard]] CallResult<void> check_answer(const Batch& batch, const Embeddings& vectors);

  EmbedderSettings settings_;
  std::string provider_;
  std::string backend_name_;
  std::string base_url_;
  std::string cache_model_;  // the model plus the requested size: they give different vectors
  EmbeddingCache cache_;
  ConcurrencyLimit limit_;
  std::atomic<std::size_t> dimensions_{0};
};

}  // namespace shield::backend
