#include "shield/ingest/qdrant_sink.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "shield/ingest/document_id.hpp"
#include "shield/ingest/run_blocking.hpp"

namespace shield::ingest {
namespace {

// One chunk on its way to becoming a point.
struct PendingPoint {
  std::string id;
  std::string text;
  Json payload;
};

struct Chunked {
  std::vector<PendingPoint> points;
  std::vector<std::pair<std::string, std::size_t>> source_counts;
  Json per_document = Json::array();
};

Chunked chunk_all(const Chunker& chunker, const std::vector<Document>& documents) {
  // Two documents of one source in a batch would write the same point ids: the later wins,
  // as it would in two batches.
  std::map<std::string, std::size_t> last_of_source;
  for (std::size_t i = 0; i < documents.size(); ++i) last_of_source[documents[i].source] = i;
  Chunked out;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    const Document& document = documents[i];
    if (last_of_source[document.source] != i) continue;
    const std::vector<Chunk> chunks = chunker.split(document.markdown);
    for (const auto& chunk : chunks) {
      out.points.push_back(PendingPoint{chunk_point_id(document.source, chunk.index), chunk.text,
                                        QdrantSink::chunk_payload(document, chunk, chunks.size())});
    }
    out.source_counts.emplace_back(document.source, chunks.size());
    out.per_document.push_back(Json{{"id", document.id}, {"chunks", chunks.size()}});
  }
  return out;
}

}  // namespace

QdrantSink::QdrantSink(backend::Backend& qdrant, backend::Embedder& embedder,
                       QdrantSinkSettings settings)
    : client_(qdrant),
      embedder_(embedder),
      settings_(std::move(settings)),
      chunker_(settings_.chunking) {
  settings_.points_per_request = std::max<std::size_t>(settings_.points_per_request, 1);
}

Json QdrantSink::chunk_payload(const Document& document, const Chunk& chunk,
                               std::size_t chunk_count) {
  Json metadata = document.metadata.is_object() ? document.metadata : Json::object();
  metadata["source"] = document.source;
  metadata["title"] = document.title;
  metadata["content_type"] = document.content_type;
  metadata["job_id"] = document.job_id;
  metadata["document_id"] = document.id;
  metadata["chunk_index"] = chunk.index;
  metadata["chunk_count"] = chunk_count;
  metadata["heading_path"] = chunk.heading_path;
  return Json{{"document", chunk.text}, {"metadata", std::move(metadata)}};
}

Json QdrantSink::stale_chunks_filter(
    const std::vector<std::pair<std::string, std::size_t>>& source_counts) {
  Json should = Json::array();
  for (const auto& [source, count] : source_counts) {
    should.push_back(Json{{"must",
                           {Json{{"key", "metadata.source"}, {"match", {{"value", source}}}},
                            Json{{"key", "metadata.chunk_index"}, {"range", {{"gte", count}}}}}}});
  }
  return Json{{"should", std::move(should)}};
}

boost::asio::awaitable<backend::CallResult<void>> QdrantSink::upsert(
    std::vector<backend::Point> points, CancellationToken cancel) {
  auto stored = co_await client_.upsert(settings_.collection, points, cancel);
  if (stored || !backend::QdrantClient::is_missing_collection(stored.error())) co_return stored;
  // First use: make the collection the size of the vectors in hand.
  auto made = co_await client_.create_collection(settings_.collection, points.front().vector.size(),
                                                 settings_.distance, settings_.vector_name, cancel);
  if (!made) co_return tl::unexpected(std::move(made.error()));
  co_return co_await client_.upsert(settings_.collection, std::move(points), std::move(cancel));
}

boost::asio::awaitable<backend::CallResult<void>> QdrantSink::delete_stale(
    const std::vector<std::pair<std::string, std::size_t>>& source_counts,
    CancellationToken cancel) {
  if (source_counts.empty()) co_return backend::CallResult<void>();
  // POST /collections/{c}/points/delete with a FilterSelector (Qdrant OpenAPI
  // operation delete_points). QdrantClient has no call for it yet, so it goes through the
  // same backend wrapper directly.
  backend::BackendRequest request;
  request.method = "POST";
  request.path = "/collections/" + backend::QdrantClient::encode_segment(settings_.collection) +
                 "/points/delete?wait=true";
  request.body = Json{{"filter", stale_chunks_filter(source_counts)}};
  request.idempotent = true;  // deleting what is already gone changes nothing
  auto answer = co_await client_.backend().call(std::move(request), std::move(cancel));
  if (!answer && !backend::QdrantClient::is_missing_collection(answer.error())) {
    co_return tl::unexpected(std::move(answer.error()));
  }
  co_return backend::CallResult<void>();
}

boost::asio::awaitable<backend::CallResult<SinkReceipt>> QdrantSink::deliver(
    std::vector<Document> documents, CancellationToken cancel) {
  if (auto valid = backend::QdrantClient::validate_collection_name(settings_.collection); !valid) {
    co_return tl::unexpected(backend::local_backend_error(
        client_.backend(), backend::BackendErrorCode::kRejected, valid.error().message));
  }
  Chunked chunked;
  if (settings_.blocking) {
    chunked = co_await run_blocking(settings_.blocking,
                                    [this, &documents] { return chunk_all(chunker_, documents); });
  } else {
    chunked = chunk_all(chunker_, documents);
  }

  std::size_t dimensions = 0;
  for (std::size_t start = 0; start < chunked.points.size();
       start += settings_.points_per_request) {
    const std::size_t end = std::min(chunked.points.size(), start + settings_.points_per_request);
    std::vector<std::string> texts;
    texts.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) texts.push_back(chunked.points[i].text);
    auto vectors = co_await embedder_.embed(std::move(texts), cancel);
    if (!vectors) co_return tl::unexpected(std::move(vectors.error()));
    if (vectors->size() != end - start) {
      co_return tl::unexpected(
          backend::local_backend_error(client_.backend(), backend::BackendErrorCode::kUnavailable,
                                       fmt::format("the embedder returned {} vectors for {} chunks",
                                                   vectors->size(), end - start)));
    }
    std::vector<backend::Point> points;
    points.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) {
      backend::Point point;
      point.id = chunked.points[i].id;
      point.vector_name = settings_.vector_name;
      point.vector = std::move((*vectors)[i - start]);
      point.payload = std::move(chunked.points[i].payload);
      dimensions = point.vector.size();
      points.push_back(std::move(point));
    }
    if (auto stored = co_await upsert(std::move(points), cancel); !stored) {
      co_return tl::unexpected(std::move(stored.error()));
    }
  }
  // After the upserts, so a search never finds a source without its chunks.
  if (auto deleted = co_await delete_stale(chunked.source_counts, cancel); !deleted) {
    co_return tl::unexpected(std::move(deleted.error()));
  }

  SinkReceipt receipt;
  receipt.accepted = documents.size();
  receipt.details = Json{{"collection", settings_.collection},
                         {"chunks", chunked.points.size()},
                         {"dimensions", dimensions},
                         {"documents", std::move(chunked.per_document)}};
  co_return receipt;
}

boost::asio::awaitable<backend::CallResult<Json>> QdrantSink::remote_status(
    std::string remote_job_id, CancellationToken /*cancel*/) {
  co_return Json{
      {"remote_job_id", std::move(remote_job_id)}, {"state", "done"}, {"detail", Json::object()}};
}

}  // namespace shield::ingest
