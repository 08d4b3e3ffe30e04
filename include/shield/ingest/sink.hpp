#pragma once
// Sink: where extracted documents go (config [sink] kind): the orchestrator
// (POST /ingest-async), Qdrant (chunk, embed, upsert), a LightRAG server
// (POST /documents/texts) or a directory. Every network sink calls out through its
// backend::Backend, so breaker, bulkhead, timeouts and metrics apply.
//
// Threading: deliver() and remote_status() may run concurrently for different jobs.
// Errors: BackendError values (the same codes tools report); the directory sink reports
// disk trouble as backend_unavailable with backend "directory".
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "shield/backend/call_result.hpp"
#include "shield/ingest/document.hpp"
#include "shield/util/cancellation.hpp"

namespace shield::ingest {

// What a sink says after accepting a batch.
struct SinkReceipt {
  std::size_t accepted = 0;                 // documents taken
  std::vector<std::string> remote_job_ids;  // ingestion jobs it created (orchestrator, LightRAG)
  Json details = Json::object();            // sink-specific: chunks and point ids, files written
};

class Sink {
 public:
  virtual ~Sink() = default;
  // "orchestrator", "qdrant", "lightrag", "directory": the sink label of metrics.
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Hands a batch over. Idempotent per document id: delivering the same documents again
  // (a retry after a lost answer, a resumed job) replaces rather than duplicates.
  virtual boost::asio::awaitable<backend::CallResult<SinkReceipt>> deliver(
      std::vector<Document> documents, CancellationToken cancel) = 0;
  // The state of an ingestion job this sink created, as the remote service reports it
  // (normalised to {remote_job_id, state, detail}; state is queued, running, succeeded,
  // failed, cancelled, or not_found when the service no longer knows the id); sinks without
  // remote jobs return {state: "done"}.
  virtual boost::asio::awaitable<backend::CallResult<Json>> remote_status(
      std::string remote_job_id, CancellationToken cancel) = 0;
};

}  // namespace shield::ingest
