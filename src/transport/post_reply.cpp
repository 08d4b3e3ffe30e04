#include "post_reply.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "shield/transport/stateless_admission.hpp"

namespace shield::transport {
namespace {

namespace beast_http = boost::beast::http;
using mcp::Json;

class ReplyChannel final : public mcp::RequestChannel {
 public:
  explicit ReplyChannel(std::shared_ptr<PostReply> reply) : reply_(std::move(reply)) {}
  void notify(Json notification) override { reply_->notify(std::move(notification)); }
  void respond(Json response) override { reply_->respond(std::move(response)); }
  void cancelled() override { reply_->cancelled(); }

 private:
  std::shared_ptr<PostReply> reply_;
};

}  // namespace

PostReply::PostReply(std::shared_ptr<http::Exchange> exchange, PostReplyOptions options,
                     StreamOpener open_stream)
    : exchange_(std::move(exchange)),
      options_(std::move(options)),
      open_stream_(std::move(open_stream)),
      outstanding_(options_.expected) {}

std::shared_ptr<mcp::RequestChannel> PostReply::channel() {
  return std::make_shared<ReplyChannel>(shared_from_this());
}

void PostReply::add_precomputed(Json response) {
  std::lock_guard lock(mutex_);
  responses_.push_back(std::move(response));
}

void PostReply::notify(Json notification) {
  std::lock_guard lock(mutex_);
  if (state_ == State::kDone) return;
  if (state_ == State::kPending) start_stream_locked();
  if (stream_) stream_->send(notification);
}

void PostReply::respond(Json response) {
  // Outside the lock: the hook may end the session, which takes the transport's locks.
  if (options_.on_initialize_answer) {
    const bool keep = options_.on_initialize_answer(response);
    std::lock_guard lock(mutex_);
    include_session_header_ = keep;
  }
  std::lock_guard lock(mutex_);
  if (state_ == State::kDone) return;
  if (state_ == State::kStreaming) {
    if (stream_) stream_->send(response);
  } else {
    responses_.push_back(std::move(response));
  }
  answered_locked();
}

void PostReply::cancelled() {
  std::lock_guard lock(mutex_);
  if (state_ == State::kDone) return;
  answered_locked();
}

std::shared_ptr<SseStream> PostReply::escalate() {
  std::lock_guard lock(mutex_);
  if (state_ == State::kPending && outstanding_ > 0) start_stream_locked();
  if (state_ != State::kStreaming) return nullptr;
  return stream_;
}

void PostReply::peer_gone() {
  cancel_.cancel("the client closed the connection");
}

bool PostReply::done() const {
  std::lock_guard lock(mutex_);
  return state_ == State::kDone;
}

void PostReply::answered_locked() {
  if (outstanding_ > 0) --outstanding_;
  if (outstanding_ > 0) return;
  if (state_ == State::kStreaming) {
    if (stream_) stream_->finish();
    state_ = State::kDone;
    return;
  }
  answer_json_locked();
}

void PostReply::answer_json_locked() {
  state_ = State::kDone;
  if (responses_.empty()) {
    // Every request was cancelled: no response is due (the spec forbids one), yet the HTTP
    // request needs an answer. An event stream with no events says exactly that.
    http::Response head{beast_http::status::ok, 11};
    head.set(beast_http::field::content_type, "text/event-stream");
    head.set(beast_http::field::cache_control, "no-cache");
    if (auto connection = exchange_->start_stream(std::move(head))) connection->close();
    return;
  }
  if (options_.batch) {
    Json body = Json::array();
    for (auto& response : responses_) body.push_back(std::move(response));
    exchange_->respond(json_response(200, body));
    return;
  }
  const unsigned status =
      options_.wire == Wire::kStateless ? stateless_http_status(responses_.front()) : 200;
  exchange_->respond(json_response(status, responses_.front()));
}

void PostReply::start_stream_locked() {
  http::Response head{beast_http::status::ok, 11};
  head.set(beast_http::field::content_type, "text/event-stream");
  head.set(beast_http::field::cache_control, "no-cache");
  // Reverse proxies (nginx) would otherwise hold events back in their buffers.
  head.set("X-Accel-Buffering", "no");
  for (const auto& [name, value] : options_.headers) {
    if (include_session_header_ || name != "Mcp-Session-Id") head.set(name, value);
  }
  state_ = State::kStreaming;
  auto connection = exchange_->start_stream(std::move(head));
  if (!connection) return;
  stream_ = open_stream_(std::move(connection), cancel_);
  for (const auto& response : responses_) stream_->send(response);
  responses_.clear();
}

http::Response PostReply::json_response(unsigned status, const Json& body) const {
  http::Response response{static_cast<beast_http::status>(status), 11};
  response.set(beast_http::field::content_type, "application/json");
  for (const auto& [name, value] : options_.headers) {
    if (include_session_header_ || name != "Mcp-Session-Id") response.set(name, value);
  }
  response.body() = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  response.prepare_payload();
  return response;
}

}  // namespace shield::transport
