#include "shield/transport/streamable_http_transport.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "post_reply.hpp"
#include "session_streams.hpp"
#include "shield/mcp/json_rpc.hpp"
#include "shield/metrics/metrics.hpp"
#include "shield/transport/media_types.hpp"
#include "shield/transport/sse_event.hpp"
#include "shield/transport/stateless_admission.hpp"
#include "shield/transport/wire.hpp"

namespace shield::transport {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
using mcp::Json;

// Streams a session keeps for Last-Event-ID beyond those still in use.
constexpr std::size_t kMaxStreamsPerSession = 64;
constexpr std::string_view kSessionHeader = "Mcp-Session-Id";
constexpr std::string_view kProtocolHeader = "MCP-Protocol-Version";
// The SDKs' code for an unknown session; clients match on it to start over.
constexpr int kSessionNotFound = -32001;
constexpr int kServerBusy = -32000;

// Notifications and responses have no answer to deliver.
class NullChannel final : public mcp::RequestChannel {
 public:
  void notify(Json) override {}
  void respond(Json) override {}
  void cancelled() override {}
};

std::optional<std::string_view> header(const http::Request& request, std::string_view name) {
  auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  auto value = trim_ows(it->value());
  if (value.empty()) return std::nullopt;
  return value;
}

http::Response json_error(unsigned status, const Json& id, int code, std::string message,
                          Json data = nullptr) {
  http::Response response{static_cast<beast_http::status>(status), 11};
  response.set(beast_http::field::content_type, "application/json");
  response.body() = mcp::make_error(id, code, std::move(message), std::move(data))
                        .dump(-1, ' ', false, Json::error_handler_t::replace);
  response.prepare_payload();
  return response;
}

http::Response json_body(unsigned status, const Json& body) {
  http::Response response{static_cast<beast_http::status>(status), 11};
  response.set(beast_http::field::content_type, "application/json");
  response.body() = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  response.prepare_payload();
  return response;
}

http::Response empty(unsigned status) {
  http::Response response{static_cast<beast_http::status>(status), 11};
  response.prepare_payload();
  return response;
}

http::Response method_not_allowed(std::string_view allow, std::string message) {
  auto response = json_error(405, nullptr, mcp::kInvalidRequest, std::move(message));
  response.set(beast_http::field::allow, allow);
  return response;
}

http::Response event_stream_head() {
  http::Response head{beast_http::status::ok, 11};
  head.set(beast_http::field::content_type, "text/event-stream");
  head.set(beast_http::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  return head;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

bool is_initialize(const Json& message) {
  return message.is_object() && message.contains("method") && message["method"] == "initialize";
}

// 2025-11-25 added the priming event (SEP-1699); older revisions' clients do not expect it.
bool primes(const std::string& version) {
  return version >= "2025-11-25" && !mcp::Engine::is_stateless(version);
}

}  // namespace

struct StreamableHttpTransport::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, mcp::Engine& mcp_engine, const config::Config& cfg,
       metrics::Metrics* metrics_sink)
      : io(io_context),
        engine(mcp_engine),
        config(cfg),
        metrics(metrics_sink),
        timers(asio::make_strand(io_context)),
        keepalive_timer(timers),
        sweep_timer(timers) {
    for (const auto& version : mcp::Engine::supported_versions()) {
      (mcp::Engine::is_stateless(version) ? stateless_versions : session_versions)
          .push_back(version);
    }
  }

  asio::io_context& io;
  mcp::Engine& engine;
  const config::Config config;
  metrics::Metrics* metrics;
  std::vector<std::string> session_versions;
  std::vector<std::string> stateless_versions;

  asio::strand<asio::io_context::executor_type> timers;
  asio::steady_timer keepalive_timer;
  asio::steady_timer sweep_timer;
  std::atomic<bool> stopped{false};

  std::mutex mutex;  // a leaf: nothing is called out while it is held
  std::map<std::string, std::shared_ptr<SessionStreams>> sessions;
  std::vector<std::weak_ptr<SseStream>> live;
  std::vector<std::weak_ptr<PostReply>> pending;

  // ---- plumbing --------------------------------------------------------------------

  // HTTP-side callbacks may run inside the call that registers them; deferring them keeps
  // them out of whatever locks that caller holds.
  template <class F>
  void defer(F&& f) {
    asio::post(io, std::forward<F>(f));
  }

