#include "shield/backend/embedding_cache.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shield/metrics/metrics.hpp"

namespace shield::backend {
namespace {

using Key = EmbeddingCache::Key;

Key key_of(const std::string& text) {
  return EmbeddingCache::key("ollama", "nomic-embed-text", text);
}

std::vector<float> vec(std::size_t dims, float fill) {
  return std::vector<float>(dims, fill);
}

TEST(EmbeddingCacheKey, DependsOnProviderModelAndText) {
  const Key base = EmbeddingCache::key("ollama", "m", "text");
  EXPECT_EQ(base, EmbeddingCache::key("ollama", "m", "text"));
  EXPECT_NE(base, EmbeddingCache::key("openai", "m", "text"));
  EXPECT_NE(base, EmbeddingCache::key("ollama", "m2", "text"));
  EXPECT_NE(base, EmbeddingCache::key("ollama", "m", "text "));
  // The parts are separated, so moving a character across a boundary changes the key.
  EXPECT_NE(EmbeddingCache::key("ollama", "ab", "c"), EmbeddingCache::key("ollama", "a", "bc"));
}

TEST(EmbeddingCache, MissThenHitReturnsTheStoredVector) {
  EmbeddingCache cache(10, 1 << 20);
  EXPECT_FALSE(cache.find(key_of("a")).has_value());
  cache.insert(key_of("a"), {0.5F, -1.0F, 2.0F});
  const auto found = cache.find(key_of("a"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, (std::vector<float>{0.5F, -1.0F, 2.0F}));
  EXPECT_EQ(cache.hits(), 1U);
  EXPECT_EQ(cache.misses(), 1U);
  EXPECT_EQ(cache.entries(), 1U);
  EXPECT_EQ(cache.bytes(), EmbeddingCache::entry_bytes(3));
}

TEST(EmbeddingCache, EvictsTheLeastRecentlyUsedWhenOverTheEntryBound) {
  EmbeddingCache cache(3, 1 << 20);
  cache.insert(key_of("a"), vec(4, 1));
  cache.insert(key_of("b"), vec(4, 2));
  cache.insert(key_of("c"), vec(4, 3));
  // Touch "a" so "b" becomes the oldest.
  ASSERT_TRUE(cache.find(key_of("a")).has_value());
  cache.insert(key_of("d"), vec(4, 4));
  EXPECT_EQ(cache.entries(), 3U);
  EXPECT_FALSE(cache.find(key_of("b")).has_value());
  EXPECT_TRUE(cache.find(key_of("a")).has_value());
  EXPECT_TRUE(cache.find(key_of("c")).has_value());
  EXPECT_EQ(cache.find(key_of("d")).value_or(std::vector<float>{}), vec(4, 4));
}

TEST(EmbeddingCache, EvictsUntilTheByteBoundHolds) {
  const std::size_t one = EmbeddingCache::entry_bytes(100);
  EmbeddingCache cache(1000, 2 * one + one / 2);  // room for two 100-dim entries, not three
  cache.insert(key_of("a"), vec(100, 1));
  cache.insert(key_of("b"), vec(100, 2));
  EXPECT_EQ(cache.entries(), 2U);
  cache.insert(key_of("c"), vec(100, 3));
  EXPECT_EQ(cache.entries(), 2U);
  EXPECT_EQ(cache.bytes(), 2 * one);
  EXPECT_FALSE(cache.find(key_of("a")).has_value());
  EXPECT_TRUE(cache.find(key_of("b")).has_value());
  EXPECT_TRUE(cache.find(key_of("c")).has_value());

  // One big entry pushes out both small ones.
  const std::size_t big_dims = (2 * one - EmbeddingCache::kEntryOverheadBytes) / sizeof(float);
  cache.insert(key_of("big"), vec(big_dims, 9));
  EXPECT_EQ(cache.entries(), 1U);
  EXPECT_LE(cache.bytes(), 2 * one + one / 2);
  EXPECT_TRUE(cache.find(key_of("big")).has_value());
}

TEST(EmbeddingCache, AVectorLargerThanTheWholeBoundIsNotStored) {
  EmbeddingCache cache(10, EmbeddingCache::entry_bytes(8));
  cache.insert(key_of("small"), vec(8, 1));
  cache.insert(key_of("huge"), vec(9, 1));
  EXPECT_EQ(cache.entries(), 1U);
  EXPECT_TRUE(cache.find(key_of("small")).has_value());
  EXPECT_FALSE(cache.find(key_of("huge")).has_value());
}

TEST(EmbeddingCache, ReinsertingAKeyReplacesItsVectorAndRecountsBytes) {
  EmbeddingCache cache(10, 1 << 20);
  cache.insert(key_of("a"), vec(10, 1));
  cache.insert(key_of("a"), vec(20, 2));
  EXPECT_EQ(cache.entries(), 1U);
  EXPECT_EQ(cache.bytes(), EmbeddingCache::entry_bytes(20));
  EXPECT_EQ(cache.find(key_of("a")).value_or(std::vector<float>{}), vec(20, 2));
}

TEST(EmbeddingCache, ZeroBoundsDisableIt) {
  EmbeddingCache no_entries(0, 1 << 20);
  no_entries.insert(key_of("a"), vec(4, 1));
  EXPECT_FALSE(no_entries.find(key_of("a")).has_value());
  EXPECT_EQ(no_entries.entries(), 0U);

  EmbeddingCache no_bytes(10, 0);
  no_bytes.insert(key_of("a"), vec(4, 1));
  EXPECT_FALSE(no_bytes.find(key_of("a")).has_value());
  EXPECT_EQ(no_bytes.misses(), 1U);
}

TEST(EmbeddingCache, ExportsHitMissCountersAndSizeGauges) {
  metrics::Metrics metrics("test");
  EmbeddingCache cache(10, 1 << 20, &metrics.registry());
  (void)cache.find(key_of("a"));
  cache.insert(key_of("a"), vec(4, 1));
  cache.insert(key_of("b"), vec(4, 1));
  (void)cache.find(key_of("a"));
  (void)cache.find(key_of("a"));
  (void)cache.find(key_of("c"));

  const std::string text = metrics.serialize();
  EXPECT_NE(text.find("embedding_cache_requests_total{result=\"hit\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("embedding_cache_requests_total{result=\"miss\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("embedding_cache_entries 2"), std::string::npos) << text;
  EXPECT_NE(
      text.find("embedding_cache_bytes " + std::to_string(2 * EmbeddingCache::entry_bytes(4))),
      std::string::npos)
      << text;
}

TEST(EmbeddingCache, TwoCachesOnOneRegistryShareTheFamilies) {
  metrics::Metrics metrics("test");
  EmbeddingCache first(10, 1 << 20, &metrics.registry());
  EmbeddingCache second(10, 1 << 20, &metrics.registry());
  (void)first.find(key_of("x"));
  (void)second.find(key_of("x"));
  EXPECT_NE(metrics.serialize().find("embedding_cache_requests_total{result=\"miss\"} 2"),
            std::string::npos);
}

}  // namespace
}  // namespace shield::backend
