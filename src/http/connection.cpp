#include "connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <limits>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "chunked_response_stream.hpp"
#include "connection_exchange.hpp"
#include "json_response.hpp"
#include "peer_gone_signal.hpp"
#include "server_core.hpp"

namespace shield::http::detail {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

// A stream whose peer reads slower than we produce would otherwise grow without bound.
constexpr std::size_t kStreamBacklogBytes = std::size_t{8} * 1024 * 1024;
// After a final answer we read and discard what the peer still sends for this long, so
// the close does not turn into a reset that destroys the answer before it is read.
constexpr std::chrono::milliseconds kLingerTimeout{1'000};
constexpr std::size_t kLingerBufferBytes = 4096;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Disconnects are the normal end of a connection; only other errors deserve a warning.
bool is_disconnect(const error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
         ec == net::error::operation_aborted || ec == net::error::not_connected ||
         ec == net::error::bad_descriptor || ec == bhttp::error::end_of_stream;
}

std::string endpoint_text(const net::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(endpoint.port());
  return address.to_string() + ":" + std::to_string(endpoint.port());
}

std::string describe_limit(std::size_t bytes) {
  constexpr std::size_t kMiB = std::size_t{1024} * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) {
    return std::to_string(bytes / kMiB) + " MiB (" + std::to_string(bytes) + " bytes)";
  }
  if (bytes >= 1024 && bytes % 1024 == 0) {
    return std::to_string(bytes / 1024) + " KiB (" + std::to_string(bytes) + " bytes)";
  }
  return std::to_string(bytes) + " bytes";
}

}  // namespace

Connection::Connection(std::shared_ptr<ServerCore> core, Socket socket, bool registered)
    : core_(std::move(core)),
      strand_(socket.get_executor()),
      socket_(std::move(socket)),
      registered_(registered),
      read_timer_(strand_),
      write_timer_(strand_) {
  error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  peer_ = ec ? std::string("unknown") : endpoint_text(remote);
  shared_peer_ = std::make_shared<const std::string>(peer_);
  // Answers are small and latency-bound; Nagle would hold them back behind delayed ACKs.
  socket_.set_option(net::ip::tcp::no_delay(true), ec);
}

Connection::~Connection() {
  // Only reached without close_now() when the io_context is torn down with work pending.
  if (state_ != State::kClosed) abandon_slots();
  finish();
}

const ServerLimits& Connection::limits() const {
  return core_->limits();
}

void Connection::start() {
  net::dispatch(strand_, [self = shared_from_this()] {
    self->draining_ = self->core_->draining();
    self->do_read();
  });
}

void Connection::refuse() {
  net::dispatch(strand_, [self = shared_from_this()] {
    self->answer_and_close(
        503,
        error_body(ErrorCode::kResourceExhausted,
                   "the server is at its connection limit (" +
                       std::to_string(self->limits().max_connections) + "); retry shortly"),
        true);
  });
}

void Connection::drain() {
  net::post(strand_, [self = shared_from_this()] {
    self->draining_ = true;
    if (self->state_ != State::kOpen) return;
    const bool request_arriving =
        self->reading_ && (self->phase_ == ReadPhase::kHead || self->phase_ == ReadPhase::kBody);
    if (self->slots_.empty() && !request_arriving && !self->writing_) self->close_now("drained");
  });
}

void Connection::close() {
  net::post(strand_, [self = shared_from_this()] {
    if (self->state_ != State::kClosed) self->close_now("server closing");
  });
}

// ---- reading ---------------------------------------------------------------------------

void Connection::do_read() {
  if (state_ != State::kOpen || reading_ || read_stopped_ ||
      slots_.size() >= std::max<std::size_t>(1, limits().max_pipelined)) {
    return;
  }
  reading_ = true;
  parser_.emplace();
  // Beast compares Content-Length with the limit while it parses the head, before the
  // route is known: start from the largest limit any path has, narrow it in on_head().
  body_limit_ = limits().max_body_bytes;
  body_limit_setting_ = "server.max_body_bytes";
  for (const auto& rule : limits().body_limit_rules) {
    if (rule.max_body_bytes > body_limit_) {
      body_limit_ = rule.max_body_bytes;
      if (!rule.setting.empty()) body_limit_setting_ = rule.setting;
    }
  }
  parser_->body_limit(body_limit_);
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  if (buffer_.size() > 0) {
    read_head();  // the peer pipelined: the next request is already here
    return;
  }
  phase_ = ReadPhase::kIdle;
  if (slots_.empty()) {
    if (draining_) {
      close_now("drained");
      return;
    }
    arm_read_deadline(limits().idle_timeout);
  }
  // Waiting for readability first separates the idle wait from the header deadline, and
  // with answers still owed it is how a departing peer is noticed (EOF).
  socket_.async_wait(net::socket_base::wait_read,
                     [self = shared_from_this()](const error_code& ec) { self->on_readable(ec); });
}

