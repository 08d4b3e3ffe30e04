#pragma once
// The last N events of one SSE stream, kept so a client that lost its connection can
// resume with Last-Event-ID. Bounded: the oldest event goes when a new one would exceed
// the capacity, so a stalled client costs at most N events per stream.
//
// Threading: not synchronised; its owner (SseStream) locks around it.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace shield::transport {

class ReplayBuffer {
 public:
  explicit ReplayBuffer(std::size_t capacity) : capacity_(capacity) {}

  // Sequences must increase from one push to the next.
  void push(std::uint64_t sequence, std::string event);

  struct Replay {
    std::vector<std::string> events;  // formatted, oldest first
    bool complete = true;             // false when events after `sequence` were dropped
  };
  // Every kept event with a sequence greater than `sequence`.
  [[nodiscard]] Replay after(std::uint64_t sequence) const;

  [[nodiscard]] std::size_t size() const { return events_.size(); }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::uint64_t sequence;
    std::string event;
  };
  std::size_t capacity_;
  std::deque<Entry> events_;
  // The highest sequence ever dropped, so after() can tell a gap from a fresh stream.
  std::uint64_t dropped_through_ = 0;
  bool dropped_any_ = false;
};

}  // namespace shield::transport
