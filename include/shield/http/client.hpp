#pragma once
// The one asynchronous HTTP client for every outbound call (backends now, the crawler
// later): libcurl's multi-socket API driven by the daemon's own io_context, so there is no
// thread per request. Connections are reused; TLS verification is on; proxy environment
// variables (http_proxy, https_proxy, no_proxy) are honoured; gzip/deflate/brotli bodies are
// decoded; connect and total timeouts and a response size cap apply to every request. Only
// http:// and https:// URLs are fetched, redirects included.
//
// Threading: send() may be awaited from any thread of the io_context; curl is driven on an
// internal strand, and the awaiting coroutine resumes on its own executor. Errors are
// values: a transport failure is a ClientError, an HTTP error status is a normal
// ClientResponse (the caller decides what a 4xx or 5xx means).
//
// Lifetime: destroying the Client (like shutdown()) completes whatever is in flight with
// kCancelled, provided the io_context keeps running; the Client must not outlive it.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "shield/util/cancellation.hpp"

namespace shield::http {

// A body is sent as application/json unless `headers` names another Content-Type; the
// client never sends "Expect: 100-continue" unless asked to.
struct ClientRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE, PATCH, HEAD (any token)
  std::string url;             // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{30'000};
  std::size_t max_response_bytes = 16 * 1024 * 1024;  // of the decoded body
  bool follow_redirects = false;                      // the crawler checks every hop itself
  // Connect to this IP instead of resolving the URL's host (DNS pinning for SSRF checks);
  // the Host header, TLS SNI and certificate check still use the URL's host, and a pooled
  // connection is reused only by requests pinned to the same address. Must be an IP
  // literal (else kInvalid). When a proxy applies, the proxy resolves the host instead.
  std::optional<std::string> pinned_address;
  // Open a new connection for this request. libcurl silently sends a request again when a
  // reused keep-alive connection turns out dead before any answer byte; a call that must
  // not run twice (a non-idempotent POST) asks for a fresh connection instead.
  bool fresh_connection = false;
};

struct ClientResponse {
  unsigned status = 0;
  // Header names lower-cased; repeated headers joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;
  std::string effective_url;
  std::chrono::microseconds elapsed{0};
  [[nodiscard]] std::optional<std::string> header(const std::string& lower_name) const;
};

enum class ClientErrorKind {
  kConnect,    // refused, unreachable, DNS failure
  kTimeout,    // connect or total timeout
  kTls,        // certificate or handshake failure
  kTooLarge,   // body exceeded max_response_bytes
  kReset,      // connection reset / closed mid-response
  kCancelled,  // the cancellation token was tripped
  kInvalid,    // bad URL or request (our mistake)
  kOther,
};

const char* to_string(ClientErrorKind kind) noexcept;

struct ClientError {
  ClientErrorKind kind = ClientErrorKind::kOther;
  // curl's reason plus, for connect and reset errors, the OS's: "Failed to connect to
  // 127.0.0.1 port 6333 after 0 ms: Couldn't connect to server (Connection refused)".
  std::string message;
};

using ClientResult = tl::expected<ClientResponse, ClientError>;

struct ClientOptions {
  std::string user_agent = "shield-mcp";
  std::size_t max_connections_per_host = 32;
  std::size_t max_total_connections = 256;
  // For tests only: trust this CA bundle file as well as the system's.
  std::string ca_file;
};

class Client {
 public:
  Client(boost::asio::io_context& io, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request. Completes with a response for any HTTP status, or a ClientError.
  // Tripping `cancel`, or Asio per-operation cancellation of the awaiting coroutine, aborts
  // the transfer promptly (its connection is closed) and completes with kCancelled; a token
  // already tripped completes without touching the network.
  boost::asio::awaitable<ClientResult> send(ClientRequest request, CancellationToken cancel = {});

  // Aborts every transfer in flight; they complete with kCancelled, and so does every later
  // send(). Safe from any thread; returns before the aborts have run.
  void shutdown();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shield::http
