#include "accept_queue.hpp"

#include <string>
#include <utility>

namespace shield::jobs::detail {

bool AcceptQueue::add(std::shared_ptr<Pending> pending) {
  const std::lock_guard lock(mutex_);
  waiting_.push_back(std::move(pending));
  return !std::exchange(flush_posted_, true);
}

void AcceptQueue::flush() {
  std::vector<std::shared_ptr<Pending>> batch;
  {
    const std::lock_guard lock(mutex_);
    batch.swap(waiting_);
    flush_posted_ = false;
  }
  std::vector<JobRecord> records;
  records.reserve(batch.size());
  for (const auto& pending : batch) records.push_back(pending->record);
  std::vector<Result<JobEvent>> results;
  try {
    results = journal_->insert_batch(records, Durability::kSynced);
  } catch (const std::exception& e) {
    // Every waiter must hear back, or its submit would hang.
    results.assign(batch.size(),
                   fail(ErrorCode::kInternal, std::string("job journal failure: ") + e.what()));
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // Published only after the commit: nobody hears of a job the journal could still lose.
    if (results[i]) watchers_->publish(*results[i]);
    batch[i]->result = std::move(results[i]);
    batch[i]->done.try_send(boost::system::error_code{});
  }
}

}  // namespace shield::jobs::detail
