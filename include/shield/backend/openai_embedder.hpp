#pragma once
// OpenAiEmbedder: the OpenAI-compatible POST /v1/embeddings {model, input: [...],
// encoding_format: "float", dimensions?} → {data: [{index, embedding}], ...}, as served by
// OpenAI, llama.cpp, vLLM, TEI, LiteLLM and Ollama. A base URL that already ends in /v1 is
// accepted (the request then goes to <base>/embeddings).
//
// Threading and ownership: as BatchingEmbedder; `backend` must outlive it.
#include <string>
#include <vector>

#include "shield/backend/batching_embedder.hpp"

namespace shield::backend {

class OpenAiEmbedder final : public BatchingEmbedder {
 public:
  OpenAiEmbedder(EmbedderSettings settings, Backend& backend, prometheus::Registry* registry);

  [[nodiscard]] static Json request_body(const EmbedderSettings& settings,
                                         const std::vector<std::string>& texts);
  // Vectors ordered by their `index` (providers may answer out of order).
  [[nodiscard]] static tl::expected<Embeddings, std::string> parse_answer(const Json& body,
                                                                          std::size_t expected);
  [[nodiscard]] static BackendError explain(BackendError error, const EmbedderSettings& settings,
                                            const std::vector<std::string>& texts);
  // "/v1/embeddings", or "/embeddings" when the base URL ends in /v1.
  [[nodiscard]] static std::string path_for(const std::string& base_url);

 private:
  boost::asio::awaitable<CallResult<Embeddings>> embed_batch(const Batch& batch,
                                                             CancellationToken cancel) override;
  Backend& backend_;
  std::string path_;
};

}  // namespace shield::backend
