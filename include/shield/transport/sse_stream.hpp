#pragma once
// One logical SSE stream of the Streamable HTTP transport: the answer stream of a POST or
// a GET listening stream. It outlives any one HTTP connection: events are numbered and the
// last N kept, so a client that lost (or was told to drop) the connection resumes it with
// Last-Event-ID on a new GET and misses nothing that is still kept.
//
// Threading: every member is safe from any thread (internal mutex). Writes to the live
// connection happen under that mutex, so events leave in the order they were sent.
// Ownership: the transport owns streams (shared_ptr); a stream holds its live connection.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "shield/http/exchange.hpp"
#include "shield/mcp/tool.hpp"
#include "shield/transport/replay_buffer.hpp"
#include "shield/transport/sse_event.hpp"
#include "shield/util/cancellation.hpp"

namespace shield::transport {

class SseStream {
 public:
  // `resumable`: events carry ids and are kept for Last-Event-ID (the session wire);
  // otherwise they carry no id and nothing is kept (2026-07-28, which has no resume).
  SseStream(std::uint64_t number, std::size_t replay_capacity, bool resumable);

  [[nodiscard]] std::uint64_t number() const { return number_; }
  [[nodiscard]] bool resumable() const { return resumable_; }

  // Makes `connection` the live one, after writing every kept event later than
  // `after_sequence` (a resume). A previous live connection is closed. On a finished
  // stream the connection is closed right after the replay. Returns false when events the
  // client asked for were already dropped from the replay window.
  bool attach(std::shared_ptr<http::ResponseStream> connection,
              std::optional<std::uint64_t> after_sequence = std::nullopt);

  // The priming event: an id and empty data with the `retry:` hint (2025-11-25), so the
  // client can resume even before the first message.
  void prime(std::chrono::milliseconds retry);
  // Numbers, keeps and (if connected) writes one JSON-RPC message.
  void send(const mcp::Json& message);
  // A comment line on the live connection; not numbered, not kept.
  void keepalive();

  // No more events: closes the live connection. A later attach() only replays.
  void finish();
  // Closes the live connection but keeps the stream open for a resume (shutdown of
  // listening streams, or a server that wants the client to reconnect).
  void disconnect();
  // The peer of `connection` went away. Returns true when it was the live connection of
  // an unfinished stream, i.e. the client lost the stream rather than the server ending it.
  bool connection_lost(const http::ResponseStream* connection);

  // The request this stream carries, if any: tripped by trip_carried() when its client
  // goes away.
  void carry(CancellationSource source);
  void trip_carried(const std::string& reason);

  [[nodiscard]] bool finished() const;
  [[nodiscard]] bool connected() const;
  // The id of the newest event (priming included), for tests and logs.
  [[nodiscard]] std::optional<EventId> last_event_id() const;

 private:
  void write_locked(const std::string& event);

  const std::uint64_t number_;
  const bool resumable_;
  mutable std::mutex mutex_;
  ReplayBuffer replay_;
  std::uint64_t next_sequence_ = 0;
  bool finished_ = false;
  std::shared_ptr<http::ResponseStream> connection_;
  std::optional<CancellationSource> carried_;
};

}  // namespace shield::transport
