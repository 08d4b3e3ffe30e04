#include "shield/app/job_routes.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "shield/http/multipart_form.hpp"

namespace shield::app {
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using nlohmann::json;

namespace {

constexpr std::string_view kJobsPrefix = "/jobs/";
constexpr std::string_view kEventsSuffix = "/events";
constexpr std::string_view kRetrySuffix = "/retry";
constexpr std::size_t kMaxIdLength = 128;
constexpr std::array<std::string_view, 6> kDocTypes = {"auto", "pdf", "docx", "txt", "md", "html"};

http::Response json_answer(const http::Request& request, bhttp::status status, const json& body) {
  http::Response response{status, request.version()};
  response.set(bhttp::field::content_type, "application/json");
  response.set(bhttp::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
  response.prepare_payload();
  return response;
}

json error_json(std::string_view code, std::string_view message) {
  return json{{"error", {{"code", code}, {"message", message}}}};
}

http::Response error_answer(const http::Request& request, bhttp::status status,
                            std::string_view code, std::string_view message) {
  return json_answer(request, status, error_json(code, message));
}

http::Response not_found(const http::Request& request, std::string_view id) {
  return error_answer(request, bhttp::status::not_found, "not_found",
                      "job '" + std::string(id) + "' not found");
}

// An engine error as an HTTP answer: the status a client can act on, and the message.
http::Response engine_error(const http::Request& request, const Error& error, std::string_view id) {
  switch (error.code) {
    case ErrorCode::kNotFound:
      return not_found(request, id);
    case ErrorCode::kInvalidArgument:
      return error_answer(request, bhttp::status::bad_request, "invalid_argument", error.message);
    case ErrorCode::kFailedPrecondition:
      return error_answer(request, bhttp::status::conflict, "failed_precondition", error.message);
    case ErrorCode::kUnavailable: {
      // Shutting down, or the journal's disk failing: a later attempt may work.
      auto response =
          error_answer(request, bhttp::status::service_unavailable, "unavailable", error.message);
      response.set(bhttp::field::retry_after, "5");
      return response;
    }
    case ErrorCode::kResourceExhausted: {
      auto response =
          error_answer(request, bhttp::status::service_unavailable, "busy", error.message);
      response.set(bhttp::field::retry_after, "5");
      return response;
    }
    default:
      spdlog::error("job engine: {}", error.message);
      return error_answer(request, bhttp::status::internal_server_error, to_string(error.code),
                          error.message);
  }
}

http::Response method_not_allowed(const http::Request& request, std::string_view allow) {
  auto response = error_answer(request, bhttp::status::method_not_allowed, "method_not_allowed",
                               "use " + std::string(allow));
  response.set(bhttp::field::allow, allow);
  return response;
}

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdLength &&
         std::all_of(id.begin(), id.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_' || c == '-'; });
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// The SSE frame of one job event: its seq is the id Last-Event-ID names on resume.
std::string sse_frame(const jobs::JobEvent& event) {
  return "id: " + std::to_string(event.seq) + "\nevent: status\ndata: " +
         event.job.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

bool is_final_event(const jobs::JobEvent& event) {
  const auto state = jobs::parse_job_state(event.job.value("state", std::string()));
  return state && jobs::is_final(*state);
}

// One GET /jobs/{id}/events stream. Live events are subscribed to before the replay is
// read, so none falls between the two; seq numbers drop the ones both deliver.
class JobEventStream : public std::enable_shared_from_this<JobEventStream> {
 public:
  JobEventStream(std::shared_ptr<http::ResponseStream> stream, net::any_io_executor executor,
                 std::chrono::milliseconds keepalive)
      : stream_(std::move(stream)), keepalive_(executor), keepalive_period_(keepalive) {}

  void subscribe(jobs::JobEngine& engine, const std::string& id) {
    subscription_ = engine.watch(id, [weak = weak_from_this()](const jobs::JobEvent& event) {
      if (auto self = weak.lock()) self->on_live(event);
    });
    // The stream keeps this object alive until it ends (client gone, or we closed it after
    // the final state); nothing else owns it once serve_events returns.
    stream_->on_closed([self = shared_from_this()] { self->stop(); });
  }

  // Sends the replay, then whatever arrived live meanwhile. `job_final`: the job had ended
  // before the stream opened, so no live event will come; the stream ends after the replay
  // even when the client already saw the final event (a resume after the end).
  void replay(const std::vector<jobs::JobEvent>& events, std::uint64_t after_seq, bool job_final) {
    std::vector<jobs::JobEvent> pending;
    {
      std::lock_guard lock(mutex_);
      last_seq_ = after_seq;
      for (const auto& event : events) send_locked(event);
      replayed_ = true;
      pending.swap(pending_);
      for (const auto& event : pending) send_locked(event);
      if (job_final && !closed_) {
        closed_ = true;
        stream_->close();
      }
    }
    arm_keepalive();
  }

  void stop() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    subscription_.reset();
    keepalive_.cancel();
  }

 private:
  void on_live(const jobs::JobEvent& event) {
    std::lock_guard lock(mutex_);
    if (!replayed_) {
      pending_.push_back(event);
      return;
    }
    send_locked(event);
  }

  void send_locked(const jobs::JobEvent& event) {
    if (closed_ || event.seq <= last_seq_) return;
    last_seq_ = event.seq;
    if (!stream_->write(sse_frame(event))) {
      closed_ = true;
      return;
    }
    if (is_final_event(event)) {
      // Nothing follows a final state: end the body so the client sees the stream done.
      closed_ = true;
      stream_->close();
    }
  }

  void arm_keepalive() {
    if (keepalive_period_.count() <= 0) return;
    keepalive_.expires_after(keepalive_period_);
    keepalive_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      {
        std::lock_guard lock(self->mutex_);
        if (self->closed_) return;
        if (!self->stream_->write(": keepalive\n\n")) return;
      }
      self->arm_keepalive();
    });
  }

  std::shared_ptr<http::ResponseStream> stream_;
  net::steady_timer keepalive_;
  std::chrono::milliseconds keepalive_period_;
  std::mutex mutex_;
  std::unique_ptr<jobs::JobEngine::Subscription> subscription_;
  std::vector<jobs::JobEvent> pending_;
  std::uint64_t last_seq_ = 0;
  bool replayed_ = false;
  bool closed_ = false;
};

std::uint64_t last_event_id(const http::Request& request) {
  const auto header = request["Last-Event-ID"];
  if (header.empty()) return 0;
  std::uint64_t value = 0;
  for (char c : header) {
    if (c < '0' || c > '9' || value > (UINT64_MAX - 9) / 10) return 0;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

struct Context {
  jobs::JobEngine& engine;
  net::any_io_executor executor;
  JobRoutesOptions options;
  UploadAcceptor accept_upload;
};

// Looks the job up for `caller`; answers 404 itself when it is not theirs to see.
net::awaitable<std::optional<jobs::Job>> visible_job(Context& context, const http::Request& request,
                                                     http::Exchange& exchange,
                                                     const std::string& id,
                                                     const std::string& caller) {
  auto job = co_await context.engine.get(id);
  if (!job) {
    exchange.respond(engine_error(request, job.error(), id));
    co_return std::nullopt;
  }
  if (job->caller != caller) {
    exchange.respond(not_found(request, id));
    co_return std::nullopt;
  }
  co_return std::move(*job);
}

net::awaitable<void> serve_job(std::shared_ptr<Context> context, http::Request request,
                               std::shared_ptr<http::Exchange> exchange, std::string id,
                               std::string caller) {
  auto job = co_await visible_job(*context, request, *exchange, id, caller);
  if (!job) co_return;
  if (request.method() == bhttp::verb::delete_) {
    auto cancelled = co_await context->engine.cancel(id);
    if (!cancelled) {
      exchange->respond(engine_error(request, cancelled.error(), id));
      co_return;
    }
    exchange->respond(json_answer(request, bhttp::status::ok, cancelled->to_json()));
    co_return;
  }
  exchange->respond(json_answer(request, bhttp::status::ok, job->to_json()));
}

// POST /jobs/{id}/retry: a failed or interrupted job goes back in the queue (its extracted
// documents are still in its spool, so only what is left is redone).
net::awaitable<void> serve_retry(std::shared_ptr<Context> context, http::Request request,
                                 std::shared_ptr<http::Exchange> exchange, std::string id,
                                 std::string caller) {
  auto job = co_await visible_job(*context, request, *exchange, id, caller);
  if (!job) co_return;
  auto retried = co_await context->engine.retry(id);
  if (!retried) {
    exchange->respond(engine_error(request, retried.error(), id));
    co_return;
  }
  http::Response response = json_answer(
      request, bhttp::status::accepted,
      jobs::accepted_json(*retried, context->options.base_url(), context->engine.poll_after_s()));
  response.set(bhttp::field::location, std::string(kJobsPrefix) + retried->id);
  exchange->respond(std::move(response));
}

net::awaitable<void> serve_events(std::shared_ptr<Context> context, http::Request request,
                                  std::shared_ptr<http::Exchange> exchange, std::string id,
                                  std::string caller) {
  auto job = co_await visible_job(*context, request, *exchange, id, caller);
  if (!job) co_return;
  http::Response head{bhttp::status::ok, request.version()};
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-store");
  auto stream = exchange->start_stream(std::move(head));
  if (!stream) co_return;
  auto events =
      std::make_shared<JobEventStream>(stream, context->executor, context->options.sse_keepalive);
  events->subscribe(context->engine, id);
  const std::uint64_t after = last_event_id(request);
  auto replay = co_await context->engine.events(id, after);
  if (!replay) {
    // The job was purged between the lookup and the replay: nothing more will come.
    events->stop();
    stream->close();
    co_return;
  }
  events->replay(*replay, after, jobs::is_final(job->state));
}

net::awaitable<void> serve_upload(std::shared_ptr<Context> context, http::Request request,
                                  std::shared_ptr<http::Exchange> exchange, std::string caller) {
  auto bad_request = [&](std::string_view message) {
    exchange->respond(
        error_answer(request, bhttp::status::bad_request, "invalid_argument", message));
  };
  // `parts` point into request.body(), which this coroutine frame keeps alive.
  auto parts = http::parse_multipart_form(request[bhttp::field::content_type], request.body());
  if (!parts) {
    bad_request(parts.error().message);
    co_return;
  }
  const http::FormPart* file = http::find_part(*parts, "file");
  if (file == nullptr || !file->filename) {
    bad_request("the form needs a file part: name=\"file\" with a filename");
    co_return;
  }
  if (file->data.empty()) {
    bad_request("the file part '" + *file->filename + "' is empty: there is nothing to ingest");
    co_return;
  }
  IngestUpload upload;
  upload.filename = *file->filename;
  upload.content_type = file->content_type;
  upload.data = file->data;
  upload.caller = caller;
  if (const http::FormPart* doc_type = http::find_part(*parts, "doc_type")) {
    upload.doc_type = std::string(doc_type->data);
    if (std::find(kDocTypes.begin(), kDocTypes.end(), upload.doc_type) == kDocTypes.end()) {
      bad_request("doc_type must be one of auto, pdf, docx, txt, md, html; got '" +
                  upload.doc_type + "'");
      co_return;
    }
  }
  if (const http::FormPart* metadata = http::find_part(*parts, "metadata")) {
    upload.metadata = json::parse(metadata->data, nullptr, false);
    if (!upload.metadata.is_object()) {
      bad_request("metadata must be a JSON object");
      co_return;
    }
  }
  auto job = co_await context->accept_upload(std::move(upload));
  if (!job) {
    exchange->respond(engine_error(request, job.error(), ""));
    co_return;
  }
  auto response = json_answer(
      request, bhttp::status::accepted,
      jobs::accepted_json(*job, context->options.base_url(), context->engine.poll_after_s()));
  response.set(bhttp::field::location, std::string(kJobsPrefix) + job->id);
  exchange->respond(std::move(response));
}

void spawn(const std::shared_ptr<Context>& context, net::awaitable<void> work) {
  net::co_spawn(context->executor, std::move(work), [](const std::exception_ptr& failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      spdlog::error("job route failed: {}", e.what());
    }
  });
}

}  // namespace

void add_job_routes(http::Router& router, jobs::JobEngine& engine, net::any_io_executor executor,
                    JobRoutesOptions options, UploadAcceptor accept_upload) {
  auto context = std::make_shared<Context>(
      Context{engine, executor, std::move(options), std::move(accept_upload)});
  router.add(std::string(kJobsPrefix), {.check_host_origin = true, .require_auth = true},
             [context](http::Request request, std::shared_ptr<http::Exchange> exchange,
                       std::string caller) {
               std::string_view rest = path_of(request.target()).substr(kJobsPrefix.size());
               const auto ends_with = [&rest](std::string_view suffix) {
                 return rest.size() > suffix.size() &&
                        rest.substr(rest.size() - suffix.size()) == suffix;
               };
               const bool events = ends_with(kEventsSuffix);
               const bool retry = !events && ends_with(kRetrySuffix);
               if (events) rest.remove_suffix(kEventsSuffix.size());
               if (retry) rest.remove_suffix(kRetrySuffix.size());
               std::string id(rest);
               if (!valid_id(id)) {
                 exchange->respond(not_found(request, id.substr(0, kMaxIdLength)));
                 return;
               }
               const auto method = request.method();
               if (events) {
                 if (method != bhttp::verb::get) {
                   exchange->respond(method_not_allowed(request, "GET"));
                   return;
                 }
                 spawn(context, serve_events(context, std::move(request), std::move(exchange),
                                             std::move(id), std::move(caller)));
                 return;
               }
               if (retry) {
                 if (method != bhttp::verb::post) {
                   exchange->respond(method_not_allowed(request, "POST"));
                   return;
                 }
                 spawn(context, serve_retry(context, std::move(request), std::move(exchange),
                                            std::move(id), std::move(caller)));
                 return;
               }
               if (method != bhttp::verb::get && method != bhttp::verb::delete_) {
                 exchange->respond(method_not_allowed(request, "GET, DELETE"));
                 return;
               }
               spawn(context, serve_job(context, std::move(request), std::move(exchange),
                                        std::move(id), std::move(caller)));
             });
  router.add("/ingest", {.check_host_origin = true, .require_auth = true},
             [context](http::Request request, std::shared_ptr<http::Exchange> exchange,
                       std::string caller) {
               if (request.method() != bhttp::verb::post) {
                 exchange->respond(method_not_allowed(request, "POST"));
                 return;
               }
               spawn(context, serve_upload(context, std::move(request), std::move(exchange),
                                           std::move(caller)));
             });
}

}  // namespace shield::app
