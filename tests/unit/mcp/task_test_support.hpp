#pragma once
// Helpers for driving task stores and tasks in unit tests: coroutines are spawned on an
// io_context the test polls by hand (never blocking, never sleeping), and a Gate lets a
// test decide when a tool's work may finish.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "shield/mcp/async_latch.hpp"
#include "shield/mcp/task_store.hpp"

namespace shield::mcp::test_support {

namespace asio = boost::asio;

// Starts `work` and hands back where its value lands once it completes.
template <class T>
std::shared_ptr<std::optional<T>> spawn(asio::io_context& io, asio::awaitable<T> work) {
  auto out = std::make_shared<std::optional<T>>();
  asio::co_spawn(io, std::move(work), [out](const std::exception_ptr& error, T value) {
    if (!error) *out = std::move(value);
  });
  return out;
}

inline void poll(asio::io_context& io) {
  io.restart();
  io.poll();
}

// Spawns, polls until nothing is ready, and returns the value (nullopt if it still waits).
template <class T>
std::optional<T> run_now(asio::io_context& io, asio::awaitable<T> work) {
  auto out = spawn(io, std::move(work));
  poll(io);
  return *out;
}

// A tool's work that waits until the test opens the gate or the task is cancelled.
// (Free coroutines rather than capturing coroutine lambdas: GCC 12 mishandles the captures
// of a coroutine lambda kept in a std::function.)
struct Gate {
  std::shared_ptr<AsyncLatch> latch = AsyncLatch::create();
  std::shared_ptr<bool> saw_cancel = std::make_shared<bool>(false);
  std::shared_ptr<int> runs = std::make_shared<int>(0);

  template <class T>
  static asio::awaitable<T> pass(std::shared_ptr<AsyncLatch> latch,
                                 std::shared_ptr<bool> saw_cancel, T value,
                                 CancellationToken cancel) {
    const bool opened = co_await latch->wait(std::move(cancel));
    if (!opened) *saw_cancel = true;
    co_return value;
  }
  // Resolves to `outcome` once the gate opens; notes a cancellation it sees instead.
  TaskWork work(TaskOutcome outcome) const {
    return [gate = *this, outcome](Json, ToolContext context) {
      ++*gate.runs;
      return pass<TaskOutcome>(gate.latch, gate.saw_cancel, outcome, context.cancel);
    };
  }
  ToolHandler handler(ToolResult result) const {
    return [gate = *this, result](Json, ToolContext context) {
      ++*gate.runs;
      return pass<ToolResult>(gate.latch, gate.saw_cancel, result, context.cancel);
    };
  }
  void open() const { latch->open(); }
};

inline TaskOwner owner(std::string caller, std::string session = {}) {
  return TaskOwner{std::move(caller), std::move(session)};
}

inline std::string first_text(const ToolResult& result) {
  return result.content.is_array() && !result.content.empty()
             ? result.content[0].value("text", std::string())
             : std::string();
}

}  // namespace shield::mcp::test_support
