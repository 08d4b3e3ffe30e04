#pragma once
// OrchestratorSink: hands documents to the orchestrator (POST /ingest-async, answered 202
// {job_id}) and reads the state of what it created (GET /jobs/{id}). The contract, request
// and answer schemas included, is docs/ORCHESTRATOR_API.md.
//
// Each request carries an Idempotency-Key derived from the job, the document ids and their
// texts, so a retry (by the backend wrapper, by SinkDelivery, or by a resumed job) of the
// same batch gets the same orchestrator job instead of ingesting twice; it is therefore
// marked idempotent and the wrapper retries it. A batch of more than 1,000 documents (the
// contract's maximum) goes out as several requests. Documents with blank text are accepted
// without being sent (the contract requires text) and listed in the receipt's details.
//
// Threading: deliver() and remote_status() may run concurrently; the sink holds no mutable
// state. Ownership: `orchestrator` must outlive the sink.
// Errors: BackendError from the wrapper; an answer without a job_id is backend_unavailable.
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "shield/backend/backend.hpp"
#include "shield/ingest/sink.hpp"

namespace shield::ingest {

class OrchestratorSink final : public Sink {
 public:
  static constexpr std::size_t kMaxDocumentsPerRequest = 1'000;

  explicit OrchestratorSink(backend::Backend& orchestrator);

  [[nodiscard]] std::string_view name() const override { return "orchestrator"; }
  boost::asio::awaitable<backend::CallResult<SinkReceipt>> deliver(
      std::vector<Document> documents, CancellationToken cancel) override;
  // {remote_job_id, state: queued|running|succeeded|failed|cancelled, detail: the JobStatus
  // answer}; a 404 is the value {state: "not_found", detail: the error body}.
  boost::asio::awaitable<backend::CallResult<Json>> remote_status(
      std::string remote_job_id, CancellationToken cancel) override;

  // Pure shaping, exposed for tests.
  // One IngestRequest Document: {text, metadata}. metadata.content_type is text/markdown
  // (the type of `text`); the extractor's metadata fills the contract's optional fields
  // (final_url, http_status — also taken from "status" —, fetched_at, depth, language) when
  // their values have the contract's types, and everything else, plus source_content_type
  // (the original's media type) and document_id, goes into attributes.
  [[nodiscard]] static Json document_body(const Document& document);
  [[nodiscard]] static Json request_body(const std::vector<Document>& documents);
  [[nodiscard]] static std::string idempotency_key(const std::vector<Document>& documents);
  [[nodiscard]] static tl::expected<Json, std::string> status_of(const std::string& remote_job_id,
                                                                 const Json& body);

 private:
  backend::Backend& backend_;
};

}  // namespace shield::ingest
