#include "shield/backend/embedding_cache.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid.hpp>

namespace shield::backend {
namespace {

// Namespace of the cache keys (a UUIDv5 per key gives a 122-bit SHA-1 digest through a
// public Boost API).
const boost::uuids::uuid& key_namespace() {
  static const boost::uuids::uuid ns =
      boost::uuids::string_generator()("6f1d2f0e-6c5b-4a49-9b0e-3f5f2c1d8a77");
  return ns;
}

}  // namespace

EmbeddingCache::EmbeddingCache(std::size_t max_entries, std::size_t max_bytes,
                               prometheus::Registry* registry)
    : max_entries_(max_entries), max_bytes_(max_bytes) {
  if (registry == nullptr) return;
  auto& requests = prometheus::BuildCounter()
                       .Name("embedding_cache_requests_total")
                       .Help("Embedding cache lookups, by result (hit or miss)")
                       .Register(*registry);
  hit_counter_ = &requests.Add({{"result", "hit"}});
  miss_counter_ = &requests.Add({{"result", "miss"}});
  entries_gauge_ = &prometheus::BuildGauge()
                        .Name("embedding_cache_entries")
                        .Help("Vectors held in the embedding cache")
                        .Register(*registry)
                        .Add({});
  bytes_gauge_ =
      &prometheus::BuildGauge()
           .Name("embedding_cache_bytes")
           .Help("Bytes charged to the embedding cache (vectors plus per-entry overhead)")
           .Register(*registry)
           .Add({});
}

EmbeddingCache::Key EmbeddingCache::key(std::string_view provider, std::string_view model,
                                        std::string_view text) {
  std::string name;
  name.reserve(provider.size() + model.size() + text.size() + 2);
  name.append(provider).push_back('\0');
  name.append(model).push_back('\0');
  name.append(text);
  const boost::uuids::uuid digest =
      boost::uuids::name_generator_sha1(key_namespace())(name.data(), name.size());
  Key key{};
  std::memcpy(key.data(), digest.data, key.size());
  return key;
}

std::size_t EmbeddingCache::entry_bytes(std::size_t dimensions) {
  return dimensions * sizeof(float) + kEntryOverheadBytes;
}

std::size_t EmbeddingCache::KeyHash::operator()(const Key& key) const noexcept {
  // The key is already a cryptographic digest: any 8 of its bytes are a good hash.
  std::size_t hash = 0;
  std::memcpy(&hash, key.data(), sizeof(hash));
  return hash;
}

std::optional<std::vector<float>> EmbeddingCache::find(const Key& key) {
  const std::lock_guard lock(mutex_);
  const auto found = index_.find(key);
  if (found == index_.end()) {
    ++misses_;
    if (miss_counter_ != nullptr) miss_counter_->Increment();
    return std::nullopt;
  }
  ++hits_;
  if (hit_counter_ != nullptr) hit_counter_->Increment();
  order_.splice(order_.begin(), order_, found->second);
  return found->second->vector;
}

void EmbeddingCache::insert(const Key& key, std::vector<float> vector) {
  const std::size_t cost = entry_bytes(vector.size());
  if (max_entries_ == 0 || cost > max_bytes_) return;
  const std::lock_guard lock(mutex_);
  if (const auto found = index_.find(key); found != index_.end()) {
    bytes_ -= entry_bytes(found->second->vector.size());
    found->second->vector = std::move(vector);
    order_.splice(order_.begin(), order_, found->second);
  } else {
    order_.push_front(Entry{key, std::move(vector)});
    index_.emplace(key, order_.begin());
  }
  bytes_ += cost;
  evict_locked();
  publish_locked();
}

void EmbeddingCache::evict_locked() {
  while (!order_.empty() && (order_.size() > max_entries_ || bytes_ > max_bytes_)) {
    const Entry& oldest = order_.back();
    bytes_ -= entry_bytes(oldest.vector.size());
    index_.erase(oldest.key);
    order_.pop_back();
  }
}

void EmbeddingCache::publish_locked() {
  if (entries_gauge_ != nullptr) entries_gauge_->Set(static_cast<double>(order_.size()));
  if (bytes_gauge_ != nullptr) bytes_gauge_->Set(static_cast<double>(bytes_));
}

std::size_t EmbeddingCache::entries() const {
  const std::lock_guard lock(mutex_);
  return order_.size();
}

std::size_t EmbeddingCache::bytes() const {
  const std::lock_guard lock(mutex_);
  return bytes_;
}

std::uint64_t EmbeddingCache::hits() const {
  const std::lock_guard lock(mutex_);
  return hits_;
}

std::uint64_t EmbeddingCache::misses() const {
  const std::lock_guard lock(mutex_);
  return misses_;
}

}  // namespace shield::backend
