#pragma once
// What the Streamable HTTP transport keeps per legacy session: its numbered SSE streams
// (so Last-Event-ID can name one), which of them are GET listening streams, and the POSTs
// whose calls are in flight (so DELETE can cancel them).
//
// Threading: every member is safe from any thread (internal mutex). Lock order:
// PostReply → SessionStreams → SseStream.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "post_reply.hpp"
#include "shield/transport/sse_stream.hpp"

namespace shield::transport {

class SessionStreams {
 public:
  SessionStreams(std::string session_id, std::size_t replay_capacity, std::size_t max_streams);

  [[nodiscard]] const std::string& session_id() const { return session_id_; }

  // A new numbered, resumable stream. Past the bound, the oldest stream nobody can still
  // be waiting on (finished, or a listening stream without a connection) is forgotten.
  // nullptr once the session is closed.
  std::shared_ptr<SseStream> create(bool listening);
  [[nodiscard]] std::shared_ptr<SseStream> find(std::uint64_t number) const;

  // Sends on the newest connected listening stream; false when none is connected. The
  // spec sends each message on one stream only, never broadcast.
  bool send_listening(const mcp::Json& message);
  [[nodiscard]] bool has_connection() const;

  void add_reply(const std::shared_ptr<PostReply>& reply);

  // Ends the session's transport state: the in-flight POSTs' sources are tripped and every
  // stream finished. Idempotent.
  void close(const std::string& reason);
  // Closes the connections of listening streams (shutdown), keeping the streams.
  void disconnect_listening();
  // Every stream with a live connection, for keep-alives.
  [[nodiscard]] std::vector<std::shared_ptr<SseStream>> connected_streams() const;

 private:
  void evict_locked();

  const std::string session_id_;
  const std::size_t replay_capacity_;
  const std::size_t max_streams_;
  mutable std::mutex mutex_;
  bool closed_ = false;
  std::uint64_t next_number_ = 1;
  std::map<std::uint64_t, std::shared_ptr<SseStream>> streams_;
  std::vector<std::weak_ptr<SseStream>> listening_;  // newest last
  std::vector<std::weak_ptr<PostReply>> replies_;
};

}  // namespace shield::transport
