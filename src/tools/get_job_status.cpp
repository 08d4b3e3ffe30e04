#include "shield/tools/get_job_status.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <tl/expected.hpp>

#include "shield/backend/backend.hpp"
#include "shield/backend/call_result.hpp"
#include "shield/backend/qdrant_client.hpp"
#include "shield/ingest/sink.hpp"
#include "shield/jobs/job_engine.hpp"
#include "shield/mcp/async_latch.hpp"
#include "shield/tools/backend_failure.hpp"
#include "shield/tools/job_progress_notices.hpp"
#include "shield/tools/output_schema.hpp"
#include "shield/tools/tool_annotations.hpp"

namespace shield::tools {
namespace {

namespace asio = boost::asio;
using mcp::Json;
using mcp::ToolResult;

constexpr std::size_t kMaxIdLength = 200;
// Remote ingestion jobs polled per call, and how many polls run at once: a large crawl can
// create one remote job per delivered batch.
constexpr std::size_t kMaxRemotePolled = 100;
constexpr std::size_t kRemotePollers = 4;
// Foreign ids are polled no more often than this while waiting.
constexpr auto kForeignPollInterval = std::chrono::seconds(1);

// The dependencies with their defaults filled in, shared by every call.
struct Settings {
  jobs::JobEngine* engine = nullptr;
  ingest::Sink* sink = nullptr;
  backend::Backend* orchestrator = nullptr;
  std::int64_t max_wait_s = kMaxJobStatusWaitSeconds;
  const Clock* clock = nullptr;
  ingest::RetryPause pause;
};

// Our own job, nothing (not ours: forward it), or a failure already phrased for the caller.
using Lookup = tl::expected<std::optional<jobs::Job>, ToolResult>;
using JobOrFailure = tl::expected<jobs::Job, ToolResult>;

Json input_schema(std::int64_t max_wait_s) {
  return Json{
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"job_id"}},
      {"properties",
       {{"job_id",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", kMaxIdLength},
          {"description",
           "The job to look up: the job_id a crawl or ingestion call answered with "
           "(\"job_...\"), or the id of an ingestion job at the orchestrator. At most 200 "
           "characters, no control characters."}}},
        {"wait_seconds",
         {{"type", "integer"},
          {"minimum", 0},
          {"maximum", max_wait_s},
          {"default", 0},
          {"description",
           fmt::format("Wait up to this many seconds (at most {}) for the job to finish before "
                       "answering; 0 answers at once. While waiting, progress is sent as "
                       "notifications/progress when the request carries a progressToken.",
                       max_wait_s)}}}}}};
}

Json output_schema() {
  const Json text{{"type", "string"}};
  const Json remote_entry{
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"remote_job_id", "state", "detail"}},
      {"properties",
       {{"remote_job_id", text},
        {"state",
         {{"type", "string"},
          {"description",
           "queued, running, succeeded, failed, cancelled, not_found (the service no longer "
           "knows it), done (sinks without remote jobs), or unknown (it could not be asked)."}}},
        {"detail",
         {{"description", "What the service answered, or why it could not be asked."}}}}}};
  return Json{
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"job_id", "state", "source"}},
      {"properties",
       {{"job_id", text},
        {"state",
         {{"type", "string"},
          {"description",
           "queued, running, succeeded, failed, cancelled or interrupted (this daemon's jobs); "
           "the orchestrator's status for its own ids."}}},
        {"source",
         {{"type", "string"},
          {"enum", {"local", "orchestrator"}},
          {"description",
           "local: a job of this daemon (the fields of GET /jobs/{id} plus `remote`); "
           "orchestrator: an id the orchestrator answered for (its answer in `orchestrator`)."}}},
        {"kind", text},
        {"caller", text},
        {"progress", {{"type", "object"}}},
        {"result", {{"description", "The job's result summary once it succeeded (else null)."}}},
        {"remote_job_ids", {{"type", "array"}, {"items", text}}},
        {"created_at", text},
        {"updated_at", text},
        {"started_at", text},
        {"finished_at", text},
        {"attempts", {{"type", "integer"}, {"minimum", 0}}},
        {"remote", {{"type", "array"}, {"items", remote_entry}}},
        {"orchestrator",
         {{"type", "object"},
          {"description", "The orchestrator's JobStatus answer, as given."}}}}}};
}

