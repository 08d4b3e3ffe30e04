#pragma once
// Internal to the jobs module: group commit for accepted jobs. Accepting a job costs an
// fsync (a few ms on a real disk); submits that arrive while one is underway share the
// next one, so a burst of submits waits for two fsyncs at most instead of one per job.
//
// Threading: add() from any thread; flush() only on the journal thread. Each Pending is
// answered exactly once, after the commit (or its failure), through its `done` channel.
// Ownership: the journal is borrowed and must outlive every flush().
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include "job_watchers.hpp"
#include "shield/jobs/job_journal.hpp"

namespace shield::jobs::detail {

// A thread-safe wake-up: the thread that sends and the coroutine that waits may differ,
// which a timer (not thread-safe) cannot span.
using WakeUp = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

class AcceptQueue {
 public:
  struct Pending {
    Pending(JobRecord r, const boost::asio::any_io_executor& executor)
        : record(std::move(r)), done(executor, 1) {}
    JobRecord record;
    std::optional<Result<JobEvent>> result;  // set on the journal thread before `done`
    WakeUp done;
  };

  AcceptQueue(JobJournal* journal, std::shared_ptr<JobWatchers> watchers)
      : journal_(journal), watchers_(std::move(watchers)) {}

  // True when the caller must post flush() to the journal thread (none is pending yet).
  bool add(std::shared_ptr<Pending> pending);
  // Commits everything added so far in one synced transaction and answers each Pending;
  // the events of the jobs committed are published first.
  void flush();

 private:
  JobJournal* journal_;
  std::shared_ptr<JobWatchers> watchers_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Pending>> waiting_;
  bool flush_posted_ = false;
};

}  // namespace shield::jobs::detail