bool Connection::read_stopped(const error_code& ec) {
  if (state_ != State::kOpen) return true;
  if (!ec) return false;
  reading_ = false;
  disarm_read_deadline();
  on_read_error(ec);
  return true;
}

void Connection::on_readable(const error_code& ec) {
  if (read_stopped(ec)) return;
  read_head();
}

void Connection::read_head() {
  phase_ = ReadPhase::kHead;
  // Armed once for the whole head: a peer trickling bytes cannot stretch it.
  arm_read_deadline(limits().header_timeout);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_head(ec); });
}

void Connection::on_head(const error_code& ec) {
  if (read_stopped(ec)) return;
  if (parser_->is_done()) {
    on_request();
    return;
  }
  phase_ = ReadPhase::kBody;
  arm_read_deadline(limits().body_timeout);
  const auto& head = parser_->get();
  body_limit_ = limits().body_limit_for(head.target());
  body_limit_setting_ = limits().body_limit_setting_for(head.target());
  if (const auto length = parser_->content_length(); length && *length > body_limit_) {
    read_stopped(bhttp::error::body_limit);
    return;
  }
  parser_->body_limit(body_limit_);
  auto expect = head[bhttp::field::expect];
  if (beast::iequals(expect, "100-continue") && slots_.empty() && !writing_) write_continue();
  bhttp::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](const error_code& e, std::size_t) { self->on_body(e); });
}

void Connection::on_body(const error_code& ec) {
  if (read_stopped(ec)) return;
  on_request();
}

void Connection::on_request() {
  reading_ = false;
  phase_ = ReadPhase::kNone;
  disarm_read_deadline();

  Request request = parser_->release();
  Slot slot;
  slot.seq = next_seq_++;
  slot.keep_alive = request.keep_alive();
  slot.log = AccessLogEntry::begin(request.method_string(), request.target());
  slot.peer_gone = std::make_shared<PeerGoneSignal>();
  if (!slot.keep_alive) read_stopped_ = true;

  ConnectionExchange::RequestTraits traits{request.version(), slot.keep_alive,
                                           request.method() == bhttp::verb::head};
  auto exchange = std::make_shared<ConnectionExchange>(shared_from_this(), slot.seq, shared_peer_,
                                                       slot.peer_gone, traits);
  slots_.push_back(std::move(slot));

  do_read();
  try {
    core_->handler()(std::move(request), std::move(exchange));
  } catch (const std::exception& e) {
    // The exchange went out of scope unanswered, so the peer gets 500.
    spdlog::error("[{}] request handler threw: {}", core_->name(), e.what());
  } catch (...) {
    spdlog::error("[{}] request handler threw a non-standard exception", core_->name());
  }
}

void Connection::on_read_error(const error_code& ec) {
  phase_ = ReadPhase::kNone;
  if (ec == net::error::operation_aborted) return;
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == bhttp::error::partial_message) {
    if (slots_.empty() && !writing_) {
      close_now("peer closed");
    } else {
      close_now("peer gone with answers pending");
    }
    return;
  }
  if (ec == bhttp::error::body_limit) {
    answer_and_close(
        413, error_body(ErrorCode::kResourceExhausted, "request body exceeds the limit of " +
                                                           describe_limit(body_limit_) + " (" +
                                                           std::string(body_limit_setting_) + ")"));
    return;
  }
  if (ec == bhttp::error::header_limit) {
    answer_and_close(431, error_body(ErrorCode::kResourceExhausted,
                                     "request header fields exceed the limit of " +
                                         describe_limit(limits().max_header_bytes)));
    return;
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    answer_and_close(
        400, error_body(ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message()));
    return;
  }
  fail(ec, "read");
}