// Why `id` cannot be a job id of anyone's, before any I/O; nullopt when it may be one.
std::optional<std::string> invalid_id(const std::string& id) {
  if (id.empty()) return "job_id is empty";
  if (id.size() > kMaxIdLength) {
    return fmt::format("job_id is {} characters long; job ids have at most {}", id.size(),
                       kMaxIdLength);
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    const auto c = static_cast<unsigned char>(id[i]);
    if (c < 0x20 || c == 0x7f) {
      return fmt::format("job_id contains a control character (0x{:02x}) at offset {}", c, i);
    }
  }
  // A path segment of only dots would change the orchestrator path it is sent to.
  if (id == "." || id == "..") return fmt::format("job_id '{}' is not a job id", id);
  return std::nullopt;
}

ToolResult not_found(const Settings& s, const std::string& id) {
  std::string why;
  if (s.orchestrator == nullptr) {
    why = s.engine != nullptr
              ? "it is not a job of this daemon, and no orchestrator is configured to ask"
              : "no orchestrator is configured to ask";
  } else if (s.engine != nullptr) {
    why = fmt::format("it is not a job of this daemon and the orchestrator at {} does not know it",
                      s.orchestrator->base_url());
  } else {
    why = fmt::format("the orchestrator at {} does not know it", s.orchestrator->base_url());
  }
  return ToolResult::error("job_not_found", fmt::format("job '{}' not found: {}", id, why));
}

ToolResult stopped_waiting(const std::string& id, const CancellationToken& cancel) {
  return ToolResult::error("cancelled",
                           fmt::format("stopped waiting for job '{}': {}", id, cancel.reason()));
}

ToolResult answer(Json status) {
  ToolResult out = ToolResult::text(job_status_text(status));
  out.structured = std::move(status);
  return out;
}

// ---- the caller's own jobs --------------------------------------------------------------

asio::awaitable<Lookup> find_own_job(const Settings& s, const std::string& id,
                                     const std::string& caller) {
  if (s.engine == nullptr || !jobs::looks_like_job_id(id)) co_return std::nullopt;
  Result<jobs::Job> job = co_await s.engine->get(id);
  if (!job) {
    if (job.error().code == ErrorCode::kNotFound ||
        job.error().code == ErrorCode::kInvalidArgument) {
      co_return std::nullopt;
    }
    co_return tl::unexpected(
        ToolResult::error("jobs_unavailable",
                          fmt::format("could not read job '{}' from this daemon's job journal: {}",
                                      id, job.error().message)));
  }
  // Another principal's job reads exactly like an id nobody issued.
  if (job->caller != caller) co_return std::nullopt;
  co_return std::optional<jobs::Job>(std::move(*job));
}

// Trips `stop` once `delay` has passed, unless `abandon` trips first.
asio::awaitable<void> trip_after(ingest::RetryPause pause, Clock::Duration delay,
                                 CancellationToken abandon, CancellationSource stop) {
  const bool elapsed = co_await pause(delay, abandon);
  if (elapsed) stop.cancel("the wait is over");
}

