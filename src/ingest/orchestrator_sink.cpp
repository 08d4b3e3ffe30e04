#include "shield/ingest/orchestrator_sink.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "shield/backend/qdrant_client.hpp"
#include "shield/ingest/document_id.hpp"
#include "shield/util/rfc3339.hpp"
#include "sink_text.hpp"

namespace shield::ingest {
namespace {

constexpr std::string_view kTextMediaType = "text/markdown";

// What ajv's "uri" format accepts of the URLs a crawler records: an http(s) URL of printable
// ASCII without the characters RFC 3986 never allows.
bool is_http_url(const std::string& text) {
  if (!text.starts_with("http://") && !text.starts_with("https://")) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' &&
           c != '`' && c != '{' && c != '|' && c != '}';
  });
}

bool fits_contract(const std::string& key, const Json& value) {
  if (key == "final_url") return value.is_string() && is_http_url(value.get<std::string>());
  if (key == "http_status") {
    return value.is_number_integer() && value.get<std::int64_t>() >= 100 &&
           value.get<std::int64_t>() <= 599;
  }
  if (key == "fetched_at") return value.is_string() && is_rfc3339(value.get<std::string>());
  if (key == "depth") return value.is_number_integer() && value.get<std::int64_t>() >= 0;
  if (key == "language") {
    return value.is_string() && value.get<std::string>().size() >= 2 &&
           value.get<std::string>().size() <= 35;
  }
  return false;
}

backend::BackendError unusable_answer(const backend::Backend& backend, std::string_view what,
                                      const Json& body) {
  std::string excerpt = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (excerpt.size() > 200) excerpt = excerpt.substr(0, 200) + "...";
  return backend::local_backend_error(
      backend, backend::BackendErrorCode::kUnavailable,
      fmt::format("The orchestrator at {} sent an unusable answer to {}: {}", backend.base_url(),
                  what, excerpt),
      excerpt);
}

}  // namespace

OrchestratorSink::OrchestratorSink(backend::Backend& orchestrator) : backend_(orchestrator) {}

Json OrchestratorSink::document_body(const Document& document) {
  Json metadata{{"source", document.source},
                {"title", document.title},
                {"content_type", kTextMediaType},
                {"job_id", document.job_id}};
  Json attributes = Json::object();
  if (document.metadata.is_object()) {
    for (const auto& [key, value] : document.metadata.items()) {
      // The crawler records the fetch's status as "status"; the contract calls it http_status.
      const std::string field = key == "status" ? "http_status" : key;
      if (!metadata.contains(field) && fits_contract(field, value)) {
        metadata[field] = value;
      } else {
        attributes[key] = value;
      }
    }
  }
  if (!document.content_type.empty()) attributes["source_content_type"] = document.content_type;
  if (!document.id.empty()) attributes["document_id"] = document.id;
  metadata["attributes"] = std::move(attributes);
  return Json{{"text", document.markdown}, {"metadata", std::move(metadata)}};
}

Json OrchestratorSink::request_body(const std::vector<Document>& documents) {
  Json list = Json::array();
  for (const auto& document : documents) list.push_back(document_body(document));
  return Json{{"documents", std::move(list)}};
}

std::string OrchestratorSink::idempotency_key(const std::vector<Document>& documents) {
  // Everything that makes the batch what it is: the same documents with the same texts give
  // the same key, a document extracted anew with other text gives another.
  std::string name;
  for (const auto& document : documents) {
    name += document.job_id;
    name += '\n';
    name += document.id;
    name += '\n';
    name += std::to_string(document.markdown.size());
    name += '\n';
    name += document.markdown;
    name += '\n';
  }
  return "shield-" + document_id(name);
}

tl::expected<Json, std::string> OrchestratorSink::status_of(const std::string& remote_job_id,
                                                            const Json& body) {
  if (!body.is_object()) return tl::unexpected(std::string("the answer is not a JSON object"));
  const auto status = body.find("status");
  if (status == body.end() || !status->is_string()) {
    return tl::unexpected(std::string("no \"status\" in the answer"));
  }
  return Json{{"remote_job_id", remote_job_id}, {"state", *status}, {"detail", body}};
}

boost::asio::awaitable<backend::CallResult<SinkReceipt>> OrchestratorSink::deliver(
    std::vector<Document> documents, CancellationToken cancel) {
  SinkReceipt receipt;
  Json skipped = Json::array();
  std::vector<Document> sendable;
  sendable.reserve(documents.size());
  for (auto& document : documents) {
    if (detail::is_blank(document.markdown)) {
      skipped.push_back(document.id);
    } else {
      sendable.push_back(std::move(document));
    }
  }
  for (std::size_t start = 0; start < sendable.size(); start += kMaxDocumentsPerRequest) {
    const std::size_t end = std::min(sendable.size(), start + kMaxDocumentsPerRequest);
    const std::vector<Document> part(
        std::make_move_iterator(sendable.begin() + static_cast<std::ptrdiff_t>(start)),
        std::make_move_iterator(sendable.begin() + static_cast<std::ptrdiff_t>(end)));
    backend::BackendRequest request;
    request.method = "POST";
    request.path = "/ingest-async";
    request.body = request_body(part);
    request.headers.emplace_back("Idempotency-Key", idempotency_key(part));
    // The key makes a repeat return the first job instead of ingesting again.
    request.idempotent = true;
    auto answer = co_await backend_.call(std::move(request), cancel);
    if (!answer) co_return tl::unexpected(std::move(answer.error()));
    const Json& body = answer->body;
    const auto job_id = body.is_object() ? body.find("job_id") : body.end();
    if (!body.is_object() || job_id == body.end() || !job_id->is_string() ||
        job_id->get<std::string>().empty()) {
      co_return tl::unexpected(unusable_answer(backend_, "POST /ingest-async", body));
    }
    receipt.remote_job_ids.push_back(job_id->get<std::string>());
  }
  receipt.accepted = documents.size();
  receipt.details = Json{{"remote_job_ids", receipt.remote_job_ids},
                         {"sent", sendable.size()},
                         {"skipped_blank", std::move(skipped)}};
  co_return receipt;
}

boost::asio::awaitable<backend::CallResult<Json>> OrchestratorSink::remote_status(
    std::string remote_job_id, CancellationToken cancel) {
  backend::BackendRequest request;
  request.method = "GET";
  request.path = "/jobs/" + backend::QdrantClient::encode_segment(remote_job_id);
  request.idempotent = true;
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) {
    if (answer.error().http_status == 404) {
      co_return Json{{"remote_job_id", remote_job_id},
                     {"state", "not_found"},
                     {"detail", answer.error().body}};
    }
    co_return tl::unexpected(std::move(answer.error()));
  }
  auto status = status_of(remote_job_id, answer->body);
  if (!status) co_return tl::unexpected(unusable_answer(backend_, "GET /jobs/{id}", answer->body));
  co_return std::move(*status);
}

}  // namespace shield::ingest