  void watch(const std::shared_ptr<SseStream>& stream,
             const std::shared_ptr<http::ResponseStream>& connection) {
    std::weak_ptr<SseStream> weak_stream = stream;
    std::weak_ptr<http::ResponseStream> weak_connection = connection;
    std::weak_ptr<Impl> weak_self = weak_from_this();
    connection->on_closed([weak_self, weak_stream, weak_connection] {
      auto self = weak_self.lock();
      if (!self) return;
      self->defer([weak_stream, weak_connection] {
        auto lost_stream = weak_stream.lock();
        auto lost_connection = weak_connection.lock();
        if (!lost_stream || !lost_connection) return;
        if (lost_stream->connection_lost(lost_connection.get())) {
          lost_stream->trip_carried("the client closed the stream");
        }
      });
    });
    std::lock_guard lock(mutex);
    std::erase_if(live, [](const std::weak_ptr<SseStream>& s) { return s.expired(); });
    live.push_back(stream);
  }

  void track_pending(const std::shared_ptr<PostReply>& reply,
                     const std::shared_ptr<http::Exchange>& exchange) {
    std::weak_ptr<PostReply> weak_reply = reply;
    std::weak_ptr<Impl> weak_self = weak_from_this();
    exchange->on_peer_gone([weak_self, weak_reply] {
      auto self = weak_self.lock();
      if (!self) return;
      self->defer([weak_reply] {
        if (auto gone = weak_reply.lock()) gone->peer_gone();
      });
    });
    std::lock_guard lock(mutex);
    std::erase_if(pending, [](const std::weak_ptr<PostReply>& r) {
      auto live_reply = r.lock();
      return !live_reply || live_reply->done();
    });
    pending.push_back(reply);
  }

  std::shared_ptr<SessionStreams> streams_of(const std::string& session_id) {
    std::lock_guard lock(mutex);
    auto it = sessions.find(session_id);
    return it == sessions.end() ? nullptr : it->second;
  }

  void report_sessions() {
    if (metrics != nullptr) {
      metrics->set_active_sessions(static_cast<double>(engine.sessions().size()));
    }
  }

  StreamOpener session_opener(std::shared_ptr<SessionStreams> streams, std::string version) {
    std::weak_ptr<Impl> weak_self = weak_from_this();
    return [weak_self, streams = std::move(streams), version = std::move(version)](
               std::shared_ptr<http::ResponseStream> connection,
               CancellationSource carried) -> std::shared_ptr<SseStream> {
      auto self = weak_self.lock();
      auto stream = streams->create(false);
      if (!self || !stream) {
        // The session ended while the call ran: an unnumbered stream still delivers the
        // answer on this connection.
        stream = std::make_shared<SseStream>(0, 0, false);
      }
      stream->carry(std::move(carried));
      stream->attach(connection);
      if (stream->resumable() && primes(version) && self) {
        stream->prime(self->config.mcp.sse_retry);
      }
      if (self) self->watch(stream, connection);
      return stream;
    };
  }

  StreamOpener stateless_opener() {
    std::weak_ptr<Impl> weak_self = weak_from_this();
    return [weak_self](std::shared_ptr<http::ResponseStream> connection,
                       CancellationSource carried) -> std::shared_ptr<SseStream> {
      auto stream = std::make_shared<SseStream>(0, 0, false);
      stream->carry(std::move(carried));
      stream->attach(connection);
      if (auto self = weak_self.lock()) self->watch(stream, connection);
      return stream;
    };
  }

  // ---- sessions --------------------------------------------------------------------

  std::shared_ptr<SessionStreams> open_session(const std::shared_ptr<mcp::Session>& session) {
    auto streams = std::make_shared<SessionStreams>(session->id(), config.mcp.sse_replay_events,
                                                    kMaxStreamsPerSession);
    {
      std::lock_guard lock(mutex);
      sessions[session->id()] = streams;
    }
    std::weak_ptr<SessionStreams> weak_streams = streams;
    session->set_standalone_sink([weak_streams](const Json& message) {
      auto target = weak_streams.lock();
      return target && target->send_listening(message);
    });
    report_sessions();
    return streams;
  }

