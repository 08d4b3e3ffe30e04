#include "connection_exchange.hpp"

#include <spdlog/spdlog.h>

#include "chunked_response_stream.hpp"
#include "connection.hpp"
#include "json_response.hpp"
#include "peer_gone_signal.hpp"

namespace shield::http::detail {
namespace bhttp = boost::beast::http;

namespace {

bool forbids_body(bhttp::status status) {
  const auto code = static_cast<unsigned>(status);
  return (code >= 100 && code < 200) || code == 204 || code == 304;
}

}  // namespace

ConnectionExchange::ConnectionExchange(std::shared_ptr<Connection> connection, std::uint64_t seq,
                                       std::shared_ptr<const std::string> peer,
                                       std::shared_ptr<PeerGoneSignal> peer_gone,
                                       RequestTraits traits)
    : connection_(std::move(connection)),
      seq_(seq),
      peer_(std::move(peer)),
      peer_gone_(std::move(peer_gone)),
      traits_(traits) {}

ConnectionExchange::~ConnectionExchange() {
  if (answered_.load() || !connection_) return;
  spdlog::warn("request from {} was dropped by its handler without an answer; sending 500", *peer_);
  auto response = json_response(
      bhttp::status::internal_server_error, traits_.version,
      error_body(ErrorCode::kInternal, "the request handler finished without an answer"));
  response.keep_alive(traits_.keep_alive);
  connection_->complete(seq_, std::move(response));
}

void ConnectionExchange::respond(Response response) {
  if (answered_.exchange(true)) return;
  peer_gone_->settle();
  response.version(traits_.version);
  response.keep_alive(traits_.keep_alive);
  // prepare_payload throws for a body where HTTP forbids one; the data path must not.
  if (forbids_body(response.result())) response.body().clear();
  response.prepare_payload();
  if (traits_.head) response.body().clear();  // Content-Length still tells the size
  // Only the call that won `answered_` touches connection_ from here on.
  auto connection = std::move(connection_);
  connection->complete(seq_, std::move(response));
}

std::shared_ptr<ResponseStream> ConnectionExchange::start_stream(Response head) {
  if (answered_.exchange(true)) {
    auto detached = std::make_shared<ChunkedResponseStream>(nullptr, seq_, nullptr);
    detached->end();
    return detached;
  }
  auto connection = std::move(connection_);
  auto stream = std::make_shared<ChunkedResponseStream>(connection, seq_, peer_gone_);
  head.version(traits_.version);
  head.keep_alive(traits_.keep_alive);
  head.body().clear();
  connection->begin_stream(seq_, std::move(head), stream);
  return stream;
}

void ConnectionExchange::on_peer_gone(std::function<void()> callback) {
  peer_gone_->subscribe(std::move(callback));
}

}  // namespace shield::http::detail
