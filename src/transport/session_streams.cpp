#include "session_streams.hpp"

#include <algorithm>

namespace shield::transport {

SessionStreams::SessionStreams(std::string session_id, std::size_t replay_capacity,
                               std::size_t max_streams)
    : session_id_(std::move(session_id)),
      replay_capacity_(replay_capacity),
      max_streams_(max_streams) {}

std::shared_ptr<SseStream> SessionStreams::create(bool listening) {
  std::lock_guard lock(mutex_);
  if (closed_) return nullptr;
  auto stream = std::make_shared<SseStream>(next_number_++, replay_capacity_, true);
  streams_.emplace(stream->number(), stream);
  if (listening) listening_.push_back(stream);
  evict_locked();
  return stream;
}

std::shared_ptr<SseStream> SessionStreams::find(std::uint64_t number) const {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(number);
  return it == streams_.end() ? nullptr : it->second;
}

bool SessionStreams::send_listening(const mcp::Json& message) {
  std::shared_ptr<SseStream> target;
  {
    std::lock_guard lock(mutex_);
    for (auto it = listening_.rbegin(); it != listening_.rend() && !target; ++it) {
      auto stream = it->lock();
      if (stream && stream->connected() && !stream->finished()) target = std::move(stream);
    }
  }
  if (!target) return false;
  target->send(message);
  return true;
}

bool SessionStreams::has_connection() const {
  std::lock_guard lock(mutex_);
  return std::any_of(streams_.begin(), streams_.end(),
                     [](const auto& entry) { return entry.second->connected(); });
}

void SessionStreams::add_reply(const std::shared_ptr<PostReply>& reply) {
  std::lock_guard lock(mutex_);
  std::erase_if(replies_, [](const std::weak_ptr<PostReply>& r) {
    auto live = r.lock();
    return !live || live->done();
  });
  replies_.push_back(reply);
}

void SessionStreams::close(const std::string& reason) {
  std::vector<std::shared_ptr<PostReply>> replies;
  std::vector<std::shared_ptr<SseStream>> streams;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    for (auto& weak : replies_) {
      if (auto reply = weak.lock()) replies.push_back(std::move(reply));
    }
    replies_.clear();
    for (auto& [number, stream] : streams_) streams.push_back(stream);
    streams_.clear();
    listening_.clear();
  }
  // Cancel first so the calls can still say so on their streams, then end the streams.
  for (auto& reply : replies) reply->source().cancel(reason);
  for (auto& stream : streams) stream->finish();
}

void SessionStreams::disconnect_listening() {
  std::vector<std::shared_ptr<SseStream>> listening;
  {
    std::lock_guard lock(mutex_);
    for (auto& weak : listening_) {
      if (auto stream = weak.lock()) listening.push_back(std::move(stream));
    }
  }
  for (auto& stream : listening) stream->disconnect();
}

std::vector<std::shared_ptr<SseStream>> SessionStreams::connected_streams() const {
  std::vector<std::shared_ptr<SseStream>> out;
  std::lock_guard lock(mutex_);
  for (const auto& [number, stream] : streams_) {
    if (stream->connected()) out.push_back(stream);
  }
  return out;
}

void SessionStreams::evict_locked() {
  std::erase_if(listening_, [](const std::weak_ptr<SseStream>& s) { return s.expired(); });
  auto it = streams_.begin();
  while (streams_.size() > max_streams_ && it != streams_.end()) {
    const bool is_listening =
        std::any_of(listening_.begin(), listening_.end(),
                    [&](const std::weak_ptr<SseStream>& s) { return s.lock() == it->second; });
    const bool idle = it->second->finished() || (is_listening && !it->second->connected());
    if (idle) {
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace shield::transport