  // Ends the transport's side of a session (its calls cancelled, its streams closed) and,
  // with `terminate`, the session itself.
  void end_session(const std::string& session_id, const std::string& reason, bool terminate) {
    std::shared_ptr<SessionStreams> streams;
    {
      std::lock_guard lock(mutex);
      auto it = sessions.find(session_id);
      if (it != sessions.end()) {
        streams = std::move(it->second);
        sessions.erase(it);
      }
    }
    if (terminate) engine.sessions().terminate(session_id);
    if (streams) streams->close(reason);
    report_sessions();
  }

  // ---- dispatch --------------------------------------------------------------------

  void handle(http::Request request, const std::shared_ptr<http::Exchange>& exchange,
              const std::string& caller) {
    if (stopped.load()) {
      exchange->respond(json_error(503, nullptr, kServerBusy,
                                   "Service Unavailable: the server is shutting down"));
      return;
    }
    switch (request.method()) {
      case beast_http::verb::post:
        handle_post(request, exchange, caller);
        return;
      case beast_http::verb::get:
        handle_get(request, exchange);
        return;
      case beast_http::verb::delete_:
        handle_delete(request, exchange);
        return;
      default:
        exchange->respond(
            method_not_allowed("GET, POST, DELETE",
                               "Method Not Allowed: /mcp answers POST (messages), GET (the "
                               "session's listening stream) and DELETE (end the session)"));
    }
  }

  // A request without a session id that names no session revision speaks 2026-07-28,
  // which has no GET stream and no session to DELETE.
  bool stateless_without_session(const http::Request& request) const {
    auto protocol = header(request, kProtocolHeader);
    return protocol && !contains(session_versions, *protocol);
  }

  // The MCP-Protocol-Version rules of the session wire; nullopt when the header is fine.
  std::optional<http::Response> check_protocol_header(const http::Request& request,
                                                      const std::string& negotiated,
                                                      const Json& id) const {
    auto protocol = header(request, kProtocolHeader);
    // Absent: the spec says to assume 2025-03-26; the session knows better, so go on.
    if (!protocol) return std::nullopt;
    if (!contains(session_versions, *protocol)) {
      return json_error(
          400, id, mcp::kInvalidRequest,
          "Bad Request: unsupported MCP-Protocol-Version '" + std::string(*protocol) +
              "'; sessions support " + joined(session_versions),
          Json{{"requested", std::string(*protocol)}, {"supported", session_versions}});
    }
    if (!negotiated.empty() && *protocol != negotiated) {
      return json_error(400, id, mcp::kInvalidRequest,
                        "Bad Request: MCP-Protocol-Version '" + std::string(*protocol) +
                            "' does not match the revision this session negotiated ('" +
                            negotiated + "')");
    }
    return std::nullopt;
  }

  void handle_post(const http::Request& request, const std::shared_ptr<http::Exchange>& exchange,
                   const std::string& caller) {
    auto content_type = header(request, beast_http::to_string(beast_http::field::content_type));
    if (!content_type || !is_json_media_type(*content_type)) {
      exchange->respond(json_error(
          415, nullptr, mcp::kInvalidRequest,
          "Unsupported Media Type: POST /mcp takes Content-Type: application/json, got '" +
              std::string(content_type.value_or("")) + "'"));
      return;
    }
    auto accept = header(request, beast_http::to_string(beast_http::field::accept));
    if (!accept || !accept_allows(*accept, "application/json") ||
        !accept_allows(*accept, "text/event-stream")) {
      exchange->respond(json_error(406, nullptr, mcp::kInvalidRequest,
                                   "Not Acceptable: the Accept header must list both "
                                   "application/json and text/event-stream, got '" +
                                       std::string(accept.value_or("")) + "'"));
      return;
    }
    auto parsed =
        mcp::parse_json(request.body(), config.mcp.max_message_bytes, config.mcp.max_json_depth);
    if (!parsed) {
      exchange->respond(json_body(400, mcp::error_response_for(parsed.error())));
      return;
    }
    auto session_id = header(request, kSessionHeader);
    const Wire wire = detect_wire(session_id.has_value(), header(request, kProtocolHeader), *parsed,
                                  session_versions);
    if (wire == Wire::kStateless) {
      post_stateless(request, exchange, caller, std::move(*parsed));
    } else {
      post_session(request, exchange, caller, std::move(*parsed), session_id);
    }
  }