// Waits until the job is final, the wait is over, or the call is cancelled; resolves to the
// job as it is then. Watches before each read so no change between the two is missed.
asio::awaitable<JobOrFailure> wait_for_own_job(const Settings& s, const std::string& id,
                                               const std::string& caller, std::chrono::seconds wait,
                                               const mcp::ToolContext& context) {
  CancellationSource stop;
  CancellationSource over;
  const std::size_t hook = context.cancel.on_cancel([stop]() mutable { stop.cancel("cancelled"); });
  const auto executor = co_await asio::this_coro::executor;
  const CancellationToken over_token = over.token();
  asio::co_spawn(executor, trip_after(s.pause, wait, over_token, stop), asio::detached);
  const CancellationToken stop_token = stop.token();

  JobProgressNotices notices(context.progress);
  JobOrFailure outcome = tl::unexpected(not_found(s, id));
  for (;;) {
    const auto changed = mcp::AsyncLatch::create();
    const auto subscription =
        s.engine->watch(id, [changed](const jobs::JobEvent&) { changed->open(); });
    Lookup found = co_await find_own_job(s, id, caller);
    if (!found) {
      outcome = tl::unexpected(std::move(found.error()));
      break;
    }
    if (!*found) {
      // Purged while we waited.
      outcome = tl::unexpected(ToolResult::error(
          "job_not_found", fmt::format("job '{}' not found: it is no longer kept", id)));
      break;
    }
    outcome = std::move(**found);
    if (jobs::is_final(outcome->state) || stop.cancelled()) break;
    notices.notify_job(*outcome);
    const bool woke = co_await changed->wait(stop_token);
    if (!woke) break;
  }
  over.cancel("answered");
  context.cancel.forget(hook);
  if (context.cancel.cancelled()) co_return tl::unexpected(stopped_waiting(id, context.cancel));
  co_return outcome;
}

// One remote ingestion job's entry of `remote`, normalised whatever the sink answered.
Json remote_entry(const std::string& remote_id, const backend::CallResult<Json>& status) {
  if (!status) {
    return Json{
        {"remote_job_id", remote_id}, {"state", "unknown"}, {"detail", status.error().to_json()}};
  }
  const Json& answer = *status;
  if (!answer.is_object()) {
    return Json{{"remote_job_id", remote_id}, {"state", "unknown"}, {"detail", answer}};
  }
  const auto state = answer.find("state");
  const auto detail = answer.find("detail");
  return Json{{"remote_job_id", remote_id},
              {"state", state != answer.end() && state->is_string() ? *state : Json("unknown")},
              {"detail", detail != answer.end() ? *detail : Json(nullptr)}};
}

// The remote ids one call polls, shared by its pollers.
struct RemotePoll {
  RemotePoll(std::vector<std::string> remote_ids, ingest::Sink& sink_, CancellationToken cancel_)
      : ids(std::move(remote_ids)), sink(sink_), cancel(std::move(cancel_)) {
    for (const auto& id : ids) {
      entries.push_back(Json{{"remote_job_id", id},
                             {"state", "unknown"},
                             {"detail", "the sink's answer did not arrive"}});
    }
  }

  // The next index to poll, if any is left.
  std::optional<std::size_t> take() {
    std::lock_guard lock(mutex);
    if (next >= ids.size()) return std::nullopt;
    return next++;
  }
  void store(std::size_t index, Json entry) {
    std::lock_guard lock(mutex);
    entries[index] = std::move(entry);
  }
  void poller_done() {
    bool last = false;
    {
      std::lock_guard lock(mutex);
      last = --pollers == 0;
    }
    if (last) finished->open();
  }

  const std::vector<std::string> ids;
  ingest::Sink& sink;
  const CancellationToken cancel;
  std::mutex mutex;
  std::vector<Json> entries;
  std::size_t next = 0;
  std::size_t pollers = 0;
  std::shared_ptr<mcp::AsyncLatch> finished = mcp::AsyncLatch::create();
};

asio::awaitable<void> poll_remote(std::shared_ptr<RemotePoll> poll) {
  for (;;) {
    const std::optional<std::size_t> index = poll->take();
    if (!index) break;
    const std::string& remote_id = poll->ids[*index];
    backend::CallResult<Json> status = co_await poll->sink.remote_status(remote_id, poll->cancel);
    poll->store(*index, remote_entry(remote_id, status));
  }
}

