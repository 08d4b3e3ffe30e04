#pragma once
// The REST face of the job engine, on the MCP port and behind the same auth as /mcp:
//   GET    /jobs/{id}         the job's status JSON (404 for an unknown id)
//   GET    /jobs/{id}/events  Server-Sent Events, one per change, ids = the job's event
//                             seq, so Last-Event-ID resumes; the stream ends after the
//                             final state
//   DELETE /jobs/{id}         cancel; answers the job
//   POST   /jobs/{id}/retry   a failed or interrupted job back in the queue; 202 like an
//                             accepted upload (409 for a job in any other state)
//   POST   /ingest            multipart/form-data upload (file, doc_type?, metadata?),
//                             answered 202 with {job_id, status, track_url, poll_after_s}
// A job is visible only to the principal that submitted it: any other caller gets the
// same 404 as for an id that never existed, so ids cannot be probed.
//
// Threading: the handlers run on any io_context thread and never block (engine calls are
// awaited; SSE writes go through the connection's strand).
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "shield/http/router.hpp"
#include "shield/jobs/job_engine.hpp"

namespace shield::app {

// One uploaded document as POST /ingest received it. `data` points into the request body,
// which lives until the acceptor's awaitable completes.
struct IngestUpload {
  std::string filename;
  std::string content_type;  // as the client labelled the part
  std::string_view data;
  std::string doc_type = "auto";  // auto | pdf | docx | txt | md | html
  nlohmann::json metadata = nlohmann::json::object();
  std::string caller;
};

// Stores the upload durably and submits its ingest job. kInvalidArgument errors are the
// client's (400, message shown as is); kResourceExhausted is a full queue (503 with
// Retry-After); anything else is 500.
using UploadAcceptor =
    std::function<boost::asio::awaitable<Result<jobs::Job>>(IngestUpload upload)>;

struct JobRoutesOptions {
  // Prefix of track_url, e.g. "http://127.0.0.1:8765" (no trailing slash). A function: the
  // listener learns its port after the routes are added.
  std::function<std::string()> base_url;
  std::chrono::milliseconds sse_keepalive{15'000};
};

void add_job_routes(http::Router& router, jobs::JobEngine& engine,
                    boost::asio::any_io_executor executor, JobRoutesOptions options,
                    UploadAcceptor accept_upload);

}  // namespace shield::app
