#include "chunked_response_stream.hpp"

#include "connection.hpp"
#include "peer_gone_signal.hpp"

namespace shield::http::detail {

ChunkedResponseStream::ChunkedResponseStream(std::shared_ptr<Connection> connection,
                                             std::uint64_t seq,
                                             std::shared_ptr<PeerGoneSignal> peer_gone)
    : connection_(std::move(connection)), seq_(seq), peer_gone_(std::move(peer_gone)) {
  if (!connection_) closed_ = ended_ = true;
}

ChunkedResponseStream::~ChunkedResponseStream() {
  if (connection_) connection_->stream_close(seq_);
}

bool ChunkedResponseStream::write(std::string data) {
  // Posting under the lock keeps writes from several threads in one order with close().
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  // An empty chunk would read as the end of the body.
  if (!data.empty()) connection_->stream_write(seq_, std::move(data));
  return true;
}

void ChunkedResponseStream::close() {
  std::shared_ptr<Connection> connection;
  std::lock_guard lock(mutex_);
  if (closed_) return;
  closed_ = true;
  if (peer_gone_) peer_gone_->settle();
  connection = std::move(connection_);
  connection->stream_close(seq_);
}

bool ChunkedResponseStream::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void ChunkedResponseStream::on_closed(std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    if (!ended_) {
      on_closed_ = std::move(callback);
      return;
    }
  }
  if (callback) callback();
}

void ChunkedResponseStream::end() {
  std::function<void()> callback;
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    connection = std::move(connection_);
    if (ended_) return;
    ended_ = true;
    callback.swap(on_closed_);
  }
  if (callback) callback();
}

}  // namespace shield::http::detail