// `remote` of a status: each remote ingestion job's state, polled a few at a time.
asio::awaitable<Json> remote_states(const Settings& s, const jobs::Job& job,
                                    CancellationToken cancel) {
  Json out = Json::array();
  if (job.remote_job_ids.empty()) co_return out;
  const std::size_t polled = std::min(job.remote_job_ids.size(), kMaxRemotePolled);
  std::vector<Json> entries;
  if (s.sink == nullptr) {
    for (std::size_t i = 0; i < polled; ++i) {
      entries.push_back(Json{{"remote_job_id", job.remote_job_ids[i]},
                             {"state", "unknown"},
                             {"detail", "no sink is configured to ask"}});
    }
  } else {
    std::vector<std::string> ids(job.remote_job_ids.begin(),
                                 job.remote_job_ids.begin() + static_cast<std::ptrdiff_t>(polled));
    auto poll = std::make_shared<RemotePoll>(std::move(ids), *s.sink, std::move(cancel));
    const std::size_t pollers = std::min(polled, kRemotePollers);
    poll->pollers = pollers;
    const auto executor = co_await asio::this_coro::executor;
    for (std::size_t i = 0; i < pollers; ++i) {
      // Counted down on any ending, an exception included, so the wait below always ends.
      auto on_end = [poll](const std::exception_ptr&) { poll->poller_done(); };
      asio::co_spawn(executor, poll_remote(poll), std::move(on_end));
    }
    // Not cancellable: the pollers borrow the sink, so every one must end before we answer
    // (they see the cancellation themselves, through the sink's calls).
    const bool finished = co_await poll->finished->wait();
    (void)finished;
    std::lock_guard lock(poll->mutex);
    entries = poll->entries;
  }
  for (auto& entry : entries) out.push_back(std::move(entry));
  for (std::size_t i = polled; i < job.remote_job_ids.size(); ++i) {
    out.push_back(Json{
        {"remote_job_id", job.remote_job_ids[i]},
        {"state", "unknown"},
        {"detail",
         fmt::format("not polled: a call polls the first {} remote jobs only", kMaxRemotePolled)}});
  }
  co_return out;
}

asio::awaitable<ToolResult> own_status(const Settings& s, jobs::Job job,
                                       const mcp::ToolContext& context) {
  Json remote = co_await remote_states(s, job, context.cancel);
  if (context.cancel.cancelled()) co_return stopped_waiting(job.id, context.cancel);
  Json status = job.to_json();
  status["source"] = "local";
  status["remote"] = std::move(remote);
  co_return answer(std::move(status));
}

// ---- ids of the orchestrator ------------------------------------------------------------

bool final_remote_state(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled";
}

// The status of a foreign id from the orchestrator's JobStatus, or why the answer is unusable.
backend::CallResult<Json> foreign_status(const backend::Backend& orchestrator,
                                         const std::string& id, const Json& body) {
  const auto status = body.is_object() ? body.find("status") : body.end();
  if (status == body.end() || !status->is_string()) {
    std::string seen = body.dump();
    if (seen.size() > 300) seen = seen.substr(0, 300) + "...";
    return tl::unexpected(backend::local_backend_error(
        orchestrator, backend::BackendErrorCode::kUnavailable,
        fmt::format("{} at {} answered GET /jobs/{{id}} with something that is not a JobStatus "
                    "(no string `status`)",
                    orchestrator.display_name(), orchestrator.base_url()),
        std::move(seen)));
  }
  return Json{
      {"job_id", id}, {"state", *status}, {"source", "orchestrator"}, {"orchestrator", body}};
}

