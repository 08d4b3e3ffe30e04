#include "shield/tools/ingest_doc.hpp"

#include <utility>

#include <fmt/format.h>

#include "shield/ingest/ingest_runner.hpp"
#include "shield/ingest/upload_store.hpp"
#include "shield/jobs/job_engine.hpp"
#include "shield/tools/output_schema.hpp"
#include "shield/tools/tool_annotations.hpp"
#include "shield/util/base64.hpp"

namespace shield::tools {
namespace {

using mcp::Json;
using mcp::ToolResult;

constexpr std::size_t kMaxFilenameLength = 255;

Json input_schema() {
  return Json{{"type", "object"},
              {"additionalProperties", false},
              {"required", {"content_base64", "filename"}},
              {"properties",
               {{"content_base64",
                 {{"type", "string"},
                  {"minLength", 1},
                  {"description",
                   "The document's bytes, Base64-encoded (RFC 4648, standard alphabet, padded)."}}},
                {"filename",
                 {{"type", "string"},
                  {"minLength", 1},
                  {"maxLength", kMaxFilenameLength},
                  {"pattern", "^[^/\\\\]+$"},
                  {"description",
                   "The document's file name, e.g. \"notes.md\": labels the document and, with "
                   "doc_type auto, helps tell its type."}}},
                {"doc_type",
                 {{"type", "string"},
                  {"enum", {"auto", "pdf", "docx", "txt", "md", "html"}},
                  {"default", "auto"},
                  {"description",
                   "The document's type; auto detects it from its bytes and file name. A type that "
                   "does not match the bytes fails the job with a clear error."}}},
                {"metadata",
                 {{"type", "object"},
                  {"description",
                   "Attached to every document extracted, e.g. {\"team\": \"docs\"}; searchable in "
                   "the sink."}}}}}};
}

Json output_schema() {
  return output_schema_with_error(
      Json{{"type", "object"},
           {"additionalProperties", false},
           {"required", {"job_id", "status", "kind", "track_url", "poll_after_s"}},
           {"properties",
            {{"job_id", {{"type", "string"}}},
             // "accepted" when the call answers; "succeeded" in the result of its task.
             {"status", {{"type", "string"}, {"enum", {"accepted", "succeeded"}}}},
             {"kind", {{"type", "string"}}},
             {"track_url", {{"type", "string"}}},
             {"poll_after_s", {{"type", "integer"}, {"minimum", 0}}},
             {"result", {{"type", "object"}}}}}});
}

// Stores the document and submits its job; an Error says what the caller must change
// (kInvalidArgument), that the queue is full (kResourceExhausted) or that the disk failed.
boost::asio::awaitable<Result<jobs::Job>> submit(const IngestDocDependencies& dependencies,
                                                 const Json& arguments, const std::string& caller) {
  const auto& encoded = arguments.at("content_base64").get_ref<const std::string&>();
  std::optional<std::string> bytes = decode_base64_strict(encoded);
  if (!bytes) {
    co_return fail(ErrorCode::kInvalidArgument,
                   "content_base64 is not valid Base64 (RFC 4648: standard alphabet, padded "
                   "with '=' to a multiple of 4 characters, no line breaks)");
  }
  if (bytes->empty()) co_return fail(ErrorCode::kInvalidArgument, "content_base64 is empty");
  auto keeping = dependencies.uploads->keep(*bytes);
  auto source = co_await std::move(keeping);
  if (!source) co_return tl::unexpected(source.error());
  Json input = Json::object();
  input["source"] = std::move(*source);
  input["filename"] = arguments.at("filename");
  input["doc_type"] = arguments.value("doc_type", std::string("auto"));
  input["metadata"] = arguments.value("metadata", Json::object());
  const Json submitted_input = input;
  auto job = co_await dependencies.engine->submit(jobs::JobKind::kIngest, std::move(input), caller);
  if (!job) {
    // Nothing refers to a stored file now; the start-up sweep would remove it too.
    if (auto stored = ingest::upload_of(submitted_input); stored) {
      auto removing = dependencies.uploads->remove(*stored);
      auto removed = co_await std::move(removing);
      (void)removed;
    }
  }
  co_return job;
}

std::string accepted_text(const Json& accepted) {
  return fmt::format(
      "Accepted: ingest job {} is queued. Check it with get_job_status (job_id \"{}\") or GET "
      "{} after about {} s.",
      accepted.at("job_id").get<std::string>(), accepted.at("job_id").get<std::string>(),
      accepted.at("track_url").get<std::string>(), accepted.at("poll_after_s").get<int>());
}

ToolResult refusal(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return ToolResult::error("invalid_arguments", error.message);
    case ErrorCode::kResourceExhausted:
      return ToolResult::error("busy", error.message);
    default:
      return ToolResult::error("ingest_unavailable",
                               "the document could not be accepted: " + error.message);
  }
}

}  // namespace

