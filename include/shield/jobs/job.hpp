#pragma once
// A job: one accepted unit of background work (a crawl, an ingestion), as the journal keeps
// it and as every surface shows it (the 202 answer, GET /jobs/{id}, get_job_status, MCP
// tasks). A Job is a plain value: a snapshot, copied freely, never shared mutable state.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace shield::jobs {

using Json = nlohmann::json;

enum class JobKind { kCrawl, kIngest };

// queued → running → succeeded | failed | cancelled. `interrupted` is where a crash leaves a
// running job that could not be resumed; it is final until someone retries it.
enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled, kInterrupted };

// "crawl", "ingest"; "queued", "running", "succeeded", "failed", "cancelled", "interrupted".
[[nodiscard]] std::string_view to_string(JobKind kind) noexcept;
[[nodiscard]] std::string_view to_string(JobState state) noexcept;
[[nodiscard]] std::optional<JobKind> parse_job_kind(std::string_view text) noexcept;
[[nodiscard]] std::optional<JobState> parse_job_state(std::string_view text) noexcept;
// succeeded, failed, cancelled and interrupted: nothing will change the job by itself.
[[nodiscard]] bool is_final(JobState state) noexcept;
// True for the shape of the ids this engine issues ("job_" + 26 base32 characters), so a
// caller can tell our ids from a remote service's (get_job_status forwards the others).
[[nodiscard]] bool looks_like_job_id(std::string_view text) noexcept;

struct JobError {
  std::string code;  // machine-readable: "sink_unavailable", "unreachable_start_url", ...
  std::string message;
};

struct Job {
  std::string id;  // "job_" + 26 base32 characters of 128 random bits: unguessable
  JobKind kind = JobKind::kIngest;
  JobState state = JobState::kQueued;
  std::string caller;           // the principal that submitted it
  Json input = Json::object();  // what the runner needs to (re)start it: tool arguments etc.
  // Counters the runner chose ({"pages_ok": 3, "pages_failed": 1, ...}) plus "message".
  Json progress = Json::object();
  std::optional<JobError> error;
  Json result = nullptr;                    // the runner's summary once succeeded (null before)
  std::vector<std::string> remote_job_ids;  // ingestion jobs the sink created for it
  std::int64_t created_at_ms = 0;           // Unix epoch milliseconds
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> started_at_ms;
  std::optional<std::int64_t> finished_at_ms;
  std::uint32_t attempts = 0;  // times it started running (a resume after a crash adds one)

  // {job_id, kind, state, caller, progress, error?, result, remote_job_ids, created_at,
  //  updated_at, started_at?, finished_at?, attempts}; times as RFC 3339 UTC strings. `input`
  // is left out: it may hold a whole uploaded document's reference or private arguments.
  [[nodiscard]] Json to_json() const;
};

// One change of a job, as GET /jobs/{id}/events streams it. `seq` starts at 1 per job and
// grows by one per event; it is the SSE event id, so Last-Event-ID resumes after it.
struct JobEvent {
  std::string job_id;
  std::uint64_t seq = 0;
  Json job;  // Job::to_json() after the change
};

// The answer to an accepted submission, the same from an async tool and from POST /ingest
// (the HTTP 202 pattern): {job_id, status: "accepted", kind, track_url, poll_after_s}.
// `base_url`: where this daemon is reached, e.g. "http://127.0.0.1:8765" (no trailing
// slash); track_url is base_url + "/jobs/" + id.
[[nodiscard]] Json accepted_json(const Job& job, std::string_view base_url,
                                 std::int64_t poll_after_s);

}  // namespace shield::jobs