asio::awaitable<ToolResult> orchestrator_status(const Settings& s, const std::string& id,
                                                std::chrono::seconds wait,
                                                const mcp::ToolContext& context) {
  if (s.orchestrator == nullptr) co_return not_found(s, id);
  backend::Backend& orchestrator = *s.orchestrator;
  const Clock::TimePoint deadline = s.clock->now() + wait;
  JobProgressNotices notices(context.progress);
  for (;;) {
    backend::BackendRequest request;
    request.method = "GET";
    request.path = "/jobs/" + backend::QdrantClient::encode_segment(id);
    request.idempotent = true;
    backend::BackendResult response =
        co_await orchestrator.call(std::move(request), context.cancel);
    if (!response) {
      if (response.error().http_status == 404) co_return not_found(s, id);
      co_return backend_failure(response.error());
    }
    backend::CallResult<Json> status = foreign_status(orchestrator, id, response->body);
    if (!status) co_return backend_failure(status.error());
    const Clock::TimePoint now = s.clock->now();
    if (final_remote_state(status->at("state").get<std::string>()) || now >= deadline) {
      co_return answer(std::move(*status));
    }
    notices.notify_orchestrator_job(*status);
    const Clock::Duration delay = std::min<Clock::Duration>(kForeignPollInterval, deadline - now);
    const bool slept = co_await s.pause(delay, context.cancel);
    if (!slept) co_return stopped_waiting(id, context.cancel);
  }
}

// ---- the call --------------------------------------------------------------------------

asio::awaitable<ToolResult> get_status(std::shared_ptr<const Settings> settings, Json arguments,
                                       mcp::ToolContext context) {
  const Settings& s = *settings;
  const auto id_field = arguments.find("job_id");
  if (id_field == arguments.end() || !id_field->is_string()) {
    co_return ToolResult::error("invalid_arguments", "job_id must be a string");
  }
  const std::string id = id_field->get<std::string>();
  if (const auto why = invalid_id(id)) co_return ToolResult::error("invalid_arguments", *why);
  std::int64_t wait_s = 0;
  if (const auto wait = arguments.find("wait_seconds"); wait != arguments.end()) {
    if (!wait->is_number_integer() || wait->get<std::int64_t>() < 0 ||
        wait->get<std::int64_t>() > s.max_wait_s) {
      co_return ToolResult::error(
          "invalid_arguments",
          fmt::format("wait_seconds must be a whole number from 0 to {}", s.max_wait_s));
    }
    wait_s = wait->get<std::int64_t>();
  }
  const std::chrono::seconds wait{wait_s};

  Lookup own = co_await find_own_job(s, id, context.caller);
  if (!own) co_return std::move(own.error());
  if (!*own) {
    ToolResult forwarded = co_await orchestrator_status(s, id, wait, context);
    co_return forwarded;
  }
  jobs::Job job = std::move(**own);
  if (wait.count() > 0 && !jobs::is_final(job.state)) {
    JobOrFailure waited = co_await wait_for_own_job(s, id, context.caller, wait, context);
    if (!waited) co_return std::move(waited.error());
    job = std::move(*waited);
  }
  ToolResult out = co_await own_status(s, std::move(job), context);
  co_return out;
}

