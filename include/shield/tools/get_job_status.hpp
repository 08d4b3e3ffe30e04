#pragma once
// get_job_status: the status of a background job by id.
//
// - The caller's own jobs (this daemon's engine, submitted by the same principal) answer
//   with Job::to_json() plus `remote`: the state of each ingestion job the sink created,
//   polled from the sink. A sink failure for one remote id shows as that entry's state
//   "unknown" with the backend error as detail; it does not fail the call.
// - Any other id (including another principal's job, so ids cannot be probed) is forwarded
//   to the orchestrator's GET /jobs/{id}. Unknown there (404), or with no orchestrator
//   configured: an isError result with code "job_not_found". Backend trouble: the usual
//   backend_failure shape.
// - wait_seconds > 0 waits until the job reaches a final state or the time is up, and
//   meanwhile sends progress through ToolContext::progress (notifications/progress when the
//   client passed a progressToken). A job whose progress has numeric `done` (and `total`)
//   reports those counters; otherwise each change counts one step. Own jobs are watched
//   (JobEngine::watch); foreign ids are polled at most once a second.
#include <chrono>
#include <cstdint>

#include "shield/ingest/retry_pause.hpp"
#include "shield/mcp/tool.hpp"
#include "shield/util/clock.hpp"

namespace shield::backend {
class Backend;
}
namespace shield::jobs {
class JobEngine;
}
namespace shield::ingest {
class Sink;
}

namespace shield::tools {

// The longest wait_seconds a call may ask for.
inline constexpr std::int64_t kMaxJobStatusWaitSeconds = 300;

// Everything the tool borrows must outlive it. At least one of `engine` and `orchestrator`
// should be set (tool_set registers the tool only then).
struct GetJobStatusDependencies {
  jobs::JobEngine* engine = nullptr;         // null: no jobs of our own
  ingest::Sink* sink = nullptr;              // null: remote ingestion states are not polled
  backend::Backend* orchestrator = nullptr;  // null: foreign ids are simply not found
  std::int64_t max_wait_s = kMaxJobStatusWaitSeconds;
  // Below: for tests. Null clock: SystemClock; empty pause: ingest::timer_pause().
  const Clock* clock = nullptr;
  ingest::RetryPause pause;
};

[[nodiscard]] mcp::ToolDefinition make_get_job_status(GetJobStatusDependencies dependencies);

// The readable text block of a status (either shape of structuredContent).
[[nodiscard]] std::string job_status_text(const mcp::Json& status);

}  // namespace shield::tools
