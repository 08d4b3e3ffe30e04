#pragma once
// ingest_doc: takes a document, answers at once with a job (the HTTP 202 pattern:
// {job_id, status: "accepted", kind, track_url, poll_after_s}) and extracts and delivers it
// to the configured sink in the background. The document travels inside the call as
// content_base64 + filename; it is stored durably before the job is accepted, so a crash
// after the answer loses nothing. Also runnable as an MCP task (taskSupport "optional"):
// the task is the job.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "shield/mcp/tool.hpp"

namespace shield::jobs {
class JobEngine;
struct Job;
}  // namespace shield::jobs
namespace shield::ingest {
class UploadStore;
}
namespace shield::mcp {
class TaskStore;
}

namespace shield::tools {

// Everything borrowed must outlive the tool.
struct IngestDocDependencies {
  jobs::JobEngine* engine = nullptr;
  ingest::UploadStore* uploads = nullptr;
  std::shared_ptr<mcp::TaskStore> tasks;  // the jobs-backed task store
  std::function<std::string()> base_url;  // prefix of track_url; empty function: paths only
};

[[nodiscard]] mcp::ToolDefinition make_ingest_doc(IngestDocDependencies dependencies);

// How an ingest job reads as ingest_doc's result once it ended (the MCP task's result), in the
// tool's outputSchema: succeeded → {job_id, status: "succeeded", kind, track_url,
// poll_after_s, result: the job's summary}; failed, interrupted or cancelled → an isError
// result naming the job's error.
[[nodiscard]] mcp::ToolResult ingest_job_result(const jobs::Job& job, std::string_view base_url,
                                                std::int64_t poll_after_s);

}  // namespace shield::tools
