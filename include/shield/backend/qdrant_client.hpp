#pragma once
// QdrantClient: the Qdrant REST calls the tools make, through the backend wrapper (breaker,
// bulkhead, retries, metrics). Collection names are checked before any I/O and
// percent-encoded into the path. Queries use the universal POST /points/query API.
//
// Threading: every call may be awaited concurrently from any io_context thread; the client
// holds no mutable state. Ownership: `backend` must outlive the client.
// Errors: BackendError as Backend::call gives it; a missing collection is a value
// (nullopt), not an error, where a caller has a use for knowing it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "shield/backend/call_result.hpp"
#include "shield/util/error.hpp"

namespace shield::backend {

struct VectorParams {
  std::size_t size = 0;
  std::string distance;  // "Cosine", "Dot", "Euclid", "Manhattan"
};

// The dense vectors of a collection: one unnamed vector, or named ones.
struct CollectionInfo {
  std::optional<VectorParams> unnamed;
  std::map<std::string, VectorParams> named;
  std::uint64_t points_count = 0;
};

struct Point {
  std::string id;           // a UUID
  std::string vector_name;  // "" = the unnamed vector
  std::vector<float> vector;
  Json payload = Json::object();
};

struct PointQuery {
  std::vector<float> vector;
  std::string vector_name;  // `using`; "" = the unnamed vector
  std::size_t limit = 5;
  std::size_t offset = 0;
  std::optional<double> score_threshold;
  std::optional<Json> filter;  // a Qdrant Filter object, already validated by the caller
};

struct ScoredPoint {
  Json id;  // unsigned integer or UUID string, as stored
  double score = 0;
  Json payload = Json::object();
};

class QdrantClient {
 public:
  explicit QdrantClient(Backend& backend);

  // Qdrant's own rule (1..255 characters, none of / \ NUL * < > : | ? ") plus no control
  // characters and no "." or ".."; kInvalidArgument saying what is wrong.
  [[nodiscard]] static Result<void> validate_collection_name(std::string_view name);
  // RFC 3986 percent-encoding of one path segment (everything but unreserved characters).
  [[nodiscard]] static std::string encode_segment(std::string_view segment);
  // "Cosine" for "cosine", "COSINE", ...; nullopt for an unknown distance.
  [[nodiscard]] static std::optional<std::string> canonical_distance(std::string_view distance);

  // GET /collections/{c}: its vectors, or nullopt when it does not exist.
  boost::asio::awaitable<CallResult<std::optional<CollectionInfo>>> collection_info(
      std::string collection, CancellationToken cancel = {});
  // PUT /collections/{c} with one dense vector (named when `vector_name` is not empty).
  // True when created, false when it already existed (a concurrent creator won).
  boost::asio::awaitable<CallResult<bool>> create_collection(std::string collection,
                                                             std::size_t dimensions,
                                                             std::string distance,
                                                             std::string vector_name,
                                                             CancellationToken cancel = {});
  // PUT /collections/{c}/points?wait=true. Points with fixed ids make it idempotent. A
  // missing collection is a BackendError for which is_missing_collection() holds.
  boost::asio::awaitable<CallResult<void>> upsert(std::string collection, std::vector<Point> points,
                                                  CancellationToken cancel = {});
  // POST /collections/{c}/points/query with the payload. nullopt when the collection does
  // not exist.
  boost::asio::awaitable<CallResult<std::optional<std::vector<ScoredPoint>>>> query(
      std::string collection, PointQuery query, CancellationToken cancel = {});

  // Pure request/answer shaping, exposed for tests.
  [[nodiscard]] static Json query_body(const PointQuery& query);
  [[nodiscard]] static Json upsert_body(const std::vector<Point>& points);
  [[nodiscard]] static Json create_body(std::size_t dimensions, const std::string& distance,
                                        const std::string& vector_name);
  [[nodiscard]] static tl::expected<CollectionInfo, std::string> parse_collection_info(
      const Json& body);
  [[nodiscard]] static tl::expected<std::vector<ScoredPoint>, std::string> parse_query_answer(
      const Json& body);
  // True for Qdrant's 404 "Collection `x` doesn't exist!".
  [[nodiscard]] static bool is_missing_collection(const BackendError& error);

  [[nodiscard]] Backend& backend() const { return backend_; }

 private:
  // The error every call answers for a bad collection name, before any I/O.
  [[nodiscard]] std::optional<BackendError> refuse_bad_name(std::string_view collection) const;

  Backend& backend_;
};

}  // namespace shield::backend
