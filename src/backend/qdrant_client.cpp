#include "shield/backend/qdrant_client.hpp"

#include <array>
#include <cctype>
#include <utility>

#include <fmt/format.h>

namespace shield::backend {
namespace {

constexpr std::size_t kMaxCollectionName = 255;
constexpr std::string_view kForbidden = "/\\*<>:|?\"";

std::string collection_path(const std::string& collection) {
  return "/collections/" + QdrantClient::encode_segment(collection);
}

CallResult<void> ok() {
  return {};
}

// The node at `keys` below `root`, or null when any step is missing or not an object.
const Json* find_path(const Json& root, std::initializer_list<const char*> keys) {
  const Json* node = &root;
  for (const char* key : keys) {
    if (!node->is_object()) return nullptr;
    const auto found = node->find(key);
    if (found == node->end()) return nullptr;
    node = &*found;
  }
  return node;
}

}  // namespace

QdrantClient::QdrantClient(Backend& backend) : backend_(backend) {}

std::optional<BackendError> QdrantClient::refuse_bad_name(std::string_view collection) const {
  auto valid = validate_collection_name(collection);
  if (valid) return std::nullopt;
  return local_backend_error(backend_, BackendErrorCode::kRejected, valid.error().message);
}

Result<void> QdrantClient::validate_collection_name(std::string_view name) {
  if (name.empty()) return fail(ErrorCode::kInvalidArgument, "the collection name is empty");
  if (name.size() > kMaxCollectionName) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the collection name is {} bytes long; Qdrant allows at most {}",
                            name.size(), kMaxCollectionName));
  }
  if (name == "." || name == "..") {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a usable collection name", name));
  }
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      return fail(ErrorCode::kInvalidArgument, "the collection name contains a control character");
    }
    if (kForbidden.find(c) != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("the collection name '{}' contains '{}'; Qdrant forbids the "
                              "characters / \\ * < > : | ? \"",
                              name, c));
    }
  }
  return {};
}

std::string QdrantClient::encode_segment(std::string_view segment) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  out.reserve(segment.size());
  for (const char c : segment) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0x0FU]);
    }
  }
  return out;
}

std::optional<std::string> QdrantClient::canonical_distance(std::string_view distance) {
  static constexpr std::array<std::string_view, 4> kNames = {"Cosine", "Dot", "Euclid",
                                                             "Manhattan"};
  for (const std::string_view name : kNames) {
    if (name.size() != distance.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(name[i])) ==
             std::tolower(static_cast<unsigned char>(distance[i]));
    }
    if (same) return std::string(name);
  }
  return std::nullopt;
}

bool QdrantClient::is_missing_collection(const BackendError& error) {
  return error.code == BackendErrorCode::kRejected && error.http_status == 404;
}

Json QdrantClient::create_body(std::size_t dimensions, const std::string& distance,
                               const std::string& vector_name) {
  Json params{{"size", dimensions}, {"distance", distance}};
  if (vector_name.empty()) return Json{{"vectors", std::move(params)}};
  return Json{{"vectors", Json{{vector_name, std::move(params)}}}};
}

Json QdrantClient::upsert_body(const std::vector<Point>& points) {
  Json list = Json::array();
  for (const Point& point : points) {
    Json vector(point.vector);
    if (!point.vector_name.empty()) vector = Json{{point.vector_name, std::move(vector)}};
    list.push_back(
        Json{{"id", point.id}, {"vector", std::move(vector)}, {"payload", point.payload}});
  }
  return Json{{"points", std::move(list)}};
}

Json QdrantClient::query_body(const PointQuery& query) {
  Json body{{"query", query.vector}, {"limit", query.limit}, {"with_payload", true}};
  if (!query.vector_name.empty()) body["using"] = query.vector_name;
  if (query.offset > 0) body["offset"] = query.offset;
  if (query.score_threshold) body["score_threshold"] = *query.score_threshold;
  if (query.filter) body["filter"] = *query.filter;
  return body;
}

tl::expected<CollectionInfo, std::string> QdrantClient::parse_collection_info(const Json& body) {
  const Json* result = find_path(body, {"result"});
  if (result == nullptr || !result->is_object()) {
    return tl::unexpected(std::string("no \"result\" object in the collection info"));
  }
  const Json* found = find_path(*result, {"config", "params", "vectors"});
  if (found == nullptr || !found->is_object()) {
    return tl::unexpected(std::string("no config.params.vectors in the collection info"));
  }
  const Json& vectors = *found;
  const auto parse_params = [](const Json& node) -> std::optional<VectorParams> {
    if (!node.is_object()) return std::nullopt;
    const auto size = node.find("size");
    if (size == node.end() || !size->is_number_unsigned()) return std::nullopt;
    VectorParams params;
    params.size = size->get<std::size_t>();
    const auto distance = node.find("distance");
    if (distance != node.end() && distance->is_string())
      params.distance = distance->get<std::string>();
    return params;
  };
  CollectionInfo info;
  if (vectors.contains("size")) {
    info.unnamed = parse_params(vectors);
    if (!info.unnamed) return tl::unexpected(std::string("the vector size is not a number"));
  } else {
    for (const auto& [name, node] : vectors.items()) {
      if (auto params = parse_params(node)) info.named.emplace(name, std::move(*params));
    }
  }
  const auto count = result->find("points_count");
  if (count != result->end() && count->is_number_unsigned()) {
    info.points_count = count->get<std::uint64_t>();
  }
  return info;
}

