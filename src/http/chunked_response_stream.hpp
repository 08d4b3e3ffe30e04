#pragma once
// The ResponseStream a handler gets from Exchange::start_stream: each write() becomes a
// chunk of a `Transfer-Encoding: chunked` body, written in call order on the connection's
// strand. While open it keeps its connection alive; dropping it unclosed closes it, so the
// connection can go on to the next request. Threading: every member is safe from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "shield/http/exchange.hpp"

namespace shield::http::detail {

class Connection;
class PeerGoneSignal;

class ChunkedResponseStream final : public ResponseStream {
 public:
  // A null `connection` makes a stream that is already over (an exchange answered twice).
  ChunkedResponseStream(std::shared_ptr<Connection> connection, std::uint64_t seq,
                        std::shared_ptr<PeerGoneSignal> peer_gone);
  ~ChunkedResponseStream() override;
  ChunkedResponseStream(const ChunkedResponseStream&) = delete;
  ChunkedResponseStream& operator=(const ChunkedResponseStream&) = delete;

  bool write(std::string data) override;
  void close() override;
  [[nodiscard]] bool closed() const override;
  void on_closed(std::function<void()> callback) override;

  // The connection is done with the stream: its last chunk is written, the peer left or
  // the connection closed. Fires on_closed once.
  void end();

 private:
  std::shared_ptr<Connection> connection_;  // released once closed or ended
  std::uint64_t seq_;
  std::shared_ptr<PeerGoneSignal> peer_gone_;
  mutable std::mutex mutex_;
  bool closed_ = false;  // no more writes accepted
  bool ended_ = false;   // on_closed has run (or will, now)
  std::function<void()> on_closed_;
};

}  // namespace shield::http::detail