void Connection::answer_and_close(unsigned status, std::string body, bool retry_later) {
  read_stopped_ = true;
  Slot slot;
  slot.seq = next_seq_++;
  slot.keep_alive = false;
  slot.state = SlotState::kAnswered;
  if (parser_ && parser_->is_header_done()) {
    slot.log = AccessLogEntry::begin(parser_->get().method_string(), parser_->get().target());
  } else {
    slot.log = AccessLogEntry::begin("-", "-");
  }
  const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
  slot.response = std::make_unique<Response>(
      json_response(static_cast<bhttp::status>(status), version, std::move(body)));
  if (retry_later) slot.response->set(bhttp::field::retry_after, "1");
  slot.response->keep_alive(false);
  slots_.push_back(std::move(slot));
  do_write();
}

// ---- writing ---------------------------------------------------------------------------

void Connection::do_write() {
  if (writing_ || state_ != State::kOpen || slots_.empty()) return;
  Slot& slot = slots_.front();
  switch (slot.state) {
    case SlotState::kAwaiting:
      return;
    case SlotState::kAnswered:
      write_response(slot);
      return;
    case SlotState::kStreaming:
      if (!slot.head_written) {
        write_stream_head(slot);
      } else if (!slot.chunks.empty()) {
        write_chunk(slot);
      } else if (slot.end_requested) {
        write_last_chunk(slot);
      }
      return;
  }
}

bool Connection::close_after(const Slot& slot) const {
  if (!slot.keep_alive) return true;
  const bool request_arriving =
      reading_ && (phase_ == ReadPhase::kHead || phase_ == ReadPhase::kBody);
  return draining_ && slots_.size() == 1 && !request_arriving;
}

void Connection::write_response(Slot& slot) {
  const bool close = close_after(slot);
  out_response_ = std::move(slot.response);
  if (close) out_response_->keep_alive(false);
  writing_ = true;
  arm_write_deadline();
  bhttp::async_write(socket_, *out_response_,
                     [self = shared_from_this(), close](const error_code& ec, std::size_t) {
                       self->on_response_written(ec, close);
                     });
}

void Connection::on_response_written(const error_code& ec, bool close) {
  writing_ = false;
  disarm_write_deadline();
  if (state_ != State::kOpen) return;
  if (ec) {
    fail(ec, "write");
    return;
  }
  if (slots_.front().log) {
    slots_.front().log->write(core_->name(), out_response_->result_int(), peer_);
  }
  out_response_.reset();
  slots_.pop_front();
  if (close) {
    close_gracefully();
    return;
  }
  after_slot();
}

void Connection::write_stream_head(Slot& slot) {
  slot.head_serializer =
      std::make_unique<bhttp::response_serializer<bhttp::empty_body>>(*slot.stream_head);
  writing_ = true;
  arm_write_deadline();
  bhttp::async_write_header(socket_, *slot.head_serializer,
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                              self->writing_ = false;
                              self->disarm_write_deadline();
                              if (self->state_ != State::kOpen) return;
                              if (ec) {
                                self->fail(ec, "write stream head");
                                return;
                              }
                              Slot& front = self->slots_.front();
                              front.head_written = true;
                              if (front.log) {
                                front.log->write(self->core_->name(),
                                                 front.stream_head->result_int(), self->peer_,
                                                 "stream-open");
                              }
                              self->do_write();
                            });
}

void Connection::write_chunk(Slot& slot) {
  // Everything queued so far leaves as one chunk: fewer writes, same bytes in order.
  out_chunk_.clear();
  out_chunk_.reserve(slot.queued_bytes);
  for (auto& piece : slot.chunks) out_chunk_ += piece;
  slot.chunks.clear();
  slot.queued_bytes = 0;
  writing_ = true;
  arm_write_deadline();
  net::async_write(socket_, bhttp::make_chunk(net::buffer(out_chunk_)),
                   [self = shared_from_this()](const error_code& ec, std::size_t) {
                     self->writing_ = false;
                     self->disarm_write_deadline();
                     if (self->state_ != State::kOpen) return;
                     if (ec) {
                       self->fail(ec, "write chunk");
                       return;
                     }
                     self->do_write();
                   });
}

void Connection::write_last_chunk(Slot& slot) {
  const bool close = close_after(slot);
  writing_ = true;
  arm_write_deadline();
  net::async_write(socket_, bhttp::make_chunk_last(),
                   [self = shared_from_this(), close](const error_code& ec, std::size_t) {
                     self->on_last_chunk_written(ec, close);
                   });
}

