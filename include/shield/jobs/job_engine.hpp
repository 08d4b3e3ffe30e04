#pragma once
// JobEngine: accepts jobs durably, runs them on the daemon's executor with a bounded number
// per kind, and tells watchers about every change. It is the only writer of the journal.
//
// Durability: submit() returns only after the job is committed to the SQLite journal (WAL,
// synchronous=FULL: fsynced), so an accepted job survives kill -9 and a power cut. Submits
// that arrive together share one fsync (group commit). Retries, cancels and remote job ids
// are fsynced too; progress, starts and job ends are not: they survive kill -9, and a power
// cut can at worst make a finished job look running, so it is resumed.
//
// Recovery: start() runs queued jobs again; a job that was running is resumed (its runner
// is called with `resumed = true`) when JobsConfig::resume_running is set, and otherwise
// marked interrupted with a reason. Final jobs stay queryable for JobsConfig::retention,
// then are purged.
//
// Shutdown: stop() trips the running jobs' tokens with reason "shutdown"; a runner that
// then returns kCancelled leaves its job *queued* in the journal (not cancelled, not
// interrupted), so the next start() runs it again with `resumed = true`. A kill -9 instead
// leaves it `running`, which start() treats as described above.
//
// Threading: every method may be called from any thread. Journal I/O runs on its own
// thread (SQLite must never block the event loop); runners are coroutines on the executor.
// Ownership: runners, timers and the journal keep the engine's internals alive while they
// run; destroy the engine (after stop()) before its executor's execution context.
// Errors: Result values. submit() fails with kResourceExhausted ("busy") when the queue is
// full, with a retry-after hint in the message; get()/cancel() with kNotFound.
//
// Metrics (on the registry given to open(), every series created at 0):
//   worker_queue_size                 gauge: jobs waiting for a runner slot
//   active_jobs                       gauge: jobs whose runner is running
//   jobs_total{kind,state}            counter: state "queued" counts accepted submissions
//                                     and retries; succeeded/failed/cancelled/interrupted
//                                     count each run that ended so (a retried job counts
//                                     again). A shutdown's re-queue is not counted.
//   job_duration_seconds{kind}        histogram: start of a run to its final state
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "shield/jobs/job.hpp"
#include "shield/util/cancellation.hpp"
#include "shield/util/clock.hpp"
#include "shield/util/error.hpp"

namespace prometheus {
class Registry;
}

namespace shield::jobs {

// The cancellation reason stop() trips running jobs with: a runner that sees it keeps what a
// resumed run needs (the job runs again at the next start).
inline constexpr std::string_view kShutdownReason = "shutdown";

// What a runner gets. Threading: the callbacks may be called from any thread.
struct JobContext {
  Job job;  // the job as it starts (state running, attempts counted)
  // True when the job ran before (after a crash, a shutdown or a retry): work_dir may hold
  // what that run left, so skip work already done.
  bool resumed = false;
  CancellationToken cancel;        // tripped by cancel() and by shutdown
  std::filesystem::path work_dir;  // <state_dir>/jobs/<id>/: the runner's own durable files
  // Replaces the progress counters and message; journaled and published (coalesced).
  std::function<void(Json progress)> progress;
  // Records an ingestion job the sink created, journaled at once.
  std::function<void(std::string remote_job_id)> add_remote_job;
};

// Resolves to the result summary (the job succeeds) or an Error (the job fails with
// {code: to_string(error.code), message}). A runner that sees its token tripped returns
// kCancelled; the engine then records cancelled, or leaves the job queued for the next
// start when the cause was shutdown.
using JobRunner = std::function<boost::asio::awaitable<Result<Json>>(JobContext context)>;

struct JobEngineOptions {
  std::filesystem::path state_dir;
  std::size_t queue_capacity = 1'000;
  std::chrono::milliseconds retention{7 * 24 * 3'600'000};
  std::int64_t poll_after_s = 2;
  std::size_t max_events_per_job = 1'000;
  bool resume_running = true;
  // Below: not in the config file; tests and tuning.
  const Clock* clock = nullptr;  // null: SystemClock::instance(); must outlive the engine
  // Progress is journaled and published at most this often per job (the final state always).
  std::chrono::milliseconds progress_interval{250};
  // A job the daemon died under this many times in a row is marked interrupted rather than
  // resumed again, so a job that crashes the daemon cannot crash it forever.
  std::uint32_t max_crash_resumes = 3;
  // How often expired jobs are purged while running; zero: a quarter of `retention`,
  // between 1 s and 1 h.
  std::chrono::milliseconds purge_interval{0};
};

struct JobQuery {
  std::optional<std::string> caller;  // only this principal's jobs
  std::optional<JobKind> kind;
  std::string after_id;  // cursor: jobs created after this one (creation order)
  std::size_t limit = 50;
};

struct JobPage {
  std::vector<Job> jobs;
  std::string next_cursor;  // empty on the last page
};

class JobEngine {
 public:
  // Opens (or creates) <state_dir>/jobs.db. Errors name the path and what failed
  // (permissions, a corrupt or locked database).
  static Result<std::unique_ptr<JobEngine>> open(JobEngineOptions options,
                                                 boost::asio::any_io_executor executor,
                                                 prometheus::Registry* metrics = nullptr);
  virtual ~JobEngine() = default;

