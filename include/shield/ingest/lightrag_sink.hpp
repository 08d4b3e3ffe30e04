#pragma once
// LightragSink: inserts documents into a LightRAG server (POST /documents/texts with
// {texts, file_sources}; the backend sends X-API-Key) and follows them with
// GET /documents/track_status/{track_id}. The track id is the remote job id.
//
// LightRAG keys a document by the hash of its text: inserting the same text again is
// answered "duplicated" and stores nothing, which makes a retried batch harmless (so the
// insert is marked idempotent). A source whose text changed is stored as a new document
// beside the old one; LightRAG has no replace-by-source. Documents with blank text are
// accepted without being sent.
//
// Threading: deliver() and remote_status() may run concurrently; no mutable state.
// Ownership: `lightrag` must outlive the sink.
// Errors: BackendError from the wrapper; an insert answered {status: "failure"} or without a
// track_id is backend_unavailable (retried by SinkDelivery).
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "shield/backend/backend.hpp"
#include "shield/ingest/sink.hpp"

namespace shield::ingest {

class LightragSink final : public Sink {
 public:
  explicit LightragSink(backend::Backend& lightrag);

  [[nodiscard]] std::string_view name() const override { return "lightrag"; }
  boost::asio::awaitable<backend::CallResult<SinkReceipt>> deliver(
      std::vector<Document> documents, CancellationToken cancel) override;
  // {remote_job_id, state, detail: {total_count, status_summary, failures: [{id, file_path,
  // error}]}}. state: failed if any document failed; succeeded when all are processed (or
  // none was new); running while any is processing; queued otherwise.
  boost::asio::awaitable<backend::CallResult<Json>> remote_status(
      std::string remote_job_id, CancellationToken cancel) override;

  // Pure shaping, exposed for tests.
  [[nodiscard]] static Json request_body(const std::vector<Document>& documents);
  [[nodiscard]] static tl::expected<Json, std::string> status_of(const std::string& track_id,
                                                                 const Json& body);

 private:
  backend::Backend& backend_;
};

}  // namespace shield::ingest