void Connection::on_last_chunk_written(const error_code& ec, bool close) {
  writing_ = false;
  disarm_write_deadline();
  if (state_ != State::kOpen) return;
  if (ec) {
    fail(ec, "write last chunk");
    return;
  }
  Slot slot = std::move(slots_.front());
  slots_.pop_front();
  slot.peer_gone->settle();
  if (slot.log) slot.log->write(core_->name(), slot.stream_head->result_int(), peer_, "stream-end");
  if (auto stream = slot.stream.lock()) stream->end();
  if (close) {
    close_gracefully();
    return;
  }
  after_slot();
}

void Connection::write_continue() {
  writing_ = true;
  arm_write_deadline();
  net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                   [self = shared_from_this()](const error_code& ec, std::size_t) {
                     self->writing_ = false;
                     self->disarm_write_deadline();
                     if (self->state_ != State::kOpen) return;
                     if (ec) {
                       self->fail(ec, "write 100-continue");
                       return;
                     }
                     self->do_write();
                   });
}

void Connection::after_slot() {
  if (slots_.empty() && reading_ && phase_ == ReadPhase::kIdle) {
    if (draining_) {
      close_now("drained");
      return;
    }
    // Nothing is owed any more: from here on the connection is idle.
    arm_read_deadline(limits().idle_timeout);
  }
  do_read();
  do_write();
}

// ---- answers from exchanges (any thread) ----------------------------------------------

Connection::Slot* Connection::find(std::uint64_t seq) {
  if (slots_.empty() || seq < slots_.front().seq) return nullptr;
  const auto index = seq - slots_.front().seq;
  if (index >= slots_.size()) return nullptr;
  return &slots_[index];
}

void Connection::complete(std::uint64_t seq, Response response) {
  net::post(strand_, [self = shared_from_this(), seq, response = std::move(response)]() mutable {
    self->on_complete(seq, std::move(response));
  });
}

void Connection::begin_stream(std::uint64_t seq, Response head,
                              std::shared_ptr<ChunkedResponseStream> stream) {
  net::post(strand_, [self = shared_from_this(), seq, head = std::move(head),
                      stream = std::move(stream)]() mutable {
    self->on_begin_stream(seq, std::move(head), stream);
  });
}

void Connection::stream_write(std::uint64_t seq, std::string data) {
  net::post(strand_, [self = shared_from_this(), seq, data = std::move(data)]() mutable {
    self->on_stream_write(seq, std::move(data));
  });
}

void Connection::stream_close(std::uint64_t seq) {
  net::post(strand_, [self = shared_from_this(), seq] { self->on_stream_close(seq); });
}

void Connection::on_complete(std::uint64_t seq, Response response) {
  if (state_ != State::kOpen) return;
  Slot* slot = find(seq);
  if (slot == nullptr || slot->state != SlotState::kAwaiting) return;
  slot->response = std::make_unique<Response>(std::move(response));
  slot->state = SlotState::kAnswered;
  do_write();
}

void Connection::on_begin_stream(std::uint64_t seq, Response head,
                                 const std::shared_ptr<ChunkedResponseStream>& stream) {
  if (state_ != State::kOpen) {
    stream->end();
    return;
  }
  Slot* slot = find(seq);
  if (slot == nullptr || slot->state != SlotState::kAwaiting) {
    stream->end();
    return;
  }
  auto message = std::make_unique<bhttp::response<bhttp::empty_body>>();
  message->base() = std::move(head.base());
  message->chunked(true);
  slot->stream_head = std::move(message);
  slot->stream = stream;
  slot->state = SlotState::kStreaming;
  do_write();
}

void Connection::on_stream_write(std::uint64_t seq, std::string data) {
  if (state_ != State::kOpen) return;
  Slot* slot = find(seq);
  if (slot == nullptr || slot->state != SlotState::kStreaming || slot->end_requested) return;
  slot->queued_bytes += data.size();
  slot->chunks.push_back(std::move(data));
  if (slot->queued_bytes > kStreamBacklogBytes) {
    spdlog::warn("[{}] closing {}: the peer reads a stream slower than it is written ({} queued)",
                 core_->name(), peer_, describe_limit(slot->queued_bytes));
    close_now("stream backlog");
    return;
  }
  do_write();
}

