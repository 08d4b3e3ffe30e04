#pragma once
// QdrantCollections: the collections qdrant_store and qdrant_find work on. It picks the
// collection of a call (the configured one, or the call's own unless config locks it),
// remembers each existing collection's vector layout so a search costs one Qdrant request,
// creates a collection on first store with the embedding's size and the configured
// distance, and says clearly when a collection cannot hold the model's vectors.
//
// Threading: every member is safe from any thread; the layout memo has its own mutex and
// no I/O happens under it. Ownership: `qdrant` must outlive this object.
// Errors: isError tool results, ready to return (codes collection_locked,
// invalid_arguments, collection_incompatible, dimension_mismatch, backend_*).
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <tl/expected.hpp>

#include "shield/backend/qdrant_client.hpp"
#include "shield/mcp/tool.hpp"
#include "shield/tools/qdrant_tool_settings.hpp"

namespace shield::tools {

template <class T>
using ToolOutcome = tl::expected<T, mcp::ToolResult>;

// Where a call's vectors go or are searched.
struct VectorTarget {
  std::string collection;
  std::string vector_name;  // "" = unnamed
  std::size_t dimensions = 0;
  bool created = false;  // qdrant_store created the collection during this call
};

class QdrantCollections {
 public:
  QdrantCollections(backend::Backend& qdrant, QdrantToolSettings settings);

  [[nodiscard]] const QdrantToolSettings& settings() const { return settings_; }
  [[nodiscard]] backend::QdrantClient& client() { return client_; }

  // The collection named by arguments["collection"], or the configured one.
  [[nodiscard]] ToolOutcome<std::string> choose(const mcp::Json& arguments) const;

  // The layout of `collection`, from memory or from Qdrant; nullopt when it does not exist.
  boost::asio::awaitable<ToolOutcome<std::optional<backend::CollectionInfo>>> describe(
      const std::string& collection, CancellationToken cancel);

  // Where vectors of `dimensions` (made by `model`) go, creating the collection when it does
  // not exist.
  boost::asio::awaitable<ToolOutcome<VectorTarget>> prepare_write(const std::string& collection,
                                                                  std::size_t dimensions,
                                                                  const std::string& model,
                                                                  CancellationToken cancel);

  // The vector of `info` the tools use: the configured vector_name, or the only vector.
  [[nodiscard]] ToolOutcome<VectorTarget> select_vector(const std::string& collection,
                                                        const backend::CollectionInfo& info) const;
  // dimension_mismatch unless `target` holds vectors of `dimensions`.
  [[nodiscard]] static ToolOutcome<void> check_dimensions(const VectorTarget& target,
                                                          std::size_t dimensions,
                                                          const std::string& model);

  // While Qdrant's circuit breaker is open: the refusal a call would get, obtained through
  // the wrapper (no I/O), so a tool fails fast instead of first spending an embedding on a
  // search or write that cannot happen. Otherwise (or if the breaker let this look through
  // as its half-open probe, and it succeeded) nothing.
  boost::asio::awaitable<ToolOutcome<void>> refuse_while_open(const std::string& collection,
                                                              CancellationToken cancel);

  // Drops what is remembered about `collection` (after Qdrant said it is gone or changed).
  void forget(const std::string& collection);

 private:
  static constexpr std::size_t kMaxRemembered = 1024;

  void remember(const std::string& collection, const backend::CollectionInfo& info);

  backend::QdrantClient client_;
  QdrantToolSettings settings_;
  mutable std::mutex mutex_;
  std::map<std::string, backend::CollectionInfo> layouts_;
};

}  // namespace shield::tools
