#include "shield/ingest/lightrag_sink.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "shield/backend/qdrant_client.hpp"
#include "sink_text.hpp"

namespace shield::ingest {
namespace {

backend::BackendError unusable_answer(const backend::Backend& backend, std::string_view what,
                                      std::string reason) {
  return backend::local_backend_error(
      backend, backend::BackendErrorCode::kUnavailable,
      fmt::format("LightRAG at {} sent an unusable answer to {}: {}", backend.base_url(), what,
                  reason),
      reason);
}

}  // namespace

LightragSink::LightragSink(backend::Backend& lightrag) : backend_(lightrag) {}

Json LightragSink::request_body(const std::vector<Document>& documents) {
  Json texts = Json::array();
  Json sources = Json::array();
  for (const auto& document : documents) {
    texts.push_back(document.markdown);
    sources.push_back(document.source);
  }
  return Json{{"texts", std::move(texts)}, {"file_sources", std::move(sources)}};
}

tl::expected<Json, std::string> LightragSink::status_of(const std::string& track_id,
                                                        const Json& body) {
  if (!body.is_object()) return tl::unexpected(std::string("the answer is not a JSON object"));
  const auto documents = body.find("documents");
  if (documents == body.end() || !documents->is_array()) {
    return tl::unexpected(std::string("no \"documents\" list in the answer"));
  }
  std::map<std::string, std::size_t> counts;
  Json failures = Json::array();
  for (const auto& item : *documents) {
    if (!item.is_object() || !item.contains("status") || !item["status"].is_string()) {
      return tl::unexpected(std::string("a document has no status"));
    }
    const auto status = item["status"].get<std::string>();
    ++counts[status];
    if (status == "failed") {
      failures.push_back(Json{
          {"id", item.value("id", "")},
          {"file_path", item.value("file_path", "")},
          {"error", item.contains("error_msg") && item["error_msg"].is_string() ? item["error_msg"]
                                                                                : Json("")}});
    }
  }
  const std::size_t total = documents->size();
  std::string state = "queued";
  if (counts["failed"] > 0) {
    state = "failed";
  } else if (counts["processed"] == total) {
    state = "succeeded";  // includes "nothing new": every text was already stored
  } else if (counts["processing"] > 0 || counts["preprocessed"] > 0 || counts["processed"] > 0) {
    state = "running";
  }
  Json summary = body.contains("status_summary") && body["status_summary"].is_object()
                     ? body["status_summary"]
                     : Json::object();
  return Json{
      {"remote_job_id", track_id},
      {"state", state},
      {"detail", {{"total_count", total}, {"status_summary", summary}, {"failures", failures}}}};
}

boost::asio::awaitable<backend::CallResult<SinkReceipt>> LightragSink::deliver(
    std::vector<Document> documents, CancellationToken cancel) {
  SinkReceipt receipt;
  receipt.accepted = documents.size();
  Json skipped = Json::array();
  std::vector<Document> sendable;
  for (auto& document : documents) {
    if (detail::is_blank(document.markdown)) {
      skipped.push_back(document.id);
    } else {
      sendable.push_back(std::move(document));
    }
  }
  receipt.details = Json{{"sent", sendable.size()}, {"skipped_blank", std::move(skipped)}};
  if (sendable.empty()) co_return receipt;

  backend::BackendRequest request;
  request.method = "POST";
  request.path = "/documents/texts";
  request.body = request_body(sendable);
  // LightRAG stores a text once: a repeat is answered "duplicated" and changes nothing.
  request.idempotent = true;
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) co_return tl::unexpected(std::move(answer.error()));
  const Json& body = answer->body;
  if (!body.is_object()) {
    co_return tl::unexpected(
        unusable_answer(backend_, "POST /documents/texts", "the answer is not a JSON object"));
  }
  const std::string status = body.value("status", "");
  const std::string message = body.value("message", "");
  if (status == "failure") {
    co_return tl::unexpected(backend::local_backend_error(
        backend_, backend::BackendErrorCode::kUnavailable,
        fmt::format("LightRAG at {} could not take the documents: {}", backend_.base_url(),
                    message.empty() ? std::string("no reason given") : message),
        message));
  }
  const auto track = body.find("track_id");
  if (track == body.end() || !track->is_string() || track->get<std::string>().empty()) {
    co_return tl::unexpected(unusable_answer(backend_, "POST /documents/texts", "no track_id"));
  }
  receipt.remote_job_ids.push_back(track->get<std::string>());
  receipt.details["status"] = status;
  receipt.details["message"] = message;
  receipt.details["track_id"] = *track;
  co_return receipt;
}

boost::asio::awaitable<backend::CallResult<Json>> LightragSink::remote_status(
    std::string remote_job_id, CancellationToken cancel) {
  backend::BackendRequest request;
  request.method = "GET";
  request.path = "/documents/track_status/" + backend::QdrantClient::encode_segment(remote_job_id);
  request.idempotent = true;
  auto answer = co_await backend_.call(std::move(request), std::move(cancel));
  if (!answer) co_return tl::unexpected(std::move(answer.error()));
  auto status = status_of(remote_job_id, answer->body);
  if (!status) {
    co_return tl::unexpected(
        unusable_answer(backend_, "GET /documents/track_status/{id}", status.error()));
  }
  co_return std::move(*status);
}

}  // namespace shield::ingest
