#include "shield/transport/sse_stream.hpp"

namespace shield::transport {

SseStream::SseStream(std::uint64_t number, std::size_t replay_capacity, bool resumable)
    : number_(number), resumable_(resumable), replay_(resumable ? replay_capacity : 0) {}

bool SseStream::attach(std::shared_ptr<http::ResponseStream> connection,
                       std::optional<std::uint64_t> after_sequence) {
  std::shared_ptr<http::ResponseStream> previous;
  bool complete = true;
  {
    std::lock_guard lock(mutex_);
    previous = std::exchange(connection_, nullptr);
    if (after_sequence) {
      auto replay = replay_.after(*after_sequence);
      complete = replay.complete;
      for (auto& event : replay.events) connection->write(std::move(event));
    }
    if (finished_) {
      connection->close();
    } else {
      connection_ = std::move(connection);
    }
  }
  if (previous) previous->close();
  return complete;
}

void SseStream::prime(std::chrono::milliseconds retry) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  const EventId id{number_, next_sequence_++};
  write_locked(format_priming_event(id, retry));
}

void SseStream::send(const mcp::Json& message) {
  const std::string data = message.dump(-1, ' ', false, mcp::Json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  if (finished_) return;
  if (!resumable_) {
    write_locked(format_message_event(data));
    return;
  }
  const std::uint64_t sequence = next_sequence_++;
  std::string event = format_message_event(EventId{number_, sequence}, data);
  write_locked(event);
  replay_.push(sequence, std::move(event));
}

void SseStream::keepalive() {
  std::lock_guard lock(mutex_);
  if (!finished_) write_locked(format_comment("keepalive"));
}

void SseStream::finish() {
  std::shared_ptr<http::ResponseStream> connection;
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
    connection = std::exchange(connection_, nullptr);
  }
  if (connection) connection->close();
}

void SseStream::disconnect() {
  std::shared_ptr<http::ResponseStream> connection;
  {
    std::lock_guard lock(mutex_);
    connection = std::exchange(connection_, nullptr);
  }
  if (connection) connection->close();
}

bool SseStream::connection_lost(const http::ResponseStream* connection) {
  std::lock_guard lock(mutex_);
  if (connection_.get() != connection) return false;
  connection_.reset();
  return !finished_;
}

void SseStream::carry(CancellationSource source) {
  std::lock_guard lock(mutex_);
  carried_ = std::move(source);
}

void SseStream::trip_carried(const std::string& reason) {
  std::optional<CancellationSource> source;
  {
    std::lock_guard lock(mutex_);
    source = carried_;
  }
  // Outside the lock: cancellation callbacks may answer the request, which writes here.
  if (source) source->cancel(reason);
}

bool SseStream::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

bool SseStream::connected() const {
  std::lock_guard lock(mutex_);
  return connection_ != nullptr;
}

std::optional<EventId> SseStream::last_event_id() const {
  std::lock_guard lock(mutex_);
  if (next_sequence_ == 0) return std::nullopt;
  return EventId{number_, next_sequence_ - 1};
}

void SseStream::write_locked(const std::string& event) {
  // A failed write means the peer is gone; connection_lost() (run by the connection's
  // on_closed) decides what that means, so the connection stays until then.
  if (connection_) connection_->write(event);
}

}  // namespace shield::transport