// "3 of 10", "pages_ok 3, pages_failed 1": the counters of a progress object.
std::string counters_text(const Json& progress) {
  std::string out;
  for (const auto& [key, value] : progress.items()) {
    if (key == "message") continue;
    if (!out.empty()) out += ", ";
    out += key + " " + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

std::string text_of(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::string job_status_text(const Json& status) {
  const std::string id = status.value("job_id", "");
  const std::string state = status.value("state", "unknown");
  std::string text;
  if (status.value("source", "") == "orchestrator") {
    const Json& answer = status.value("orchestrator", Json::object());
    text = fmt::format("Job {} (at the orchestrator): {}.", id, state);
    if (const auto documents = answer.find("documents");
        documents != answer.end() && documents->is_object()) {
      text += fmt::format("\nDocuments: {} processed, {} failed, of {}.",
                          text_of(documents->value("processed", Json(0))),
                          text_of(documents->value("failed", Json(0))),
                          text_of(documents->value("total", Json(0))));
    }
    if (const auto error = answer.find("error"); error != answer.end() && error->is_object()) {
      text += fmt::format("\nError: {}: {}", text_of(error->value("code", Json(""))),
                          text_of(error->value("message", Json(""))));
    }
    if (answer.contains("updated_at")) text += "\nUpdated: " + text_of(answer["updated_at"]);
    return text;
  }

  text = fmt::format("Job {} ({}): {}", id, status.value("kind", "job"), state);
  text += status.value("attempts", 0) > 1
              ? fmt::format(" (attempt {}).", status.value("attempts", 0))
              : ".";
  const Json progress = status.value("progress", Json::object());
  if (progress.is_object() && !progress.empty()) {
    std::string line = progress.contains("message") ? text_of(progress["message"]) : "";
    const std::string counters = counters_text(progress);
    if (!counters.empty()) line += line.empty() ? counters : " (" + counters + ")";
    text += "\nProgress: " + line;
  }
  if (const auto error = status.find("error"); error != status.end() && error->is_object()) {
    text += fmt::format("\nError: {}: {}", text_of(error->value("code", Json(""))),
                        text_of(error->value("message", Json(""))));
  }
  if (const auto result = status.find("result"); result != status.end() && !result->is_null()) {
    std::string summary = result->dump();
    if (summary.size() > 2'000) summary = summary.substr(0, 2'000) + "...";
    text += "\nResult: " + summary;
  }
  if (const auto remote = status.find("remote"); remote != status.end() && !remote->empty()) {
    text += "\nRemote ingestion jobs:";
    for (const auto& entry : *remote) {
      text += fmt::format("\n- {}: {}", entry.value("remote_job_id", ""),
                          entry.value("state", "unknown"));
      const Json& detail = entry.value("detail", Json(nullptr));
      if (entry.value("state", "") == "unknown") {
        text += " (" +
                (detail.is_object() && detail.contains("message") ? text_of(detail["message"])
                                                                  : text_of(detail)) +
                ")";
      }
    }
  }
  text += fmt::format("\nCreated {}, updated {}.", status.value("created_at", "?"),
                      status.value("updated_at", "?"));
  return text;
}

mcp::ToolDefinition make_get_job_status(GetJobStatusDependencies dependencies) {
  auto settings = std::make_shared<Settings>();
  settings->engine = dependencies.engine;
  settings->sink = dependencies.sink;
  settings->orchestrator = dependencies.orchestrator;
  settings->max_wait_s = std::max<std::int64_t>(dependencies.max_wait_s, 0);
  settings->clock = dependencies.clock != nullptr ? dependencies.clock : &SystemClock::instance();
  settings->pause = dependencies.pause ? std::move(dependencies.pause) : ingest::timer_pause();

  mcp::ToolDefinition tool;
  tool.name = "get_job_status";
  tool.title = "Get job status";
  tool.description =
      "Check on a background job (a crawl or a document ingestion) by its job_id: its state "
      "(queued, running, succeeded, failed, cancelled, interrupted), progress, error, result "
      "summary, and the state of the ingestion jobs it handed to the knowledge base. Ids this "
      "server did not issue are looked up at the orchestrator. Set wait_seconds to wait for the "
      "job to finish instead of polling.";
  tool.input_schema = input_schema(settings->max_wait_s);
  tool.output_schema = output_schema_with_error(output_schema());
  tool.annotations =
      tool_annotations(tool.title, {.read_only = true, .idempotent = true, .open_world = false});
  tool.handler = [settings = std::shared_ptr<const Settings>(std::move(settings))](
                     Json arguments, mcp::ToolContext context) {
    return get_status(settings, std::move(arguments), std::move(context));
  };
  return tool;
}

}  // namespace shield::tools
