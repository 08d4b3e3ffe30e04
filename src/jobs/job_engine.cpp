#include "shield/jobs/job_engine.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>

#include <prometheus/registry.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "accept_queue.hpp"
#include "job_id.hpp"
#include "job_metrics.hpp"
#include "job_watchers.hpp"
#include "shield/jobs/job_journal.hpp"
#include "shield/util/logging.hpp"

namespace shield::jobs {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace asio::experimental::awaitable_operators;
using detail::AcceptQueue;
using detail::WakeUp;
using std::chrono::milliseconds;

constexpr std::string_view kCancelReason = "cancelled by request";
constexpr std::int64_t kMaxRetryAfterS = 3'600;

// An unfinished job the engine holds in memory: queued, running, or on its way to a final
// state (until that state is committed, so readers never see it go back in time).
struct Entry {
  JobRecord record;
  bool in_queue = false;
  bool live = false;       // its runner was launched and has not returned
  bool finishing = false;  // its final write is underway: runner callbacks are ignored
  bool cancel_requested = false;
  CancellationSource cancel;  // a fresh one per run
  Clock::TimePoint started{};
  Clock::TimePoint last_flush{};
  bool dirty = false;  // progress newer than the journal
  bool flush_armed = false;
  std::unique_ptr<asio::steady_timer> flush_timer;
  // Closed once a write underway while `finishing` is committed; made by whoever waits.
  std::shared_ptr<WakeUp> ended;
};

void wake_waiters(Entry& e) {
  if (e.ended) e.ended->close();
  e.ended.reset();
}

struct KindSlot {
  JobRunner runner;
  std::size_t concurrency = 1;
  std::deque<std::string> queue;
  std::size_t running = 0;
};

std::size_t slot_index(JobKind kind) {
  return static_cast<std::size_t>(kind);
}

milliseconds purge_interval_for(const JobEngineOptions& options) {
  if (options.purge_interval.count() > 0) return options.purge_interval;
  return std::clamp(options.retention / 4, milliseconds(1'000), milliseconds(3'600'000));
}

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(JobEngineOptions options, asio::any_io_executor executor, prometheus::Registry* registry)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : SystemClock::instance()),
        executor_(std::move(executor)),
        own_registry_(registry == nullptr ? std::make_shared<prometheus::Registry>() : nullptr),
        metrics_(registry != nullptr ? *registry : *own_registry_),
        watchers_(std::make_shared<detail::JobWatchers>()),
        log_(named_logger("jobs")),
        idle_(executor_, 1),
        purge_wake_(executor_, 1) {}

  ~Core() {
    // Let queued fire-and-forget writes land before the journal closes.
    journal_thread_.join();
  }

  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Opens the journal and loads the unfinished jobs, on the journal thread; blocks the
  // caller (start-up only).
  Result<void> open() {
    std::promise<Result<std::vector<JobRecord>>> loaded;
    auto future = loaded.get_future();
    asio::post(journal_thread_, [this, &loaded] {
      try {
        auto journal = JobJournal::open(options_.state_dir, options_.max_events_per_job);
        if (!journal) {
          loaded.set_value(tl::unexpected(journal.error()));
          return;
        }
        journal_ = std::move(*journal);
        accepts_ = std::make_shared<AcceptQueue>(journal_.get(), watchers_);
        loaded.set_value(journal_->unfinished());
      } catch (const std::exception& e) {
        loaded.set_value(fail(
            ErrorCode::kInternal,
            "cannot open the job journal in '" + options_.state_dir.string() + "': " + e.what()));
      }
    });
    auto records = future.get();
    if (!records) return tl::unexpected(records.error());
    const std::lock_guard lock(mutex_);
    for (JobRecord& record : *records) {
      const std::string id = record.job.id;
      Entry& entry = active_[id];
      entry.record = std::move(record);
      if (entry.record.job.state == JobState::kQueued) {
        entry.in_queue = true;
        slot(entry.record.job.kind).queue.push_back(id);
      } else {
        recovered_running_.push_back(id);
      }
    }
    publish_gauges_locked();
    return {};
  }

  void register_runner(JobKind kind, JobRunner runner, std::size_t concurrency) {
    {
      const std::lock_guard lock(mutex_);
      KindSlot& s = slot(kind);
      s.runner = std::move(runner);
      s.concurrency = std::max<std::size_t>(concurrency, 1);
    }
    pump();
  }

  asio::awaitable<Result<void>> start() {
    std::vector<JobRecord> writes;
    std::vector<std::string> interrupted;
    std::size_t resumed = 0;
    {
      const std::lock_guard lock(mutex_);
      if (started_ || starting_ || stopping_) {
        co_return fail(ErrorCode::kFailedPrecondition,
                       "the job engine was already started or is stopping");
      }
      starting_ = true;
      const std::int64_t now_ms = clock_.unix_millis();
      std::array<std::vector<std::string>, 2> to_front;
      for (const std::string& id : recovered_running_) {
        const auto found = active_.find(id);
        if (found == active_.end() || found->second.live || found->second.finishing) continue;
        Entry& e = found->second;
        if (e.record.job.state != JobState::kRunning) continue;
        if (options_.resume_running && e.record.crash_resumes < options_.max_crash_resumes) {
          Job& job = e.record.job;
          job.state = JobState::kQueued;
          job.updated_at_ms = now_ms;
          ++e.record.crash_resumes;
          ++e.record.version;
          e.in_queue = true;
          to_front[slot_index(job.kind)].push_back(id);
          ++resumed;
          writes.push_back(e.record);
        } else {
          // Readers keep seeing the journal's state until the final one is committed.
          JobRecord ended = e.record;
          ended.job.state = JobState::kInterrupted;
          ended.job.error = JobError{"interrupted", interrupted_reason(ended.crash_resumes)};
          ended.job.updated_at_ms = now_ms;
          ended.job.finished_at_ms = now_ms;
          ended.crash_resumes = 0;
          ++ended.version;
          e.finishing = true;
          interrupted.push_back(id);
          writes.push_back(std::move(ended));
        }
      }
      recovered_running_.clear();
      // They were running before anything now queued was accepted: they go first.
      for (std::size_t k = 0; k < to_front.size(); ++k) {
        auto& queue = kinds_[k].queue;
        queue.insert(queue.begin(), to_front[k].begin(), to_front[k].end());
      }
    }
    for (const JobRecord& record : writes) {
      auto written = co_await write(record, Durability::kSynced);
      if (!written) {
        log_->error("job {}: could not record its recovery: {}", record.job.id,
                    written.error().message);
      }
    }
    {
      const std::lock_guard lock(mutex_);
      for (const std::string& id : interrupted) {
        if (const auto found = active_.find(id); found != active_.end()) {
          metrics_.count(found->second.record.job.kind, JobState::kInterrupted);
          wake_waiters(found->second);
          active_.erase(found);
        }
      }
    }
    auto purged = co_await purge_expired();
    if (!purged) log_->warn("purging expired jobs failed: {}", purged.error().message);
    std::size_t queued_now = 0;
    {
      const std::lock_guard lock(mutex_);
      starting_ = false;
      started_ = true;
      queued_now = queued_locked();
      publish_gauges_locked();
    }
    log_->info("job engine started on {}: {} queued ({} resumed after a stop), {} interrupted",
               (options_.state_dir / "jobs.db").string(), queued_now, resumed, interrupted.size());
    pump();
    asio::co_spawn(executor_, purge_loop(shared_from_this()), asio::detached);
    co_return Result<void>{};
  }

  asio::awaitable<void> stop(milliseconds grace) {
    std::vector<CancellationSource> to_trip;
    bool wait = false;
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
      for (auto& [id, e] : active_) {
        if (e.live && !e.finishing && !e.cancel_requested) to_trip.push_back(e.cancel);
      }
      wait = running_locked() > 0;
    }
    purge_wake_.try_send(boost::system::error_code{});
    for (CancellationSource& source : to_trip) source.cancel(std::string(kShutdownReason));
    if (wait) {
      asio::steady_timer timer(co_await asio::this_coro::executor, grace);
      co_await (idle_.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    }
    const std::size_t left = running();
    if (left > 0) {
      log_->warn(
          "job engine stopped with {} runner(s) still running after {} ms; their jobs "
          "stay in the journal and resume at the next start",
          left, grace.count());
    }
  }

  // Stops the periodic purge without touching running jobs: the engine's owner is gone.
  void detach() { purge_wake_.try_send(boost::system::error_code{}); }

  asio::awaitable<Result<Job>> submit(JobKind kind, Json input, std::string caller) {
    {
      const std::lock_guard lock(mutex_);
      if (auto refused = refuse_new_work_locked(kind)) co_return tl::unexpected(*refused);
      ++reserved_;
    }
    JobRecord record;
    Job& job = record.job;
    job.id = new_job_id();
    job.kind = kind;
    job.state = JobState::kQueued;
    job.caller = std::move(caller);
    job.input = input.is_null() ? Json::object() : std::move(input);
    job.created_at_ms = clock_.unix_millis();
    job.updated_at_ms = job.created_at_ms;
    record.version = 1;
    auto pending = std::make_shared<AcceptQueue::Pending>(record, executor_);
    if (accepts_->add(pending)) {
      asio::post(journal_thread_, [accepts = accepts_] { accepts->flush(); });
    }
    co_await pending->done.async_receive(asio::as_tuple(asio::use_awaitable));
    auto inserted = std::move(*pending->result);
    {
      const std::lock_guard lock(mutex_);
      --reserved_;
      if (!inserted) co_return tl::unexpected(inserted.error());
      Entry& e = active_[job.id];
      e.record = record;
      e.in_queue = true;
      slot(kind).queue.push_back(job.id);
      metrics_.count(kind, JobState::kQueued);
      publish_gauges_locked();
    }
    pump();
    co_return job;
  }

  asio::awaitable<Result<Job>> get(std::string id) {
    {
      const std::lock_guard lock(mutex_);
      // A finishing job is read from the journal: its end is published from the journal
      // thread right after the commit, so a reader woken by that event must not get the
      // running snapshot still held here.
      if (const auto found = active_.find(id); found != active_.end() && !found->second.finishing) {
        co_return found->second.record.job;
      }
    }
    auto find = [id](JobJournal& journal) { return journal.find(id); };
    auto found = co_await on_journal(std::move(find));
    if (!found) co_return tl::unexpected(found.error());
    if (!*found) co_return not_found(id);
    co_return (*found)->job;
  }

  asio::awaitable<Result<JobPage>> list(JobQuery query) {
    auto read = [query](JobJournal& journal) { return journal.list(query); };
    auto page = co_await on_journal(std::move(read));
    if (!page) co_return page;
    // The journal may trail a running job's progress by one coalescing interval.
    const std::lock_guard lock(mutex_);
    for (Job& job : page->jobs) {
      if (const auto found = active_.find(job.id);
          found != active_.end() && !found->second.finishing) {
        job = found->second.record.job;
      }
    }
    co_return page;
  }

  asio::awaitable<Result<Job>> cancel(std::string id) {
    std::optional<JobRecord> to_write;
    std::optional<CancellationSource> to_trip;
    std::optional<Job> snapshot;
    bool was_queued = false;
    {
      const std::lock_guard lock(mutex_);
      if (const auto found = active_.find(id); found != active_.end()) {
        Entry& e = found->second;
        if (e.live || e.finishing) {
          if (e.live && !e.finishing && !e.cancel_requested) {
            e.cancel_requested = true;
            to_trip = e.cancel;
          }
          snapshot = e.record.job;
        } else {
          // Queued, or left running by a crash and not yet recovered: nothing runs it.
          // Readers see it as it was until the cancel is committed.
          was_queued = e.in_queue;
          if (e.in_queue) std::erase(slot(e.record.job.kind).queue, id);
          e.in_queue = false;
          e.finishing = true;
          to_write = e.record;
          Job& job = to_write->job;
          job.state = JobState::kCancelled;
          job.updated_at_ms = clock_.unix_millis();
          job.finished_at_ms = job.updated_at_ms;
          ++to_write->version;
          publish_gauges_locked();
        }
      }
    }
    if (to_trip) to_trip->cancel(std::string(kCancelReason));
    if (to_write) {
      auto written = co_await write(*to_write, Durability::kSynced);
      {
        const std::lock_guard lock(mutex_);
        const auto found = active_.find(id);
        wake_waiters(found->second);
        if (!written) {
          // The journal still has the job waiting, so it keeps waiting here too.
          Entry& e = found->second;
          e.finishing = false;
          e.in_queue = was_queued;
          if (was_queued) slot(e.record.job.kind).queue.push_front(id);
          publish_gauges_locked();
          co_return tl::unexpected(written.error());
        }
        active_.erase(found);
        metrics_.count(to_write->job.kind, JobState::kCancelled);
      }
      co_return to_write->job;
    }
    if (snapshot) co_return *snapshot;
    co_return co_await get(std::move(id));
  }

  asio::awaitable<Result<Job>> retry(std::string id) {
    // A client that saw "failed" may ask before the engine has let go of the job.
    co_await ended(id);
    {
      const std::lock_guard lock(mutex_);
      if (const auto found = active_.find(id); found != active_.end()) {
        co_return not_retryable(found->second.record.job);
      }
      if (!retrying_.insert(id).second) {
        co_return fail(ErrorCode::kFailedPrecondition, "job " + id + " is already being retried");
      }
    }
    auto result = co_await requeue_failed(id);
    const std::lock_guard lock(mutex_);
    retrying_.erase(id);
    co_return result;
  }

  asio::awaitable<Result<std::size_t>> purge_expired() {
    const std::int64_t cutoff = clock_.unix_millis() - options_.retention.count();
    const fs::path jobs_dir = options_.state_dir / "jobs";
    auto purge = [cutoff, jobs_dir](JobJournal& journal) {
      auto ids = journal.purge_finished_before(cutoff);
      if (ids) {
        for (const std::string& id : *ids) {
          // Only our own id shape reaches remove_all: a tampered row cannot aim it elsewhere.
          if (!looks_like_job_id(id)) continue;
          std::error_code ignored;
          fs::remove_all(jobs_dir / id, ignored);
        }
      }
      return ids;
    };
    auto purged = co_await on_journal(std::move(purge));
    if (!purged) co_return tl::unexpected(purged.error());
    if (!purged->empty()) log_->info("purged {} expired job(s)", purged->size());
    co_return purged->size();
  }

  asio::awaitable<Result<std::vector<JobEvent>>> events(std::string id, std::uint64_t after_seq) {
    auto read = [id, after_seq](JobJournal& journal) { return journal.events(id, after_seq); };
    co_return co_await on_journal(std::move(read));
  }

  std::unique_ptr<JobEngine::Subscription> watch(std::string id,
                                                 std::function<void(const JobEvent&)> on_event) {
    return watchers_->add(std::move(id), std::move(on_event));
  }

  [[nodiscard]] std::int64_t poll_after_s() const { return options_.poll_after_s; }

  [[nodiscard]] std::size_t queued() const {
    const std::lock_guard lock(mutex_);
    return queued_locked();
  }

  [[nodiscard]] std::size_t running() const {
    const std::lock_guard lock(mutex_);
    return running_locked();
  }

 private:
  KindSlot& slot(JobKind kind) { return kinds_[slot_index(kind)]; }

  std::size_t queued_locked() const {
    std::size_t n = 0;
    for (const KindSlot& s : kinds_) n += s.queue.size();
    return n;
  }

  std::size_t running_locked() const {
    std::size_t n = 0;
    for (const KindSlot& s : kinds_) n += s.running;
    return n;
  }

  void publish_gauges_locked() {
    metrics_.set_queued(queued_locked());
    metrics_.set_running(running_locked());
  }

  static tl::unexpected<Error> not_found(const std::string& id) {
    return fail(ErrorCode::kNotFound, "job " + id + " not found");
  }

  static tl::unexpected<Error> not_retryable(const Job& job) {
    return fail(ErrorCode::kFailedPrecondition,
                "job " + job.id + " is " + std::string(to_string(job.state)) +
                    "; only failed or interrupted jobs can be retried");
  }

  std::string interrupted_reason(std::uint32_t crash_resumes) const {
    if (!options_.resume_running) {
      return "shield-mcp stopped while this job was running (a crash, kill -9 or power loss) "
             "and jobs.resume_running is off; retry the job to run it again";
    }
    return "shield-mcp stopped " + std::to_string(crash_resumes + 1) +
           " times in a row while this job was running; it is not resumed again on its own, "
           "retry the job to run it again";
  }

  // The time until a runner slot is likely to free up: the mean job time shared by the
  // slots, or poll_after_s before any job has finished.
  std::int64_t retry_after_s_locked() const {
    if (!have_mean_) return std::max<std::int64_t>(options_.poll_after_s, 1);
    std::size_t slots = 0;
    for (const KindSlot& s : kinds_) {
      if (s.runner) slots += s.concurrency;
    }
    const double seconds = mean_duration_s_ / static_cast<double>(std::max<std::size_t>(slots, 1));
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(seconds)), 1,
                                    kMaxRetryAfterS);
  }

  std::optional<Error> refuse_new_work_locked(JobKind kind) const {
    if (stopping_) {
      return Error{ErrorCode::kUnavailable, "the job engine is shutting down; retry shortly"};
    }
    if (!kinds_[slot_index(kind)].runner) {
      return Error{ErrorCode::kFailedPrecondition,
                   "no runner is registered for " + std::string(to_string(kind)) + " jobs"};
    }
    const std::size_t waiting = queued_locked() + reserved_;
    if (waiting >= options_.queue_capacity) {
      return Error{ErrorCode::kResourceExhausted,
                   "job queue is full (" + std::to_string(waiting) + " queued); retry after " +
                       std::to_string(retry_after_s_locked()) + " s"};
    }
    return std::nullopt;
  }

  // Returns once the job's final write, if one is underway, has been committed.
  asio::awaitable<void> ended(const std::string& id) {
    std::shared_ptr<WakeUp> wake;
    {
      const std::lock_guard lock(mutex_);
      const auto found = active_.find(id);
      if (found == active_.end() || !found->second.finishing) co_return;
      if (!found->second.ended) found->second.ended = std::make_shared<WakeUp>(executor_, 1);
      wake = found->second.ended;
    }
    co_await wake->async_receive(asio::as_tuple(asio::use_awaitable));
  }

  // The rest of retry(), with `id` reserved in retrying_ by the caller.
  asio::awaitable<Result<Job>> requeue_failed(const std::string& id) {
    auto find = [id](JobJournal& journal) { return journal.find(id); };
    auto found = co_await on_journal(std::move(find));
    if (!found) co_return tl::unexpected(found.error());
    if (!*found) co_return not_found(id);
    JobRecord record = std::move(**found);
    Job& job = record.job;
    if (job.state != JobState::kFailed && job.state != JobState::kInterrupted) {
      co_return not_retryable(job);
    }
    {
      const std::lock_guard lock(mutex_);
      if (auto refused = refuse_new_work_locked(job.kind)) co_return tl::unexpected(*refused);
      ++reserved_;
    }
    job.state = JobState::kQueued;
    job.error.reset();
    job.result = nullptr;
    job.finished_at_ms.reset();
    job.updated_at_ms = clock_.unix_millis();
    record.crash_resumes = 0;
    ++record.version;
    auto written = co_await write(record, Durability::kSynced);
    {
      const std::lock_guard lock(mutex_);
      --reserved_;
      if (!written) co_return tl::unexpected(written.error());
      Entry& e = active_[id];
      e.record = record;
      e.in_queue = true;
      slot(job.kind).queue.push_back(id);
      metrics_.count(job.kind, JobState::kQueued);
      publish_gauges_locked();
    }
    pump();
    co_return job;
  }

  // Runs `work(journal)` on the journal thread and resumes the caller with its result.
  //
  // Callers name their lambda and pass std::move(it): GCC 12 destroys a temporary that has
  // a destructor twice when it sits in a co_await expression (a capturing lambda written
  // inline there frees its captures twice), so no such temporary appears in one here.
  template <class Work>
  auto on_journal(Work work) -> asio::awaitable<std::invoke_result_t<Work&, JobJournal&>> {
    using R = std::invoke_result_t<Work&, JobJournal&>;
    auto task = [journal = journal_.get(), work = std::move(work)]() mutable -> asio::awaitable<R> {
      try {
        co_return work(*journal);
      } catch (const std::exception& e) {
        co_return R(tl::unexpected(
            Error{ErrorCode::kInternal, std::string("job journal failure: ") + e.what()}));
      }
    };
    co_return co_await asio::co_spawn(journal_thread_.get_executor(), std::move(task),
                                      asio::use_awaitable);
  }

  // Writes a snapshot (if newer than the journal's) and publishes its event.
  asio::awaitable<Result<std::optional<JobEvent>>> write(JobRecord record, Durability durability) {
    auto watchers = watchers_;
    auto update = [record = std::move(record), durability, watchers](JobJournal& journal) {
      auto event = journal.update(record, durability);
      if (event && *event) watchers->publish(**event);
      return event;
    };
    co_return co_await on_journal(std::move(update));
  }

  // The same without waiting: progress and remote ids, which the runner cannot await.
  void write_detached(JobRecord record, Durability durability) {
    asio::post(journal_thread_, [journal = journal_.get(), watchers = watchers_, log = log_,
                                 record = std::move(record), durability] {
      Result<std::optional<JobEvent>> event = std::optional<JobEvent>{};
      try {
        event = journal->update(record, durability);
      } catch (const std::exception& e) {
        event = fail(ErrorCode::kInternal, e.what());
      }
      if (!event) {
        log->warn("job {}: could not journal progress: {}", record.job.id, event.error().message);
      } else if (*event) {
        watchers->publish(**event);
      }
    });
  }

  void pump() {
    std::vector<std::string> launch;
    {
      const std::lock_guard lock(mutex_);
      if (!started_ || stopping_) return;
      const std::int64_t now_ms = clock_.unix_millis();
      const Clock::TimePoint now = clock_.now();
      for (KindSlot& s : kinds_) {
        if (!s.runner) continue;
        while (s.running < s.concurrency && !s.queue.empty()) {
          std::string id = std::move(s.queue.front());
          s.queue.pop_front();
          const auto found = active_.find(id);
          if (found == active_.end()) continue;
          Entry& e = found->second;
          e.in_queue = false;
          e.live = true;
          e.finishing = false;
          e.cancel_requested = false;
          e.cancel = CancellationSource();
          e.started = now;
          e.last_flush = now;
          e.dirty = false;
          Job& job = e.record.job;
          job.state = JobState::kRunning;
          ++job.attempts;
          job.started_at_ms = now_ms;
          job.updated_at_ms = now_ms;
          job.finished_at_ms.reset();
          ++e.record.version;
          ++s.running;
          launch.push_back(std::move(id));
        }
      }
      publish_gauges_locked();
    }
    for (std::string& id : launch) {
      asio::co_spawn(executor_, run_job(shared_from_this(), std::move(id)), asio::detached);
    }
  }

  asio::awaitable<void> run_job(std::shared_ptr<Core> /*keep_alive*/, std::string id) {
    JobRecord record;
    JobRunner runner;
    CancellationToken token;
    {
      const std::lock_guard lock(mutex_);
      const Entry& e = active_.at(id);
      record = e.record;
      runner = slot(record.job.kind).runner;
      token = e.cancel.token();
    }
    const fs::path work_dir = options_.state_dir / "jobs" / id;
    auto watchers = watchers_;
    auto begin = [record, work_dir,
                  watchers](JobJournal& journal) -> Result<std::optional<JobEvent>> {
      std::error_code ec;
      fs::create_directories(work_dir, ec);
      if (ec) {
        return fail(ErrorCode::kInternal, "cannot create the job's work directory '" +
                                              work_dir.string() + "': " + ec.message());
      }
      auto event = journal.update(record, Durability::kRelaxed);
      if (event && *event) watchers->publish(**event);
      return event;
    };
    auto started = co_await on_journal(std::move(begin));
    Result<Json> outcome = fail(ErrorCode::kInternal, "the job did not run");
    if (!started) {
      // Neither the journal nor the work directory would keep what the run does.
      outcome = tl::unexpected(started.error());
    } else {
      JobContext context;
      context.job = record.job;
      context.resumed = record.job.attempts > 1;
      context.cancel = token;
      context.work_dir = work_dir;
      const std::weak_ptr<Core> weak = weak_from_this();
      context.progress = [weak, id](Json progress) {
        if (auto core = weak.lock()) core->on_progress(id, std::move(progress));
      };
      context.add_remote_job = [weak, id](std::string remote_id) {
        if (auto core = weak.lock()) core->on_remote_job(id, std::move(remote_id));
      };
      try {
        outcome = co_await runner(std::move(context));
      } catch (const std::exception& e) {
        outcome = fail(ErrorCode::kInternal, std::string("the job runner threw: ") + e.what());
      } catch (...) {
        outcome = fail(ErrorCode::kInternal, "the job runner threw a non-standard exception");
      }
    }
    co_await finish(id, std::move(outcome));
  }

  asio::awaitable<void> finish(std::string id, Result<Json> outcome) {
    JobRecord record;
    bool requeue = false;
    double seconds = 0;
    {
      const std::lock_guard lock(mutex_);
      Entry& e = active_.at(id);
      e.finishing = true;
      disarm_locked(e);
      // Built on a copy: readers see the job running until its end is committed, so a
      // client that sees "failed" can retry at once.
      record = e.record;
      Job& job = record.job;
      const bool shutdown = stopping_ && e.cancel.cancelled() && !e.cancel_requested;
      if (outcome) {
        // Finished despite a late cancel: the work is done, so say so.
        job.state = JobState::kSucceeded;
        job.result = std::move(*outcome);
        job.error.reset();
      } else if (e.cancel_requested) {
        job.state = JobState::kCancelled;
      } else if (outcome.error().code == ErrorCode::kCancelled) {
        job.state = shutdown ? JobState::kQueued : JobState::kCancelled;
        requeue = shutdown;
      } else {
        job.state = JobState::kFailed;
        job.error = JobError{to_string(outcome.error().code), outcome.error().message};
      }
      job.updated_at_ms = clock_.unix_millis();
      if (!requeue) {
        job.finished_at_ms = job.updated_at_ms;
        record.crash_resumes = 0;
        seconds = std::chrono::duration<double>(clock_.now() - e.started).count();
      }
      ++record.version;
    }
    // Relaxed: job ends are frequent and must not hold accepts up behind an fsync each. A
    // crash keeps the write (it is in the OS cache); a power cut before the next synced
    // commit may lose it, and the job then counts as running: it is resumed, never lost.
    auto written = co_await write(record, Durability::kRelaxed);
    if (!written) {
      log_->error("job {} ended {} but the journal could not record it: {}", id,
                  to_string(record.job.state), written.error().message);
    }
    {
      const std::lock_guard lock(mutex_);
      const JobKind kind = record.job.kind;
      --slot(kind).running;
      const auto found = active_.find(id);
      wake_waiters(found->second);
      if (requeue) {
        Entry& e = found->second;
        e.record = record;
        e.live = false;
        e.finishing = false;
        e.in_queue = true;
        e.flush_timer.reset();
        slot(kind).queue.push_front(id);
      } else {
        active_.erase(found);
        metrics_.count(kind, record.job.state);
        metrics_.observe_duration(kind, seconds);
        mean_duration_s_ = have_mean_ ? 0.8 * mean_duration_s_ + 0.2 * seconds : seconds;
        have_mean_ = true;
      }
      publish_gauges_locked();
      if (stopping_ && running_locked() == 0) idle_.try_send(boost::system::error_code{});
    }
    pump();
  }

  void on_progress(const std::string& id, Json progress) {
    std::optional<JobRecord> flush;
    {
      const std::lock_guard lock(mutex_);
      const auto found = active_.find(id);
      if (found == active_.end()) return;
      Entry& e = found->second;
      if (!e.live || e.finishing) return;
      if (!progress.is_object()) progress = Json{{"message", std::move(progress)}};
      e.record.job.progress = std::move(progress);
      e.record.job.updated_at_ms = clock_.unix_millis();
      ++e.record.version;
      const Clock::TimePoint now = clock_.now();
      if (now - e.last_flush >= options_.progress_interval) {
        e.last_flush = now;
        e.dirty = false;
        flush = e.record;
      } else {
        e.dirty = true;
        arm_locked(id, e, now);
      }
    }
    if (flush) write_detached(std::move(*flush), Durability::kRelaxed);
  }

  void on_remote_job(const std::string& id, std::string remote_id) {
    std::optional<JobRecord> flush;
    {
      const std::lock_guard lock(mutex_);
      const auto found = active_.find(id);
      if (found == active_.end()) return;
      Entry& e = found->second;
      if (!e.live || e.finishing) return;
      auto& ids = e.record.job.remote_job_ids;
      if (std::find(ids.begin(), ids.end(), remote_id) != ids.end()) return;
      ids.push_back(std::move(remote_id));
      e.record.job.updated_at_ms = clock_.unix_millis();
      ++e.record.version;
      e.dirty = false;  // this write carries the latest progress too
      flush = e.record;
    }
    // Synced: a resumed job that forgot its remote ids would deliver its documents twice.
    write_detached(std::move(*flush), Durability::kSynced);
  }

  // Schedules the write of coalesced progress for when the interval is up.
  void arm_locked(const std::string& id, Entry& e, Clock::TimePoint now) {
    if (e.flush_armed) return;
    if (!e.flush_timer) e.flush_timer = std::make_unique<asio::steady_timer>(executor_);
    const auto remaining = std::max<Clock::Duration>(
        options_.progress_interval - (now - e.last_flush), milliseconds(1));
    e.flush_timer->expires_after(remaining);
    e.flush_armed = true;
    e.flush_timer->async_wait([weak = weak_from_this(), id](boost::system::error_code ec) {
      if (ec) return;
      if (auto core = weak.lock()) core->on_flush_timer(id);
    });
  }

  void disarm_locked(Entry& e) {
    if (e.flush_timer) e.flush_timer->cancel();
    e.flush_armed = false;
    e.dirty = false;
  }

  void on_flush_timer(const std::string& id) {
    std::optional<JobRecord> flush;
    {
      const std::lock_guard lock(mutex_);
      const auto found = active_.find(id);
      if (found == active_.end()) return;
      Entry& e = found->second;
      e.flush_armed = false;
      if (!e.live || e.finishing || !e.dirty) return;
      const Clock::TimePoint now = clock_.now();
      // The injected clock decides, so a test's manual clock controls coalescing too.
      if (now - e.last_flush >= options_.progress_interval) {
        e.last_flush = now;
        e.dirty = false;
        flush = e.record;
      } else {
        arm_locked(id, e, now);
      }
    }
    if (flush) write_detached(std::move(*flush), Durability::kRelaxed);
  }

  asio::awaitable<void> purge_loop(std::shared_ptr<Core> /*keep_alive*/) {
    asio::steady_timer timer(executor_);
    const milliseconds interval = purge_interval_for(options_);
    for (;;) {
      timer.expires_after(interval);
      const auto woke = co_await (timer.async_wait(asio::as_tuple(asio::use_awaitable)) ||
                                  purge_wake_.async_receive(asio::as_tuple(asio::use_awaitable)));
      if (woke.index() == 1) co_return;
      {
        const std::lock_guard lock(mutex_);
        if (stopping_) co_return;
      }
      auto purged = co_await purge_expired();
      if (!purged) log_->warn("purging expired jobs failed: {}", purged.error().message);
    }
  }

  const JobEngineOptions options_;
  const Clock& clock_;
  asio::any_io_executor executor_;
  std::shared_ptr<prometheus::Registry> own_registry_;  // when open() was given none
  detail::JobMetrics metrics_;
  std::shared_ptr<detail::JobWatchers> watchers_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<JobJournal> journal_;  // used only on journal_thread_ once open
  std::shared_ptr<AcceptQueue> accepts_;
  // Declared after journal_, so it is joined before the journal closes.
  asio::thread_pool journal_thread_{1};

  mutable std::mutex mutex_;
  std::map<std::string, Entry> active_;
  std::array<KindSlot, 2> kinds_;
  std::vector<std::string> recovered_running_;  // left running by the last process
  std::set<std::string> retrying_;
  std::size_t reserved_ = 0;  // accepted but not yet committed: counted against capacity
  bool starting_ = false;
  bool started_ = false;
  bool stopping_ = false;
  double mean_duration_s_ = 0;
  bool have_mean_ = false;

  WakeUp idle_;        // stop(): the last runner returned
  WakeUp purge_wake_;  // ends the purge loop
};

