#include "shield/transport/replay_buffer.hpp"

namespace shield::transport {

void ReplayBuffer::push(std::uint64_t sequence, std::string event) {
  if (capacity_ == 0) {
    dropped_through_ = sequence;
    dropped_any_ = true;
    return;
  }
  if (events_.size() == capacity_) {
    dropped_through_ = events_.front().sequence;
    dropped_any_ = true;
    events_.pop_front();
  }
  events_.push_back(Entry{sequence, std::move(event)});
}

ReplayBuffer::Replay ReplayBuffer::after(std::uint64_t sequence) const {
  Replay replay;
  replay.complete = !dropped_any_ || dropped_through_ <= sequence;
  for (const auto& entry : events_) {
    if (entry.sequence > sequence) replay.events.push_back(entry.event);
  }
  return replay;
}

}  // namespace shield::transport
