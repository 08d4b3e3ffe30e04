#include "shield/backend/ollama_embedder.hpp"

#include <utility>

#include <fmt/format.h>

#include "embedding_errors.hpp"

namespace shield::backend {

OllamaEmbedder::OllamaEmbedder(EmbedderSettings settings, Backend& backend,
                               prometheus::Registry* registry)
    : BatchingEmbedder(std::move(settings), backend.name(), backend.base_url(), registry),
      backend_(backend) {}

Json OllamaEmbedder::request_body(const EmbedderSettings& settings,
                                  const std::vector<std::string>& texts) {
  Json body{{"model", settings.model}, {"input", texts}, {"truncate", settings.truncate}};
  if (!settings.keep_alive.empty()) body["keep_alive"] = settings.keep_alive;
  if (settings.dimensions) body["dimensions"] = *settings.dimensions;
  return body;
}

tl::expected<Embeddings, std::string> OllamaEmbedder::parse_answer(const Json& body) {
  const auto list = body.is_object() ? body.find("embeddings") : body.end();
  if (!body.is_object() || list == body.end() || !list->is_array()) {
    return tl::unexpected(std::string("no \"embeddings\" list in the answer"));
  }
  Embeddings vectors;
  vectors.reserve(list->size());
  for (const auto& item : *list) {
    if (!item.is_array()) return tl::unexpected(std::string("an embedding is not a list"));
    Embedding vector;
    vector.reserve(item.size());
    for (const auto& value : item) {
      if (!value.is_number()) return tl::unexpected(std::string("an embedding holds a non-number"));
      vector.push_back(value.get<float>());
    }
    vectors.push_back(std::move(vector));
  }
  return vectors;
}

BackendError OllamaEmbedder::explain(BackendError error, const EmbedderSettings& settings,
                                     const std::vector<std::string>& texts) {
  const std::string said = detail::provider_message(error.body);
  if (!said.empty()) error.detail = said;
  if (detail::explain_auth(error, "Ollama")) return error;
  if (error.http_status == 404) {
    error.message = fmt::format(
        "embedding model '{}' is not available on Ollama at {}; pull it with `ollama pull {}`",
        settings.model, error.base_url, settings.model);
  } else if (error.http_status == 400 && (said.find("context length") != std::string::npos ||
                                          said.find("input length") != std::string::npos)) {
    error.message = fmt::format(
        "an input is longer than embedding model '{}' accepts (Ollama: {}); the longest input "
        "of the request is {}; shorten it or set the embedder's truncate = true",
        settings.model, said, detail::describe_longest(texts));
  } else if (error.http_status == 400) {
    error.message = fmt::format("Ollama at {} rejected the embedding request for model '{}': {}",
                                error.base_url, settings.model, said.empty() ? error.detail : said);
  }
  return error;
}

boost::asio::awaitable<CallResult<Embeddings>> OllamaEmbedder::embed_batch(
    const Batch& batch, CancellationToken cancel) {
  BackendRequest request;
  request.method = "POST";
  request.path = "/api/embed";
  request.body = request_body(settings(), batch.texts);
  request.idempotent = true;  // an embedding is a pure function of its input
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) {
    co_return tl::unexpected(explain(std::move(answer.error()), settings(), batch.texts));
  }
  auto vectors = parse_answer(answer->body);
  if (!vectors) co_return tl::unexpected(malformed_answer(std::move(vectors.error())));
  co_return std::move(*vectors);
}

}  // namespace shield::backend
