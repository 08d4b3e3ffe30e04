#include "shield/backend/openai_embedder.hpp"

#include <utility>

#include <fmt/format.h>

#include "embedding_errors.hpp"

namespace shield::backend {

OpenAiEmbedder::OpenAiEmbedder(EmbedderSettings settings, Backend& backend,
                               prometheus::Registry* registry)
    : BatchingEmbedder(std::move(settings), backend.name(), backend.base_url(), registry),
      backend_(backend),
      path_(path_for(backend.base_url())) {}

std::string OpenAiEmbedder::path_for(const std::string& base_url) {
  std::string_view base = base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return base.ends_with("/v1") ? "/embeddings" : "/v1/embeddings";
}

Json OpenAiEmbedder::request_body(const EmbedderSettings& settings,
                                  const std::vector<std::string>& texts) {
  Json body{{"model", settings.model}, {"input", texts}, {"encoding_format", "float"}};
  if (settings.dimensions) body["dimensions"] = *settings.dimensions;
  return body;
}

tl::expected<Embeddings, std::string> OpenAiEmbedder::parse_answer(const Json& body,
                                                                   std::size_t expected) {
  const auto data = body.is_object() ? body.find("data") : body.end();
  if (!body.is_object() || data == body.end() || !data->is_array()) {
    return tl::unexpected(std::string("no \"data\" list in the answer"));
  }
  if (data->size() != expected) {
    return tl::unexpected(fmt::format("{} embeddings for {} inputs", data->size(), expected));
  }
  Embeddings vectors(expected);
  std::vector<bool> filled(expected, false);
  for (const auto& item : *data) {
    const auto index = item.is_object() ? item.find("index") : item.end();
    const auto embedding = item.is_object() ? item.find("embedding") : item.end();
    if (index == item.end() || !index->is_number_unsigned() || embedding == item.end()) {
      return tl::unexpected(std::string("an entry of \"data\" lacks index or embedding"));
    }
    const auto at = index->get<std::size_t>();
    if (at >= expected || filled[at]) {
      return tl::unexpected(fmt::format("embedding index {} is out of range or repeated", at));
    }
    if (!embedding->is_array()) {
      return tl::unexpected(std::string("an embedding is not a list of floats"));
    }
    Embedding& vector = vectors[at];
    vector.reserve(embedding->size());
    for (const auto& value : *embedding) {
      if (!value.is_number()) return tl::unexpected(std::string("an embedding holds a non-number"));
      vector.push_back(value.get<float>());
    }
    filled[at] = true;
  }
  return vectors;
}

BackendError OpenAiEmbedder::explain(BackendError error, const EmbedderSettings& settings,
                                     const std::vector<std::string>& texts) {
  const std::string said = detail::provider_message(error.body);
  if (!said.empty()) error.detail = said;
  if (detail::explain_auth(error, "The embedding provider")) return error;
  const bool too_long = said.find("context length") != std::string::npos ||
                        said.find("too long") != std::string::npos ||
                        said.find("maximum") != std::string::npos;
  if (error.http_status == 404) {
    error.message = fmt::format(
        "embedding model '{}' is not available at {}{}; check the embedder's model setting",
        settings.model, error.base_url, said.empty() ? "" : " (the provider said: " + said + ")");
  } else if ((error.http_status == 400 || error.http_status == 413) && too_long) {
    error.message = fmt::format(
        "an input is longer than embedding model '{}' accepts ({}); the longest input of the "
        "request is {}; shorten it",
        settings.model, said, detail::describe_longest(texts));
  } else if (error.http_status == 400) {
    error.message =
        fmt::format("the embedding provider at {} rejected the request for model '{}': {}",
                    error.base_url, settings.model, said.empty() ? error.detail : said);
  }
  return error;
}

boost::asio::awaitable<CallResult<Embeddings>> OpenAiEmbedder::embed_batch(
    const Batch& batch, CancellationToken cancel) {
  BackendRequest request;
  request.method = "POST";
  request.path = path_;
  request.body = request_body(settings(), batch.texts);
  request.idempotent = true;  // an embedding is a pure function of its input
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) {
    co_return tl::unexpected(explain(std::move(answer.error()), settings(), batch.texts));
  }
  auto vectors = parse_answer(answer->body, batch.texts.size());
  if (!vectors) co_return tl::unexpected(malformed_answer(std::move(vectors.error())));
  co_return std::move(*vectors);
}

}  // namespace shield::backend
