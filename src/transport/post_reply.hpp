#pragma once
// The answer to one POST that carried requests: collects the engine's responses and sends
// them as one JSON body, or switches to an SSE stream as soon as something must go out
// before the last response (a progress or log notification), or when the call runs past
// the keep-alive interval. So a quick call is a plain JSON answer whose HTTP status can
// still say what went wrong (2026-07-28 maps errors to 400/404), and a slow or chatty one
// streams its notifications ahead of its result.
//
// Threading: every member is safe from any thread (internal mutex). Never calls out to the
// engine or trips a cancellation source while holding its mutex.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shield/http/exchange.hpp"
#include "shield/mcp/engine.hpp"
#include "shield/transport/sse_stream.hpp"
#include "shield/transport/wire.hpp"
#include "shield/util/cancellation.hpp"

namespace shield::transport {

// Turns a freshly started HTTP body into a logical SSE stream: numbered and registered
// with the session (resumable) or unnumbered (stateless), primed where the revision asks
// for it, watched for the peer going away (which trips `carried`), kept alive.
using StreamOpener = std::function<std::shared_ptr<SseStream>(
    std::shared_ptr<http::ResponseStream> connection, CancellationSource carried)>;

struct PostReplyOptions {
  Wire wire = Wire::kSession;
  bool batch = false;
  std::size_t expected = 1;  // requests that will be answered (or cancelled)
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Mcp-Session-Id
  // Runs once with the response of an initialize request before it is sent; returns
  // false when the session header must be left out (initialize failed).
  std::function<bool(const mcp::Json& response)> on_initialize_answer;
};

class PostReply : public std::enable_shared_from_this<PostReply> {
 public:
  PostReply(std::shared_ptr<http::Exchange> exchange, PostReplyOptions options,
            StreamOpener open_stream);

  // Answers already known before dispatch (invalid members of a batch).
  void add_precomputed(mcp::Json response);

  void notify(mcp::Json notification);
  void respond(mcp::Json response);
  void cancelled();
  // The call is still running at a keep-alive tick: open the stream so the connection
  // carries traffic. Returns the stream when one is (now) open and unfinished.
  std::shared_ptr<SseStream> escalate();
  // The client went away: trip the calls' cancellation token.
  void peer_gone();

  [[nodiscard]] CancellationToken token() const { return cancel_.token(); }
  [[nodiscard]] CancellationSource source() const { return cancel_; }
  [[nodiscard]] bool done() const;
  [[nodiscard]] std::chrono::steady_clock::time_point created() const { return created_; }

  // A channel handing the engine's callbacks for one request to this reply.
  std::shared_ptr<mcp::RequestChannel> channel();

 private:
  enum class State { kPending, kStreaming, kDone };

  void start_stream_locked();
  void answer_json_locked();
  void answered_locked();
  http::Response json_response(unsigned status, const mcp::Json& body) const;

  const std::shared_ptr<http::Exchange> exchange_;
  PostReplyOptions options_;
  const StreamOpener open_stream_;
  const std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();
  CancellationSource cancel_;

  mutable std::mutex mutex_;
  State state_ = State::kPending;
  std::size_t outstanding_;
  std::vector<mcp::Json> responses_;
  std::shared_ptr<SseStream> stream_;
  bool include_session_header_ = true;
};

}  // namespace shield::transport