  void post_stateless(const http::Request& request, const std::shared_ptr<http::Exchange>& exchange,
                      const std::string& caller, Json body) {
    if (body.is_array()) {
      exchange->respond(json_error(400, nullptr, mcp::kInvalidRequest,
                                   "Invalid Request: 2026-07-28 has no batches; send one "
                                   "message per POST"));
      return;
    }
    const auto classified = mcp::classify(body);
    if (classified.kind == mcp::MessageKind::kInvalid) {
      exchange->respond(json_error(400, classified.id, mcp::kInvalidRequest,
                                   "Invalid Request: " + classified.problem));
      return;
    }
    auto admitted = admit_stateless(request, body, engine.registry(), stateless_versions);
    if (!admitted) {
      exchange->respond(json_body(admitted.error().status, admitted.error().response));
      return;
    }
    mcp::RequestScope scope;
    scope.protocol_version = *admitted;
    scope.caller = caller;
    if (classified.kind != mcp::MessageKind::kRequest) {
      scope.channel = std::make_shared<NullChannel>();
      engine.handle(std::move(body), std::move(scope));
      exchange->respond(empty(202));
      return;
    }
    PostReplyOptions options;
    options.wire = Wire::kStateless;
    auto reply = std::make_shared<PostReply>(exchange, std::move(options), stateless_opener());
    track_pending(reply, exchange);
    scope.transport_cancel = reply->token();
    scope.channel = reply->channel();
    engine.handle(std::move(body), std::move(scope));
  }