class JobEngineImpl final : public JobEngine {
 public:
  explicit JobEngineImpl(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~JobEngineImpl() override { core_->detach(); }
  JobEngineImpl(const JobEngineImpl&) = delete;
  JobEngineImpl& operator=(const JobEngineImpl&) = delete;

  void register_runner(JobKind kind, JobRunner runner, std::size_t concurrency) override {
    core_->register_runner(kind, std::move(runner), concurrency);
  }

  // Each coroutine holds the core in its own frame, so it finishes safely even if the
  // engine object goes away while it waits.
  asio::awaitable<Result<void>> start() override {
    auto core = core_;
    co_return co_await core->start();
  }
  asio::awaitable<void> stop(milliseconds grace) override {
    auto core = core_;
    co_await core->stop(grace);
  }
  asio::awaitable<Result<Job>> submit(JobKind kind, Json input, std::string caller) override {
    auto core = core_;
    co_return co_await core->submit(kind, std::move(input), std::move(caller));
  }
  asio::awaitable<Result<Job>> get(std::string id) override {
    auto core = core_;
    co_return co_await core->get(std::move(id));
  }
  asio::awaitable<Result<JobPage>> list(JobQuery query) override {
    auto core = core_;
    co_return co_await core->list(std::move(query));
  }
  asio::awaitable<Result<Job>> cancel(std::string id) override {
    auto core = core_;
    co_return co_await core->cancel(std::move(id));
  }
  asio::awaitable<Result<Job>> retry(std::string id) override {
    auto core = core_;
    co_return co_await core->retry(std::move(id));
  }
  asio::awaitable<Result<std::size_t>> purge_expired() override {
    auto core = core_;
    co_return co_await core->purge_expired();
  }
  asio::awaitable<Result<std::vector<JobEvent>>> events(std::string id,
                                                        std::uint64_t after_seq) override {
    auto core = core_;
    co_return co_await core->events(std::move(id), after_seq);
  }
  std::unique_ptr<Subscription> watch(std::string id,
                                      std::function<void(const JobEvent&)> on_event) override {
    return core_->watch(std::move(id), std::move(on_event));
  }
  [[nodiscard]] std::int64_t poll_after_s() const override { return core_->poll_after_s(); }
  [[nodiscard]] std::size_t queued() const override { return core_->queued(); }
  [[nodiscard]] std::size_t running() const override { return core_->running(); }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

Result<std::unique_ptr<JobEngine>> JobEngine::open(JobEngineOptions options,
                                                   asio::any_io_executor executor,
                                                   prometheus::Registry* metrics) {
  auto core = std::make_shared<Core>(std::move(options), std::move(executor), metrics);
  if (auto opened = core->open(); !opened) return tl::unexpected(opened.error());
  return std::unique_ptr<JobEngine>(std::make_unique<JobEngineImpl>(std::move(core)));
}

}  // namespace shield::jobs
