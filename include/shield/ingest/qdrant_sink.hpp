#pragma once
// QdrantSink: stores documents straight into Qdrant, no orchestrator needed. Each document
// is cut by the Chunker, the chunks are embedded (the Embedder batches and caches) and
// upserted in requests of at most points_per_request points, then the source's chunks past
// the new count are deleted, in one filter delete per batch.
//
// Point ids are chunk_point_id(source, chunk_index), so ingesting a source again overwrites
// its chunks in place and the stale-chunk delete removes the ones it no longer has: a
// re-ingested source is replaced, never duplicated. The payload is the one qdrant_find reads:
//   {document: <chunk text>, metadata: {<the document's metadata>..., source, title,
//    content_type, job_id, document_id, chunk_index, chunk_count, heading_path}}
// (the sink's own keys win over the document's metadata of the same name).
// The collection is created on first use (a 404 on upsert), sized by the embedding, with
// the configured distance and vector name; a collection whose vectors do not fit makes
// Qdrant refuse the upsert (backend_rejected, naming the expected size).
//
// Threading: deliver() may run concurrently for different jobs. Chunking is CPU work: with a
// `blocking` executor it runs there, otherwise on the caller's.
// Ownership: `qdrant` and `embedder` must outlive the sink.
// Errors: BackendError from Qdrant or the embedder.
#include <cstddef>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "shield/backend/embedder.hpp"
#include "shield/backend/qdrant_client.hpp"
#include "shield/ingest/chunker.hpp"
#include "shield/ingest/sink.hpp"

namespace shield::ingest {

struct QdrantSinkSettings {
  std::string collection;
  std::string vector_name;          // "" = the collection's unnamed vector
  std::string distance = "Cosine";  // for a collection this sink creates
  ChunkerOptions chunking;
  std::size_t points_per_request = 64;
  boost::asio::any_io_executor blocking;  // where chunking runs; empty = the caller's executor
};

class QdrantSink final : public Sink {
 public:
  QdrantSink(backend::Backend& qdrant, backend::Embedder& embedder, QdrantSinkSettings settings);

  [[nodiscard]] std::string_view name() const override { return "qdrant"; }
  boost::asio::awaitable<backend::CallResult<SinkReceipt>> deliver(
      std::vector<Document> documents, CancellationToken cancel) override;
  // No remote jobs: {remote_job_id, state: "done", detail: {}}.
  boost::asio::awaitable<backend::CallResult<Json>> remote_status(
      std::string remote_job_id, CancellationToken cancel) override;

  [[nodiscard]] const QdrantSinkSettings& settings() const { return settings_; }

  // Pure shaping, exposed for tests.
  [[nodiscard]] static Json chunk_payload(const Document& document, const Chunk& chunk,
                                          std::size_t chunk_count);
  // Points of `source` whose chunk_index is at least the new count, for every document of
  // a batch: {should: [{must: [source == s, chunk_index >= n]}, ...]}.
  [[nodiscard]] static Json stale_chunks_filter(
      const std::vector<std::pair<std::string, std::size_t>>& source_counts);

 private:
  boost::asio::awaitable<backend::CallResult<void>> upsert(std::vector<backend::Point> points,
                                                           CancellationToken cancel);
  boost::asio::awaitable<backend::CallResult<void>> delete_stale(
      const std::vector<std::pair<std::string, std::size_t>>& source_counts,
      CancellationToken cancel);

  backend::QdrantClient client_;
  backend::Embedder& embedder_;
  QdrantSinkSettings settings_;
  Chunker chunker_;
};

}  // namespace shield::ingest
