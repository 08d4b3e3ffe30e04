#pragma once
// JobJournal: the SQLite file (<state_dir>/jobs.db, WAL) that makes accepted jobs durable.
// It stores each job's latest snapshot and its last events, nothing else; the JobEngine
// decides what to write and when.
//
// Threading: not thread-safe. The engine calls it only from its one journal thread; tests
// call it directly. Blocking: every method does disk I/O, so never call it on the io_context.
// Ownership: holds the database connection and an exclusive lock file
// (<state_dir>/jobs.lock, flock) so two daemons never run the same jobs; both are released
// on destruction, and by the kernel on kill -9.
// Errors: Result values naming the database path and the operation that failed.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shield/jobs/job.hpp"
#include "shield/jobs/job_engine.hpp"
#include "shield/util/error.hpp"

namespace shield::jobs {

// A job as the journal holds it: the snapshot plus the engine's bookkeeping.
struct JobRecord {
  Job job;
  // Grows with every change the engine makes; a write older than the stored one is dropped,
  // so writes that race to the journal thread can never roll a job back.
  std::uint64_t version = 0;
  std::uint32_t crash_resumes = 0;  // resumes after a crash since the job last ended
  std::uint64_t last_seq = 0;       // seq of the job's newest event
};

// How hard a commit insists on reaching the disk. Both survive kill -9 (WAL pages are in the
// OS cache); only kSynced also survives a power cut, at the cost of an fsync per commit.
enum class Durability { kSynced, kRelaxed };

class JobJournal {
 public:
  static constexpr int kSchemaVersion = 1;

  // Creates `state_dir` (owner-only) when missing, takes the lock, opens or creates jobs.db
  // and its schema. kFailedPrecondition when another process holds the lock or the schema
  // is newer than this build; kPermissionDenied or kInternal otherwise, naming the path.
  static Result<std::unique_ptr<JobJournal>> open(const std::filesystem::path& state_dir,
                                                  std::size_t max_events_per_job);
  ~JobJournal();
  JobJournal(const JobJournal&) = delete;
  JobJournal& operator=(const JobJournal&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept;

  // A new job and its first event (seq 1), in one transaction.
  Result<JobEvent> insert(const JobRecord& record, Durability durability);
  // Several new jobs in one transaction, so they share one fsync (group commit); one result
  // per record, in order. A record that fails (a duplicate id) fails alone; a failed commit
  // fails them all.
  std::vector<Result<JobEvent>> insert_batch(const std::vector<JobRecord>& records,
                                             Durability durability);
  // Replaces the stored snapshot with `record` and appends an event, when record.version is
  // newer than the stored one; nullopt when it is not (nothing written). kNotFound when the
  // job is gone (purged). Events beyond max_events_per_job are dropped, oldest first.
  Result<std::optional<JobEvent>> update(const JobRecord& record, Durability durability);

  Result<std::optional<JobRecord>> find(std::string_view id);
  // Queued and running jobs, oldest first: what start() recovers.
  Result<std::vector<JobRecord>> unfinished();
  // kInvalidArgument when query.after_id names no job (never issued, or purged since).
  Result<JobPage> list(const JobQuery& query);
  // Events after `after_seq`, oldest first. kNotFound when the job does not exist.
  Result<std::vector<JobEvent>> events(std::string_view id, std::uint64_t after_seq);
  // Deletes final jobs that finished at or before `cutoff_ms` (Unix ms) and their events;
  // returns their ids so the caller can remove their work directories.
  Result<std::vector<std::string>> purge_finished_before(std::int64_t cutoff_ms);

 private:
  struct Impl;
  explicit JobJournal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shield::jobs