void Connection::on_stream_close(std::uint64_t seq) {
  if (state_ != State::kOpen) return;
  Slot* slot = find(seq);
  if (slot == nullptr || slot->state != SlotState::kStreaming) return;
  slot->end_requested = true;
  do_write();
}

// ---- deadlines -------------------------------------------------------------------------

void Connection::arm_read_deadline(std::chrono::milliseconds after) {
  const auto gen = ++read_deadline_gen_;
  read_timer_.expires_after(after);
  read_timer_.async_wait([self = shared_from_this(), gen](const error_code& ec) {
    if (ec || gen != self->read_deadline_gen_) return;
    self->on_read_deadline();
  });
}

void Connection::disarm_read_deadline() {
  ++read_deadline_gen_;
  read_timer_.cancel();
}

void Connection::on_read_deadline() {
  if (state_ == State::kLingering) {
    close_now("linger timeout");
    return;
  }
  if (state_ != State::kOpen) return;
  switch (phase_) {
    case ReadPhase::kIdle:
      close_now("idle timeout");
      return;
    case ReadPhase::kHead:
      spdlog::info("[{}] closing {}: request head not complete within {} ms", core_->name(), peer_,
                   limits().header_timeout.count());
      close_now("header timeout");
      return;
    case ReadPhase::kBody:
      spdlog::info("[{}] closing {}: request body not complete within {} ms", core_->name(), peer_,
                   limits().body_timeout.count());
      close_now("body timeout");
      return;
    case ReadPhase::kNone:
      return;
  }
}

void Connection::arm_write_deadline() {
  // A peer that stops reading must not pin the connection: body_timeout bounds a write the
  // same way it bounds a body read.
  const auto gen = ++write_deadline_gen_;
  write_timer_.expires_after(limits().body_timeout);
  write_timer_.async_wait([self = shared_from_this(), gen](const error_code& ec) {
    if (ec || gen != self->write_deadline_gen_ || self->state_ != State::kOpen) return;
    spdlog::info("[{}] closing {}: a write did not complete within {} ms", self->core_->name(),
                 self->peer_, self->limits().body_timeout.count());
    self->close_now("write timeout");
  });
}

void Connection::disarm_write_deadline() {
  ++write_deadline_gen_;
  write_timer_.cancel();
}

// ---- closing ---------------------------------------------------------------------------

void Connection::fail(const error_code& ec, const char* what) {
  if (is_disconnect(ec)) {
    spdlog::debug("[{}] {} {}: {}", core_->name(), peer_, what, ec.message());
  } else {
    spdlog::warn("[{}] {} {} failed: {}", core_->name(), peer_, what, ec.message());
  }
  close_now(what);
}

void Connection::close_now(const char* why) {
  if (state_ == State::kClosed) return;
  spdlog::debug("[{}] closing {}: {}", core_->name(), peer_, why);
  state_ = State::kClosed;
  disarm_read_deadline();
  disarm_write_deadline();
  error_code ignored;
  socket_.shutdown(net::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  abandon_slots();
  // Buffers stay: aborted operations still touch them when they complete.
  finish();
}

void Connection::close_gracefully() {
  if (state_ != State::kOpen) return;
  state_ = State::kLingering;
  disarm_write_deadline();
  abandon_slots();
  error_code ignored;
  // Cancels a pending wait for the next request; its handler sees the state and returns.
  socket_.cancel(ignored);
  socket_.shutdown(net::socket_base::shutdown_send, ignored);
  linger_buffer_ = std::make_unique<char[]>(kLingerBufferBytes);
  arm_read_deadline(std::min(kLingerTimeout, limits().idle_timeout));
  linger_read();
}

void Connection::linger_read() {
  socket_.async_read_some(net::buffer(linger_buffer_.get(), kLingerBufferBytes),
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                            if (self->state_ != State::kLingering) return;
                            if (ec) {
                              self->close_now("closed after final answer");
                              return;
                            }
                            self->linger_read();
                          });
}

void Connection::abandon_slots() {
  // The slots stay in place: an aborted write may still refer to a head or serializer in
  // them until its completion runs. Callbacks only post, so none re-enters this loop.
  for (auto& slot : slots_) {
    if (slot.peer_gone) slot.peer_gone->fire();
    if (auto stream = slot.stream.lock()) stream->end();
  }
}

void Connection::finish() {
  if (finished_) return;
  finished_ = true;
  if (registered_) core_->forget(this);
}

}  // namespace shield::http::detail
