#pragma once
// InMemoryTaskStore: runs a tool's handler as a background task and keeps the task in memory
// until its ttl runs out. The engine's default store: every tool that declares task support
// and names no store of its own runs here (the conformance fixture's tools, and any tool of
// the daemon that is not a job). Tasks do not survive a restart; durable work belongs in the
// jobs-backed store.
//
// Binding: a task belongs to the principal that created it and, when created in a legacy
// session, to that session too (another session of the same principal cannot see it).
// Expiry: a task is dropped `ttl` after its creation whatever its status (its work is
// cancelled if it still runs). Expired tasks are swept on every call, by the injected clock,
// so tests drive expiry by hand.
// Threading: every method may be called from any thread. Work runs as coroutines on the
// executor given at construction.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "shield/mcp/async_latch.hpp"
#include "shield/mcp/task_store.hpp"
#include "shield/util/clock.hpp"

namespace shield::mcp {

struct InMemoryTaskStoreOptions {
  std::chrono::milliseconds default_ttl{std::chrono::hours(1)};  // when the client asks none
  std::chrono::milliseconds min_ttl{std::chrono::seconds(1)};    // requests are clamped to
  std::chrono::milliseconds max_ttl{std::chrono::hours(24)};     // [min_ttl, max_ttl]
  std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
  // Tasks kept per owner. At the bound the oldest finished task makes room; when all are
  // still running, create() fails with kResourceExhausted.
  std::size_t max_tasks_per_owner = 100;
};

class InMemoryTaskStore final : public TaskStore,
                                public std::enable_shared_from_this<InMemoryTaskStore> {
 public:
  // Ownership: the clock must outlive the store.
  static std::shared_ptr<InMemoryTaskStore> create(boost::asio::any_io_executor executor,
                                                   const Clock& clock,
                                                   InMemoryTaskStoreOptions options = {});

  boost::asio::awaitable<Result<Task>> create(TaskRequest request) override;
  boost::asio::awaitable<Result<Task>> get(TaskOwner owner, std::string id) override;
  boost::asio::awaitable<Result<Task>> result(TaskOwner owner, std::string id,
                                              CancellationToken cancel) override;
  boost::asio::awaitable<Result<TaskPage>> list(TaskOwner owner, std::string cursor,
                                                std::size_t limit) override;
  boost::asio::awaitable<Result<Task>> cancel(TaskOwner owner, std::string id) override;
  boost::asio::awaitable<Result<Task>> update(TaskOwner owner, std::string id,
                                              Json responses) override;

  // Cancels every task still running (shutdown). Their waiters see them cancelled.
  void cancel_all(const std::string& reason);
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry;
  using EntryPtr = std::shared_ptr<Entry>;
  // What a change leaves to do once the lock is released.
  struct Effects {
    std::vector<std::pair<std::function<void(const Task&)>, Task>> notices;
    std::vector<std::shared_ptr<AsyncLatch>> latches;
    std::vector<std::pair<CancellationSource, std::string>> cancels;
    void run();
  };

  InMemoryTaskStore(boost::asio::any_io_executor executor, const Clock& clock,
                    InMemoryTaskStoreOptions options);

  static boost::asio::awaitable<void> run_work(std::shared_ptr<InMemoryTaskStore> self,
                                               EntryPtr entry, TaskWork work, Json arguments,
                                               ToolContext context);
  static boost::asio::awaitable<Result<Json>> request_input(std::shared_ptr<InMemoryTaskStore> self,
                                                            EntryPtr entry, Json requests);
  // The hook a task's handler gets: neither the store nor the task is kept alive by it.
  static boost::asio::awaitable<Result<Json>> request_input_weak(
      std::weak_ptr<InMemoryTaskStore> weak_self, std::weak_ptr<Entry> weak_entry, Json requests);
  void finish(const EntryPtr& entry, TaskOutcome outcome);

  // mutex_ held: drops expired entries, collecting what must happen to them.
  void sweep_locked(Effects& effects);
  EntryPtr find_locked(const TaskOwner& owner, const std::string& id) const;
  Task snapshot_locked(const Entry& entry) const;
  // Records a status change (mutex_ held) and queues the owner's notification.
  void touch_locked(Entry& entry, Effects& effects);
  void remove_locked(const EntryPtr& entry, Effects& effects);

  const boost::asio::any_io_executor executor_;
  const Clock& clock_;
  const InMemoryTaskStoreOptions options_;

  mutable std::mutex mutex_;
  std::uint64_t next_seq_ = 1;
  std::map<std::string, EntryPtr> by_id_;
  std::map<std::uint64_t, EntryPtr> by_seq_;  // creation order, for listing and sweeping
};

}  // namespace shield::mcp