ToolResult ingest_job_result(const jobs::Job& job, std::string_view base_url,
                             std::int64_t poll_after_s) {
  Json details = Json{{"job_id", job.id}, {"track_url", std::string(base_url) + "/jobs/" + job.id}};
  switch (job.state) {
    case jobs::JobState::kSucceeded: {
      Json done = jobs::accepted_json(job, base_url, poll_after_s);
      done["status"] = "succeeded";
      done["result"] = job.result.is_object() ? job.result : Json::object();
      const Json& summary = done["result"];
      ToolResult result = ToolResult::text(
          fmt::format("Ingest job {} succeeded: {} of {} document(s) delivered to the {} sink.",
                      job.id, summary.value("delivered", 0), summary.value("documents", 0),
                      summary.value("sink", std::string("configured"))));
      result.structured = std::move(done);
      return result;
    }
    case jobs::JobState::kCancelled:
      return ToolResult::error("cancelled", "ingest job " + job.id + " was cancelled",
                               std::move(details));
    case jobs::JobState::kFailed:
    case jobs::JobState::kInterrupted: {
      const std::string code = job.error ? job.error->code : std::string("job_failed");
      const std::string why = job.error ? job.error->message : std::string("no reason recorded");
      return ToolResult::error(
          code, "ingest job " + job.id + " " + std::string(to_string(job.state)) + ": " + why,
          std::move(details));
    }
    default:
      // Not final: what the call itself answers.
      Json accepted = jobs::accepted_json(job, base_url, poll_after_s);
      ToolResult result = ToolResult::text(accepted_text(accepted));
      result.structured = std::move(accepted);
      return result;
  }
}

mcp::ToolDefinition make_ingest_doc(IngestDocDependencies dependencies) {
  auto shared = std::make_shared<IngestDocDependencies>(std::move(dependencies));
  mcp::ToolDefinition tool;
  tool.name = "ingest_doc";
  tool.title = "Ingest a document";
  tool.description =
      "Adds a document (Markdown or plain text; PDF, DOCX and HTML are detected but not yet "
      "extracted) to the knowledge base. Send its bytes Base64-encoded with its file name. "
      "Answers at once with a job id; the document is extracted and handed to the configured "
      "sink in the background, and survives a restart. Follow it with get_job_status "
      "(wait_seconds lets you wait with progress) or run this tool as a task.";
  tool.input_schema = input_schema();
  tool.output_schema = output_schema();
  // Each call makes a new job, but the sink replaces documents by id, so a repeat adds
  // nothing twice.
  tool.annotations = tool_annotations(
      tool.title,
      ToolHints{.read_only = false, .destructive = false, .idempotent = true, .open_world = false});
  tool.handler = [shared](Json arguments,
                          mcp::ToolContext context) -> boost::asio::awaitable<ToolResult> {
    auto job = co_await submit(*shared, arguments, context.caller);
    if (!job) co_return refusal(job.error());
    const std::string base = shared->base_url ? shared->base_url() : std::string();
    Json accepted = jobs::accepted_json(*job, base, shared->engine->poll_after_s());
    ToolResult result = ToolResult::text(accepted_text(accepted));
    result.structured = std::move(accepted);
    co_return result;
  };
  if (!shared->tasks) return tool;  // no jobs-backed task store: direct calls only
  tool.execution = Json{{"taskSupport", "optional"}};
  tool.task_store = shared->tasks;
  tool.task_starter = [shared](
                          Json arguments,
                          mcp::ToolContext context) -> boost::asio::awaitable<Result<std::string>> {
    auto job = co_await submit(*shared, arguments, context.caller);
    if (!job) co_return tl::unexpected(job.error());
    co_return job->id;
  };
  return tool;
}

}  // namespace shield::tools