  // Before start(): the runner for a kind and how many of its jobs may run at once.
  virtual void register_runner(JobKind kind, JobRunner runner, std::size_t concurrency) = 0;

  // Recovers what the journal holds and begins running queued jobs.
  virtual boost::asio::awaitable<Result<void>> start() = 0;
  // Trips every running job's token for shutdown (their jobs stay queued/resumable) and
  // waits for the runners to return, at most `grace`.
  virtual boost::asio::awaitable<void> stop(std::chrono::milliseconds grace) = 0;

  // Accepts a job: journaled (committed) before this resolves; state queued.
  virtual boost::asio::awaitable<Result<Job>> submit(JobKind kind, Json input,
                                                     std::string caller) = 0;
  virtual boost::asio::awaitable<Result<Job>> get(std::string id) = 0;
  virtual boost::asio::awaitable<Result<JobPage>> list(JobQuery query) = 0;
  // Cancels a queued or running job (a running one's token is tripped and the job is
  // cancelled once its runner returns; the answer already says "cancelled" is underway by
  // returning the job). A final job is returned unchanged. Unknown id: kNotFound.
  virtual boost::asio::awaitable<Result<Job>> cancel(std::string id) = 0;
  // Puts a failed or interrupted job back in the queue (attempts continue counting).
  virtual boost::asio::awaitable<Result<Job>> retry(std::string id) = 0;

  // Deletes the final jobs whose retention ran out (their events and work_dir too); returns
  // how many. start() and a periodic timer call it; exposed for tests and operators. Not
  // pure, so fakes that keep nothing need not override it.
  virtual boost::asio::awaitable<Result<std::size_t>> purge_expired() { co_return std::size_t{0}; }

  // Events of a job after `after_seq` (0: all kept), oldest first, for SSE replay.
  virtual boost::asio::awaitable<Result<std::vector<JobEvent>>> events(std::string id,
                                                                       std::uint64_t after_seq) = 0;
  // Calls `on_event` for every later event of this job until the returned handle is
  // destroyed. Called from any thread; must not block. Events of one job arrive in seq order
  // (they are published from the journal thread right after their commit). To resume a
  // stream without a gap: watch() first, then events(id, last_seen), and drop live events
  // whose seq the replay already delivered.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };
  [[nodiscard]] virtual std::unique_ptr<Subscription> watch(
      std::string id, std::function<void(const JobEvent&)> on_event) = 0;

  [[nodiscard]] virtual std::int64_t poll_after_s() const = 0;
  [[nodiscard]] virtual std::size_t queued() const = 0;
  [[nodiscard]] virtual std::size_t running() const = 0;
};

}  // namespace shield::jobs
