#pragma once
// EmbeddingCache: an LRU map from (provider, model, text) to the text's vector, bounded both
// in entries and in bytes, so repeated queries and re-stored documents skip the provider.
// The key is a SHA-1-based digest of the three parts, not the text itself, so a long
// document costs 16 bytes of key rather than its own length.
//
// Metrics (when given a registry): embedding_cache_requests_total{result="hit"|"miss"},
// embedding_cache_entries and embedding_cache_bytes.
//
// Threading: every member is safe from any thread (one mutex; no I/O under it).
// Ownership: registers on a registry it does not own, which must outlive the cache.
#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace shield::backend {

class EmbeddingCache {
 public:
  using Key = std::array<std::uint8_t, 16>;

  // What one entry is charged besides its floats: the key, the list node and the index slot.
  static constexpr std::size_t kEntryOverheadBytes = 96;

  // A bound of 0 (entries or bytes) disables the cache: nothing is stored, every lookup
  // misses.
  EmbeddingCache(std::size_t max_entries, std::size_t max_bytes,
                 prometheus::Registry* registry = nullptr);

  [[nodiscard]] static Key key(std::string_view provider, std::string_view model,
                               std::string_view text);
  // The bytes an entry of `dimensions` floats is charged.
  [[nodiscard]] static std::size_t entry_bytes(std::size_t dimensions);

  // The vector, refreshed as most recently used; counts a hit or a miss.
  [[nodiscard]] std::optional<std::vector<float>> find(const Key& key);
  // Stores (or refreshes) an entry, then evicts least recently used entries until both
  // bounds hold. A vector larger than the byte bound on its own is not stored.
  void insert(const Key& key, std::vector<float> vector);

  [[nodiscard]] std::size_t entries() const;
  [[nodiscard]] std::size_t bytes() const;
  [[nodiscard]] std::uint64_t hits() const;
  [[nodiscard]] std::uint64_t misses() const;

 private:
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };
  struct Entry {
    Key key;
    std::vector<float> vector;
  };
  using Order = std::list<Entry>;

  void evict_locked();
  void publish_locked();

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  Order order_;  // most recently used first
  std::unordered_map<Key, Order::iterator, KeyHash> index_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  prometheus::Counter* hit_counter_ = nullptr;
  prometheus::Counter* miss_counter_ = nullptr;
  prometheus::Gauge* entries_gauge_ = nullptr;
  prometheus::Gauge* bytes_gauge_ = nullptr;
};

}  // namespace shield::backend
