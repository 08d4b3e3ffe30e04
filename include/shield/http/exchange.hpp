#pragma once
// The seam between the HTTP server and whatever answers requests (routes, the MCP
// transport). The server knows nothing of MCP; a handler knows nothing of sockets.
//
// Threading: an Exchange may be completed from any thread; the implementation posts to the
// connection's strand. Exactly one of respond() / start_stream() is called per Exchange;
// a second call is ignored. Dropping the last reference without answering sends 500.
#include <functional>
#include <memory>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace shield::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// A response body written over time (Server-Sent Events). Chunked transfer encoding.
// Dropping the last reference without close() closes it, so the connection moves on.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues `data` (already SSE-formatted). Returns false once the stream is closed.
  virtual bool write(std::string data) = 0;
  // Ends the body; the connection then serves the next pipelined request.
  virtual void close() = 0;
  [[nodiscard]] virtual bool closed() const = 0;
  // Runs once when the stream ends for any reason: close(), peer gone, shutdown.
  virtual void on_closed(std::function<void()> callback) = 0;
};

class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual void respond(Response response) = 0;
  // Sends `head` (status + headers; its body is ignored) and returns the open body stream.
  virtual std::shared_ptr<ResponseStream> start_stream(Response head) = 0;
  // Remote address, for logs.
  [[nodiscard]] virtual const std::string& peer() const = 0;
  // Runs once if the peer goes away before the exchange is answered or its stream closed
  // (EOF or an error on the connection, or the server closing it); at once if it already has.
  virtual void on_peer_gone(std::function<void()> callback) = 0;
};

using Handler = std::function<void(Request request, std::shared_ptr<Exchange> exchange)>;

}  // namespace shield::http
