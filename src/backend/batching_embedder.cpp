#include "shield/backend/batching_embedder.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

namespace shield::backend {

BatchingEmbedder::BatchingEmbedder(EmbedderSettings settings, std::string backend_name,
                                   std::string base_url, prometheus::Registry* registry)
    : settings_(std::move(settings)),
      provider_(to_string(settings_.provider)),
      backend_name_(std::move(backend_name)),
      base_url_(std::move(base_url)),
      cache_model_(settings_.dimensions
                       ? fmt::format("{}@{}", settings_.model, *settings_.dimensions)
                       : settings_.model),
      cache_(settings_.cache_entries, settings_.cache_bytes, registry),
      limit_(settings_.max_concurrency) {
  if (settings_.batch_size == 0) settings_.batch_size = 1;
}

std::optional<std::size_t> BatchingEmbedder::dimensions() const {
  if (settings_.dimensions) return settings_.dimensions;
  const std::size_t seen = dimensions_.load();
  if (seen == 0) return std::nullopt;
  return seen;
}

BackendError BatchingEmbedder::malformed_answer(std::string detail) const {
  BackendError error;
  error.code = BackendErrorCode::kUnavailable;
  error.backend = backend_name_;
  error.base_url = base_url_;
  error.message =
      fmt::format("the embedding provider at {} sent an unusable answer for model '{}': {}",
                  base_url_, settings_.model, detail);
  error.detail = std::move(detail);
  return error;
}

boost::asio::awaitable<CallResult<Embeddings>> BatchingEmbedder::embed(
    std::vector<std::string> texts, CancellationToken cancel) {
  Embeddings out(texts.size());
  // Texts that repeat within the call are sent once; `copies` says where the rest go.
  std::vector<std::pair<std::size_t, std::size_t>> copies;  // (position, position of first)
  std::unordered_map<std::string_view, std::size_t> first_seen;
  std::vector<EmbeddingCache::Key> keys(texts.size());
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (const auto earlier = first_seen.find(texts[i]); earlier != first_seen.end()) {
      copies.emplace_back(i, earlier->second);
      continue;
    }
    first_seen.emplace(texts[i], i);
    keys[i] = EmbeddingCache::key(provider_, cache_model_, texts[i]);
    if (auto cached = cache_.find(keys[i])) {
      out[i] = std::move(*cached);
    } else {
      missing.push_back(i);
    }
  }

  for (std::size_t start = 0; start < missing.size(); start += settings_.batch_size) {
    const std::size_t end = std::min(missing.size(), start + settings_.batch_size);
    Batch batch;
    batch.positions.assign(missing.begin() + static_cast<std::ptrdiff_t>(start),
                           missing.begin() + static_cast<std::ptrdiff_t>(end));
    batch.texts.reserve(batch.positions.size());
    for (const std::size_t position : batch.positions) batch.texts.push_back(texts[position]);

    auto vectors = co_await run_batch(batch, cancel);
    if (!vectors) co_return tl::unexpected(std::move(vectors.error()));
    for (std::size_t j = 0; j < batch.positions.size(); ++j) {
      const std::size_t position = batch.positions[j];
      cache_.insert(keys[position], (*vectors)[j]);
      out[position] = std::move((*vectors)[j]);
    }
  }
  for (const auto& [position, first] : copies) out[position] = out[first];
  co_return out;
}

boost::asio::awaitable<CallResult<Embeddings>> BatchingEmbedder::run_batch(
    Batch batch, CancellationToken cancel) {
  auto permit = co_await limit_.acquire(cancel);
  if (!permit) {
    BackendError error;
    error.code = BackendErrorCode::kCancelled;
    error.backend = backend_name_;
    error.base_url = base_url_;
    error.message = "the embedding request was cancelled";
    co_return tl::unexpected(std::move(error));
  }
  auto vectors = co_await embed_batch(batch, cancel);
  permit->release();
  if (!vectors) co_return vectors;
  if (auto checked = check_answer(batch, *vectors); !checked) {
    co_return tl::unexpected(std::move(checked.error()));
  }
  co_return vectors;
}

CallResult<void> BatchingEmbedder::check_answer(const Batch& batch, const Embeddings& vectors) {
  if (vectors.size() != batch.texts.size()) {
    return tl::unexpected(malformed_answer(
        fmt::format("{} vectors for {} inputs", vectors.size(), batch.texts.size())));
  }
  const std::size_t size = vectors.front().size();
  if (size == 0) return tl::unexpected(malformed_answer("an empty vector"));
  for (const auto& vector : vectors) {
    if (vector.size() != size) {
      return tl::unexpected(malformed_answer(fmt::format(
          "vectors of different sizes in one answer ({} and {})", size, vector.size())));
    }
  }
  if (settings_.dimensions && size != *settings_.dimensions) {
    return tl::unexpected(malformed_answer(
        fmt::format("asked for {}-dim vectors, got {}; the model may not support `dimensions`",
                    *settings_.dimensions, size)));
  }
  std::size_t expected = 0;
  if (!dimensions_.compare_exchange_strong(expected, size) && expected != size) {
    return tl::unexpected(malformed_answer(fmt::format(
        "model '{}' produced {}-dim vectors earlier and {}-dim vectors now; was it replaced?",
        settings_.model, expected, size)));
  }
  return {};
}

}  // namespace shield::backend
