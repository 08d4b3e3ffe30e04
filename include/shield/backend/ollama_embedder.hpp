#pragma once
// OllamaEmbedder: POST /api/embed {model, input: [...], truncate, keep_alive?, dimensions?}
// → {embeddings: [[...], ...]}. A 404 means the model is not pulled; a 400 about the
// context length means an input is too long and truncate is off.
//
// Threading and ownership: as BatchingEmbedder; `backend` must outlive it.
#include <string>
#include <vector>

#include "shield/backend/batching_embedder.hpp"

namespace shield::backend {

class OllamaEmbedder final : public BatchingEmbedder {
 public:
  OllamaEmbedder(EmbedderSettings settings, Backend& backend, prometheus::Registry* registry);

  // The request body for `texts` (pure; exposed for tests).
  [[nodiscard]] static Json request_body(const EmbedderSettings& settings,
                                         const std::vector<std::string>& texts);
  // The vectors of an answer, or why the answer is unusable.
  [[nodiscard]] static tl::expected<Embeddings, std::string> parse_answer(const Json& body);
  // Rephrases a provider refusal so a person knows what to do (model missing, input too
  // long); other errors pass through unchanged.
  [[nodiscard]] static BackendError explain(BackendError error, const EmbedderSettings& settings,
                                            const std::vector<std::string>& texts);

 private:
  boost::asio::awaitable<CallResult<Embeddings>> embed_batch(const Batch& batch,
                                                             CancellationToken cancel) override;
  Backend& backend_;
};

}  // namespace shield::backend
