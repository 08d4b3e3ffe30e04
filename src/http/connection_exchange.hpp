#pragma once
// The Exchange a handler gets for one request on a Connection. It carries what the answer
// needs from the request (version, keep-alive, HEAD) so the handler may drop the request.
// Until it is answered it keeps its connection alive: an owed answer is a reason for the
// connection to exist even when no socket operation is pending (pipelining queue full).
// Threading: every member is safe from any thread; answers are posted to the strand.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "shield/http/exchange.hpp"

namespace shield::http::detail {

class Connection;
class PeerGoneSignal;

class ConnectionExchange final : public Exchange {
 public:
  struct RequestTraits {
    unsigned version = 11;
    bool keep_alive = true;
    bool head = false;  // HEAD: send the headers of the answer, never its body
  };

  ConnectionExchange(std::shared_ptr<Connection> connection, std::uint64_t seq,
                     std::shared_ptr<const std::string> peer,
                     std::shared_ptr<PeerGoneSignal> peer_gone, RequestTraits traits);
  // Unanswered: the peer gets 500 rather than waiting forever.
  ~ConnectionExchange() override;
  ConnectionExchange(const ConnectionExchange&) = delete;
  ConnectionExchange& operator=(const ConnectionExchange&) = delete;

  void respond(Response response) override;
  std::shared_ptr<ResponseStream> start_stream(Response head) override;
  [[nodiscard]] const std::string& peer() const override { return *peer_; }
  void on_peer_gone(std::function<void()> callback) override;

 private:
  std::shared_ptr<Connection> connection_;  // released once answered
  std::uint64_t seq_;
  std::shared_ptr<const std::string> peer_;
  std::shared_ptr<PeerGoneSignal> peer_gone_;
  RequestTraits traits_;
  std::atomic<bool> answered_{false};
};

}  // namespace shield::http::detail