tl::expected<std::vector<ScoredPoint>, std::string> QdrantClient::parse_query_answer(
    const Json& body) {
  const Json* points = find_path(body, {"result", "points"});
  if (points == nullptr || !points->is_array()) {
    return tl::unexpected(std::string("no result.points list in the answer"));
  }
  std::vector<ScoredPoint> out;
  out.reserve(points->size());
  for (const auto& point : *points) {
    if (!point.is_object() || !point.contains("id")) {
      return tl::unexpected(std::string("a point without an id"));
    }
    ScoredPoint scored;
    scored.id = point["id"];
    const auto score = point.find("score");
    if (score != point.end() && score->is_number()) scored.score = score->get<double>();
    const auto payload = point.find("payload");
    if (payload != point.end() && payload->is_object()) scored.payload = *payload;
    out.push_back(std::move(scored));
  }
  return out;
}

boost::asio::awaitable<CallResult<std::optional<CollectionInfo>>> QdrantClient::collection_info(
    std::string collection, CancellationToken cancel) {
  if (auto refused = refuse_bad_name(collection)) co_return tl::unexpected(std::move(*refused));
  BackendRequest request;
  request.method = "GET";
  request.path = collection_path(collection);
  request.idempotent = true;
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) {
    if (is_missing_collection(answer.error())) co_return std::optional<CollectionInfo>();
    co_return tl::unexpected(std::move(answer.error()));
  }
  auto info = parse_collection_info(answer->body);
  if (!info) {
    co_return tl::unexpected(local_backend_error(
        backend_, BackendErrorCode::kUnavailable,
        fmt::format("Qdrant at {} sent an unusable collection info for '{}': {}",
                    backend_.base_url(), collection, info.error()),
        info.error()));
  }
  co_return std::optional<CollectionInfo>(std::move(*info));
}

boost::asio::awaitable<CallResult<bool>> QdrantClient::create_collection(std::string collection,
                                                                         std::size_t dimensions,
                                                                         std::string distance,
                                                                         std::string vector_name,
                                                                         CancellationToken cancel) {
  if (auto refused = refuse_bad_name(collection)) co_return tl::unexpected(std::move(*refused));
  BackendRequest request;
  request.method = "PUT";
  request.path = collection_path(collection);
  request.body = create_body(dimensions, distance, vector_name);
  // A repeat after a lost answer meets 409, which means the same thing as success here.
  request.idempotent = true;
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) {
    if (answer.error().http_status == 409) co_return false;
    co_return tl::unexpected(std::move(answer.error()));
  }
  co_return true;
}

boost::asio::awaitable<CallResult<void>> QdrantClient::upsert(std::string collection,
                                                              std::vector<Point> points,
                                                              CancellationToken cancel) {
  if (auto refused = refuse_bad_name(collection)) co_return tl::unexpected(std::move(*refused));
  BackendRequest request;
  request.method = "PUT";
  request.path = collection_path(collection) + "/points?wait=true";
  request.body = upsert_body(points);
  request.idempotent = true;  // fixed point ids: a repeat writes the same points again
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) co_return tl::unexpected(std::move(answer.error()));
  co_return ok();
}

boost::asio::awaitable<CallResult<std::optional<std::vector<ScoredPoint>>>> QdrantClient::query(
    std::string collection, PointQuery query, CancellationToken cancel) {
  using Hits = std::optional<std::vector<ScoredPoint>>;
  if (auto refused = refuse_bad_name(collection)) co_return tl::unexpected(std::move(*refused));
  BackendRequest request;
  request.method = "POST";
  request.path = collection_path(collection) + "/points/query";
  request.body = query_body(query);
  request.idempotent = true;
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) {
    if (is_missing_collection(answer.error())) co_return Hits();
    co_return tl::unexpected(std::move(answer.error()));
  }
  auto points = parse_query_answer(answer->body);
  if (!points) {
    co_return tl::unexpected(
        local_backend_error(backend_, BackendErrorCode::kUnavailable,
                            fmt::format("Qdrant at {} sent an unusable query answer: {}",
                                        backend_.base_url(), points.error()),
                            points.error()));
  }
  co_return Hits(std::move(*points));
}

}  // namespace shield::backend