  void post_session(const http::Request& request, const std::shared_ptr<http::Exchange>& exchange,
                    const std::string& caller, Json body,
                    std::optional<std::string_view> session_id) {
    const bool batch = body.is_array();
    if (batch && std::any_of(body.begin(), body.end(), is_initialize)) {
      exchange->respond(json_error(400, nullptr, mcp::kInvalidRequest,
                                   "Invalid Request: initialize must be sent on its own, not "
                                   "inside a batch"));
      return;
    }
    if (!session_id) {
      if (!batch && is_initialize(body)) {
        initialize(request, exchange, caller, std::move(body));
        return;
      }
      exchange->respond(json_error(400, nullptr, mcp::kInvalidRequest,
                                   "Bad Request: missing Mcp-Session-Id header: send initialize "
                                   "first, then repeat the session id it returns on every "
                                   "request"));
      return;
    }
    const Json single_id =
        !batch && body.is_object() && body.contains("id") ? body["id"] : Json(nullptr);
    auto found = engine.sessions().find(std::string(*session_id));
    if (!found) {
      exchange->respond(json_error(404, single_id, kSessionNotFound,
                                   "Session not found: it expired, was deleted or never existed; "
                                   "send initialize without Mcp-Session-Id to start a new one"));
      return;
    }
    auto session = *found;
    auto streams = streams_of(session->id());
    if (!streams) {
      exchange->respond(json_error(404, single_id, kSessionNotFound,
                                   "Session not found: it has ended; send initialize without "
                                   "Mcp-Session-Id to start a new one"));
      return;
    }
    std::string version = session->protocol_version();
    if (auto bad = check_protocol_header(request, version, single_id)) {
      exchange->respond(std::move(*bad));
      return;
    }
    if (version.empty()) version = mcp::Engine::negotiate("");
    if (batch) {
      if (version != "2025-03-26") {
        exchange->respond(json_error(400, nullptr, mcp::kInvalidRequest,
                                     "Invalid Request: batches are only part of 2025-03-26; this "
                                     "session negotiated " +
                                         version));
        return;
      }
      if (body.empty()) {
        exchange->respond(
            json_error(400, nullptr, mcp::kInvalidRequest, "Invalid Request: an empty batch"));
        return;
      }
    } else if (is_initialize(body)) {
      exchange->respond(json_error(400, single_id, mcp::kInvalidRequest,
                                   "Invalid Request: this session is already initialized; "
                                   "initialize starts a new session and is sent without "
                                   "Mcp-Session-Id"));
      return;
    }

    std::vector<Json> messages;
    if (batch) {
      for (auto& item : body) messages.push_back(std::move(item));
    } else {
      messages.push_back(std::move(body));
    }
    std::vector<mcp::Classified> kinds;
    std::vector<Json> invalid;
    std::size_t requests = 0;
    for (const auto& message : messages) {
      kinds.push_back(mcp::classify(message));
      const auto& kind = kinds.back();
      if (kind.kind == mcp::MessageKind::kRequest) ++requests;
      if (kind.kind == mcp::MessageKind::kInvalid) {
        invalid.push_back(
            mcp::make_error(kind.id, mcp::kInvalidRequest, "Invalid Request: " + kind.problem));
      }
    }
    if (!batch && !invalid.empty()) {
      exchange->respond(json_body(400, invalid.front()));
      return;
    }

    auto dispatch_others = [&](std::size_t index) {
      mcp::RequestScope scope;
      scope.session = session;
      scope.protocol_version = version;
      scope.caller = caller;
      scope.channel = std::make_shared<NullChannel>();
      engine.handle(std::move(messages[index]), std::move(scope));
    };

    if (requests == 0) {
      for (std::size_t i = 0; i < messages.size(); ++i) {
        if (kinds[i].kind != mcp::MessageKind::kInvalid) dispatch_others(i);
      }
      if (invalid.empty()) {
        exchange->respond(empty(202));
      } else {
        Json array = Json::array();
        for (auto& error : invalid) array.push_back(std::move(error));
        exchange->respond(json_body(200, array));
      }
      return;
    }

    PostReplyOptions options;
    options.wire = Wire::kSession;
    options.batch = batch;
    options.expected = requests;
    auto reply =
        std::make_shared<PostReply>(exchange, std::move(options), session_opener(streams, version));
    for (auto& error : invalid) reply->add_precomputed(std::move(error));
    streams->add_reply(reply);
    track_pending(reply, exchange);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (kinds[i].kind == mcp::MessageKind::kInvalid) continue;
      if (kinds[i].kind != mcp::MessageKind::kRequest) {
        dispatch_others(i);
        continue;
      }
      mcp::RequestScope scope;
      scope.session = session;
      scope.protocol_version = version;
      scope.caller = caller;
      scope.transport_cancel = reply->token();
      scope.channel = reply->channel();
      engine.handle(std::move(messages[i]), std::move(scope));
    }
  }

  void initialize(const http::Request&, const std::shared_ptr<http::Exchange>& exchange,
                  const std::string& caller, Json body) {
    const auto classified = mcp::classify(body);
    if (classified.kind != mcp::MessageKind::kRequest) {
      exchange->respond(
          json_error(400, classified.id, mcp::kInvalidRequest,
                     "Invalid Request: initialize must be a request with an id" +
                         (classified.problem.empty() ? std::string() : ": " + classified.problem)));
      return;
    }
    auto created = engine.sessions().create();
    if (!created) {
      exchange->respond(json_error(503, classified.id, kServerBusy,
                                   "Service Unavailable: " + created.error().message +
                                       "; retry later, or end unused sessions with DELETE"));
      return;
    }
    auto session = *created;
    auto streams = open_session(session);
    const std::string id = session->id();
    std::string requested;
    if (body.contains("params") && body["params"].is_object() &&
        body["params"].contains("protocolVersion") &&
        body["params"]["protocolVersion"].is_string()) {
      requested = body["params"]["protocolVersion"].get<std::string>();
    }
    const std::string version = mcp::Engine::negotiate(requested);

    PostReplyOptions options;
    options.wire = Wire::kSession;
    options.headers.emplace_back(std::string(kSessionHeader), id);
    std::weak_ptr<Impl> weak_self = weak_from_this();
    options.on_initialize_answer = [weak_self, id](const Json& response) {
      if (!response.contains("error")) return true;
      // A failed initialize leaves no half-made session behind.
      if (auto self = weak_self.lock()) self->end_session(id, "initialize failed", true);
      return false;
    };
    auto reply =
        std::make_shared<PostReply>(exchange, std::move(options), session_opener(streams, version));
    streams->add_reply(reply);
    track_pending(reply, exchange);
    mcp::RequestScope scope;
    scope.session = session;
    scope.protocol_version = version;
    scope.caller = caller;
    scope.transport_cancel = reply->token();
    scope.channel = reply->channel();
    engine.handle(std::move(body), std::move(scope));
  }

  void handle_get(const http::Request& request, const std::shared_ptr<http::Exchange>& exchange) {
    auto session_id = header(request, kSessionHeader);
    if (!session_id) {
      if (stateless_without_session(request)) {
        exchange->respond(method_not_allowed(
            "POST",
            "Method Not Allowed: 2026-07-28 has no GET stream; every answer comes on "
            "the POST that asked for it"));
        return;
      }
      exchange->respond(json_error(400, nullptr, mcp::kInvalidRequest,
                                   "Bad Request: missing Mcp-Session-Id header: the listening "
                                   "stream belongs to a session, so send initialize first"));
      return;
    }
    auto accept = header(request, beast_http::to_string(beast_http::field::accept));
    if (!accept || !accept_allows(*accept, "text/event-stream")) {
      exchange->respond(json_error(406, nullptr, mcp::kInvalidRequest,
                                   "Not Acceptable: GET /mcp opens an event stream, so Accept must "
                                   "list text/event-stream, got '" +
                                       std::string(accept.value_or("")) + "'"));
      return;
    }
    auto found = engine.sessions().find(std::string(*session_id));
    auto streams = found ? streams_of((*found)->id()) : nullptr;
    if (!found || !streams) {
      exchange->respond(json_error(404, nullptr, kSessionNotFound,
                                   "Session not found: it expired, was deleted or never existed; "
                                   "send initialize without Mcp-Session-Id to start a new one"));
      return;
    }
    const std::string version = (*found)->protocol_version();
    if (auto bad = check_protocol_header(request, version, nullptr)) {
      exchange->respond(std::move(*bad));
      return;
    }

    if (auto last = header(request, "Last-Event-ID")) {
      auto event_id = parse_event_id(*last);
      auto stream = event_id ? streams->find(event_id->stream) : nullptr;
      if (!stream) {
        exchange->respond(json_error(
            400, nullptr, mcp::kInvalidRequest,
            "Bad Request: Last-Event-ID '" + std::string(*last) +
                "' names no stream this session can resume (unknown, or finished too long ago)"));
        return;
      }
      auto connection = exchange->start_stream(event_stream_head());
      if (!connection) return;
      if (!stream->attach(connection, event_id->sequence)) {
        spdlog::warn(
            "mcp: resumed stream {} of a session from event {}, but older events were "
            "already dropped from the replay window of {} events",
            event_id->stream, event_id->to_string(), config.mcp.sse_replay_events);
      }
      watch(stream, connection);
      return;
    }

    auto stream = streams->create(true);
    if (!stream) {
      exchange->respond(
          json_error(404, nullptr, kSessionNotFound, "Session not found: it has ended"));
      return;
    }
    auto connection = exchange->start_stream(event_stream_head());
    if (!connection) return;
    stream->attach(connection);
    if (primes(version)) stream->prime(config.mcp.sse_retry);
    watch(stream, connection);
  }

  void handle_delete(const http::Request& request,
                     const std::shared_ptr<http::Exchange>& exchange) {
    auto session_id = header(request, kSessionHeader);
    if (!session_id) {
      if (stateless_without_session(request)) {
        exchange->respond(
            method_not_allowed("POST", "Method Not Allowed: 2026-07-28 has no sessions to delete"));
        return;
      }
      exchange->respond(json_error(400, nullptr, mcp::kInvalidRequest,
                                   "Bad Request: missing Mcp-Session-Id header: DELETE ends the "
                                   "session it names"));
      return;
    }
    const std::string id(*session_id);
    if (!engine.sessions().find(id) || !streams_of(id)) {
      exchange->respond(json_error(404, nullptr, kSessionNotFound,
                                   "Session not found: it expired, was deleted or never existed"));
      return;
    }
    end_session(id, "the client ended the session", true);
    exchange->respond(empty(200));
  }

  // ---- timers ----------------------------------------------------------------------

  void schedule_keepalive() {
    if (stopped.load() || config.server.sse_keepalive.count() <= 0) return;
    keepalive_timer.expires_after(config.server.sse_keepalive);
    keepalive_timer.async_wait(asio::bind_executor(
        timers, [weak_self = weak_from_this()](const boost::system::error_code& ec) {
          auto self = weak_self.lock();
          if (!self || ec || self->stopped.load()) return;
          self->keepalive_tick();
          self->schedule_keepalive();
        }));
  }

  void keepalive_tick() {
    std::vector<std::shared_ptr<SseStream>> streams;
    std::vector<std::shared_ptr<PostReply>> replies;
    std::vector<std::shared_ptr<SessionStreams>> session_list;
    {
      std::lock_guard lock(mutex);
      std::erase_if(live, [&](const std::weak_ptr<SseStream>& weak) {
        auto stream = weak.lock();
        if (!stream || stream->finished()) return true;
        streams.push_back(std::move(stream));
        return false;
      });
      std::erase_if(pending, [&](const std::weak_ptr<PostReply>& weak) {
        auto reply = weak.lock();
        if (!reply || reply->done()) return true;
        replies.push_back(std::move(reply));
        return false;
      });
      for (auto& [id, entry] : sessions) session_list.push_back(entry);
    }
    const auto now = std::chrono::steady_clock::now();
    for (auto& reply : replies) {
      // A call still running after a whole interval gets its stream now, so the
      // connection carries keep-alives instead of looking dead to proxies.
      if (now - reply->created() < config.server.sse_keepalive) continue;
      if (auto stream = reply->escalate()) stream->keepalive();
    }
    for (auto& stream : streams) {
      if (stream->connected()) stream->keepalive();
    }
    // A client listening on a stream is using its session, even when it sends nothing.
    for (auto& entry : session_list) {
      if (entry->has_connection()) (void)engine.sessions().find(entry->session_id());
    }
  }

  void schedule_sweep() {
    if (stopped.load()) return;
    auto interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(config.mcp.session_idle_timeout / 4);
    interval =
        std::clamp(interval, std::chrono::milliseconds(1'000), std::chrono::milliseconds(60'000));
    sweep_timer.expires_after(interval);
    sweep_timer.async_wait(asio::bind_executor(
        timers, [weak_self = weak_from_this()](const boost::system::error_code& ec) {
          auto self = weak_self.lock();
          if (!self || ec || self->stopped.load()) return;
          self->sweep();
          self->schedule_sweep();
        }));
  }

  void sweep() {
    const auto expired = engine.sessions().expire_idle();
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mutex);
      for (const auto& [id, entry] : sessions) ids.push_back(id);
    }
    for (const auto& id : ids) {
      if (!engine.sessions().find(id)) end_session(id, "session expired", false);
    }
    if (expired > 0) spdlog::info("mcp: expired {} idle session(s)", expired);
    report_sessions();
  }

  void close_idle_streams() {
    std::vector<std::shared_ptr<SessionStreams>> all;
    {
      std::lock_guard lock(mutex);
      for (auto& [id, entry] : sessions) all.push_back(entry);
    }
    for (auto& entry : all) entry->disconnect_listening();
  }

  void shutdown() {
    if (stopped.exchange(true)) return;
    asio::post(timers, [weak_self = weak_from_this()] {
      if (auto self = weak_self.lock()) {
        self->keepalive_timer.cancel();
        self->sweep_timer.cancel();
      }
    });
    std::vector<std::shared_ptr<SessionStreams>> all;
    std::vector<std::shared_ptr<PostReply>> replies;
    std::vector<std::shared_ptr<SseStream>> streams;
    {
      std::lock_guard lock(mutex);
      for (auto& [id, entry] : sessions) all.push_back(entry);
      for (auto& weak : pending) {
        if (auto reply = weak.lock()) replies.push_back(std::move(reply));
      }
      for (auto& weak : live) {
        if (auto stream = weak.lock()) streams.push_back(std::move(stream));
      }
    }
    engine.sessions().cancel_all("the server is shutting down");
    for (auto& reply : replies) reply->source().cancel("the server is shutting down");
    for (auto& entry : all) entry->close("the server is shutting down");
    for (auto& stream : streams) stream->finish();
  }
};

StreamableHttpTransport::StreamableHttpTransport(asio::io_context& io, mcp::Engine& engine,
                                                 const config::Config& config,
                                                 metrics::Metrics* metrics)
    : impl_(std::make_shared<Impl>(io, engine, config, metrics)) {}

StreamableHttpTransport::~StreamableHttpTransport() {
  impl_->shutdown();
}

void StreamableHttpTransport::start() {
  asio::post(impl_->timers, [weak_impl = std::weak_ptr<Impl>(impl_)] {
    if (auto impl = weak_impl.lock()) {
      impl->schedule_keepalive();
      impl->schedule_sweep();
    }
  });
  impl_->report_sessions();
}

void StreamableHttpTransport::handle(http::Request request,
                                     std::shared_ptr<http::Exchange> exchange,
                                     const std::string& caller) {
  impl_->handle(std::move(request), exchange, caller);
}

void StreamableHttpTransport::close_idle_streams() {
  impl_->close_idle_streams();
}

void StreamableHttpTransport::shutdown() {
  impl_->shutdown();
}

}  // namespace shield::transport
