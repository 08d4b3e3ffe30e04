#include "shield/jobs/job_journal.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "sqlite_statement.hpp"

namespace shield::jobs {
namespace fs = std::filesystem;
using detail::SqliteStatement;

namespace {

constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 1'000;

// One schema, created in one transaction; PRAGMA user_version says which.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE jobs (
  created_order INTEGER PRIMARY KEY AUTOINCREMENT,  -- list order and cursors; never reused
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  caller TEXT NOT NULL,
  input TEXT NOT NULL,
  progress TEXT NOT NULL,
  error_code TEXT,
  error_message TEXT,
  result TEXT NOT NULL,
  remote_job_ids TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  started_at_ms INTEGER,
  finished_at_ms INTEGER,
  attempts INTEGER NOT NULL,
  crash_resumes INTEGER NOT NULL,
  version INTEGER NOT NULL,
  last_seq INTEGER NOT NULL
);
CREATE INDEX jobs_unfinished ON jobs(state) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_finished_at ON jobs(finished_at_ms) WHERE finished_at_ms IS NOT NULL;
CREATE TABLE job_events (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
)sql";

constexpr std::string_view kColumns =
    "id, kind, state, caller, input, progress, error_code, error_message, result, "
    "remote_job_ids, created_at_ms, updated_at_ms, started_at_ms, finished_at_ms, attempts, "
    "crash_resumes, version, last_seq";

std::string select_jobs(std::string_view tail) {
  return "SELECT " + std::string(kColumns) + " FROM jobs " + std::string(tail);
}

ErrorCode code_for(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_FULL:
      return ErrorCode::kResourceExhausted;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_AUTH:
      return ErrorCode::kPermissionDenied;
    default:
      return ErrorCode::kInternal;
  }
}

// Runners report what they find (page titles, file names), which may not be valid UTF-8;
// the bad bytes become U+FFFD instead of an exception that would lose the write.
std::string to_text(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

}  // namespace

struct JobJournal::Impl {
  fs::path path;
  int lock_fd = -1;
  sqlite3* db = nullptr;
  std::size_t max_events = 1;
  Durability current = Durability::kSynced;

  SqliteStatement insert_job, insert_event, trim_events, head, update_job, find_job, unfinished,
      order_of, list, events_after, expired, delete_job, delete_events;

  ~Impl() {
    // close_v2 waits for the statements (finalized after this body) before closing.
    if (db != nullptr) sqlite3_close_v2(db);
    if (lock_fd >= 0) ::close(lock_fd);
  }

  Error error(int rc, std::string_view what) const {
    const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return {code_for(rc), "job journal " + quoted(path) + ": " + std::string(what) + ": " + detail};
  }

  int exec(std::string_view sql) {
    return sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, nullptr);
  }

  Result<void> begin(Durability durability) {
    if (durability != current) {
      const int rc = exec(durability == Durability::kSynced ? "PRAGMA synchronous=FULL"
                                                            : "PRAGMA synchronous=NORMAL");
      if (rc != SQLITE_OK) return tl::unexpected(error(rc, "setting synchronous"));
      current = durability;
    }
    const int rc = exec("BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) return tl::unexpected(error(rc, "beginning a transaction"));
    return {};
  }

  Result<void> commit() {
    const int rc = exec("COMMIT");
    if (rc != SQLITE_OK) {
      Error e = error(rc, "committing");
      exec("ROLLBACK");
      return tl::unexpected(std::move(e));
    }
    return {};
  }

  // Returns `e` after undoing the open transaction, for early exits inside one.
  tl::unexpected<Error> abort(Error e) {
    exec("ROLLBACK");
    return tl::unexpected(std::move(e));
  }

  void bind_snapshot(SqliteStatement& s, const JobRecord& r, std::uint64_t seq) {
    const Job& j = r.job;
    s.bind(1, std::string_view(j.id));
    s.bind(2, to_string(j.state));
    s.bind(3, std::string_view(to_text(j.progress)));
    if (j.error) {
      s.bind(4, std::string_view(j.error->code));
      s.bind(5, std::string_view(j.error->message));
    } else {
      s.bind_null(4);
      s.bind_null(5);
    }
    s.bind(6, std::string_view(to_text(j.result)));
    s.bind(7, std::string_view(to_text(Json(j.remote_job_ids))));
    s.bind(8, j.updated_at_ms);
    s.bind(9, j.started_at_ms);
    s.bind(10, j.finished_at_ms);
    s.bind(11, static_cast<std::int64_t>(j.attempts));
    s.bind(12, static_cast<std::int64_t>(r.crash_resumes));
    s.bind(13, static_cast<std::int64_t>(r.version));
    s.bind(14, static_cast<std::int64_t>(seq));
  }

  Result<JobEvent> append_event(const Job& job, std::uint64_t seq) {
    JobEvent event{job.id, seq, job.to_json()};
    insert_event.bind(1, std::string_view(job.id));
    insert_event.bind(2, static_cast<std::int64_t>(seq));
    insert_event.bind(3, std::string_view(to_text(event.job)));
    int rc = insert_event.step();
    if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "writing an event"));
    if (seq > max_events) {
      trim_events.bind(1, std::string_view(job.id));
      trim_events.bind(2, static_cast<std::int64_t>(seq - max_events));
      rc = trim_events.step();
      if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "dropping old events"));
    }
    return event;
  }

  // Inside an open transaction: the job row and its first event.
  Result<JobEvent> insert_one(const JobRecord& record) {
    const Job& j = record.job;
    bind_snapshot(insert_job, record, 1);
    insert_job.bind(15, to_string(j.kind));
    insert_job.bind(16, std::string_view(j.caller));
    insert_job.bind(17, std::string_view(to_text(j.input)));
    insert_job.bind(18, j.created_at_ms);
    const int rc = insert_job.step();
    if (rc == SQLITE_CONSTRAINT_UNIQUE) {
      return fail(ErrorCode::kAlreadyExists,
                  "job journal " + quoted(path) + ": job " + j.id + " already exists");
    }
    if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "inserting job " + j.id));
    return append_event(j, 1);
  }

  // The columns of kColumns, in order, into a record. Throws on a corrupt JSON column.
  static JobRecord read(const SqliteStatement& s) {
    JobRecord r;
    Job& j = r.job;
    j.id = s.text(0);
    j.kind = parse_job_kind(s.text(1)).value_or(JobKind::kIngest);
    j.state = parse_job_state(s.text(2)).value_or(JobState::kFailed);
    j.caller = s.text(3);
    j.input = Json::parse(s.text(4));
    j.progress = Json::parse(s.text(5));
    if (auto code = s.optional_text(6)) {
      j.error = JobError{std::move(*code), s.optional_text(7).value_or("")};
    }
    j.result = Json::parse(s.text(8));
    j.remote_job_ids = Json::parse(s.text(9)).get<std::vector<std::string>>();
    j.created_at_ms = s.integer(10);
    j.updated_at_ms = s.integer(11);
    j.started_at_ms = s.optional_integer(12);
    j.finished_at_ms = s.optional_integer(13);
    j.attempts = static_cast<std::uint32_t>(s.integer(14));
    r.crash_resumes = static_cast<std::uint32_t>(s.integer(15));
    r.version = static_cast<std::uint64_t>(s.integer(16));
    r.last_seq = static_cast<std::uint64_t>(s.integer(17));
    return r;
  }

  // Runs a SELECT of kColumns to the end.
  Result<std::vector<JobRecord>> read_all(SqliteStatement& s, std::string_view what) {
    std::vector<JobRecord> out;
    int rc = SQLITE_ROW;
    try {
      while ((rc = s.step()) == SQLITE_ROW) out.push_back(read(s));
    } catch (const std::exception& e) {
      s.reset();
      return fail(ErrorCode::kInternal, "job journal " + quoted(path) + ": " + std::string(what) +
                                            ": a stored job is corrupt (" + e.what() + ")");
    }
    if (rc != SQLITE_DONE) return tl::unexpected(error(rc, what));
    return out;
  }

  Result<void> prepare_all() {
    const std::string update_sql =
        "UPDATE jobs SET state = ?2, progress = ?3, error_code = ?4, error_message = ?5, "
        "result = ?6, remote_job_ids = ?7, updated_at_ms = ?8, started_at_ms = ?9, "
        "finished_at_ms = ?10, attempts = ?11, crash_resumes = ?12, version = ?13, "
        "last_seq = ?14 WHERE id = ?1";
    const std::pair<SqliteStatement*, std::string> all[] = {
        {&insert_job,
         "INSERT INTO jobs (id, state, progress, error_code, error_message, result, "
         "remote_job_ids, updated_at_ms, started_at_ms, finished_at_ms, attempts, crash_resumes, "
         "version, last_seq, kind, caller, input, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, "
         "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"},
        {&insert_event, "INSERT INTO job_events (job_id, seq, body) VALUES (?1, ?2, ?3)"},
        {&trim_events, "DELETE FROM job_events WHERE job_id = ?1 AND seq <= ?2"},
        {&head, "SELECT version, last_seq FROM jobs WHERE id = ?1"},
        {&update_job, update_sql},
        {&find_job, select_jobs("WHERE id = ?1")},
        {&unfinished, select_jobs("WHERE state IN ('queued', 'running') ORDER BY created_order")},
        {&order_of, "SELECT created_order FROM jobs WHERE id = ?1"},
        {&list, select_jobs("WHERE created_order > ?1 AND (?2 IS NULL OR caller = ?2) AND "
                            "(?3 IS NULL OR kind = ?3) ORDER BY created_order LIMIT ?4")},
        {&events_after,
         "SELECT seq, body FROM job_events WHERE job_id = ?1 AND seq > ?2 ORDER BY seq"},
        {&expired,
         "SELECT id FROM jobs WHERE finished_at_ms IS NOT NULL AND finished_at_ms <= ?1 AND "
         "state NOT IN ('queued', 'running')"},
        {&delete_job, "DELETE FROM jobs WHERE id = ?1"},
        {&delete_events, "DELETE FROM job_events WHERE job_id = ?1"},
    };
    for (const auto& [statement, sql] : all) {
      const int rc = statement->prepare(db, sql);
      if (rc != SQLITE_OK) return tl::unexpected(error(rc, "preparing statements"));
    }
    return {};
  }

  // Creates the schema in a fresh file, accepts our own version, refuses anything else.
  Result<void> migrate() {
    SqliteStatement version;
    int rc = version.prepare(db, "PRAGMA user_version");
    if (rc != SQLITE_OK) return tl::unexpected(error(rc, "reading the schema version"));
    rc = version.step();
    if (rc != SQLITE_ROW) return tl::unexpected(error(rc, "reading the schema version"));
    const std::int64_t found = version.integer(0);
    version.reset();
    if (found == kSchemaVersion) return {};
    if (found > kSchemaVersion) {
      return fail(ErrorCode::kFailedPrecondition,
                  "job journal " + quoted(path) + " has schema version " + std::to_string(found) +
                      ", newer than this shield-mcp understands (" +
                      std::to_string(kSchemaVersion) +
                      "); run the newer version or point jobs.state_dir elsewhere");
    }
    SqliteStatement tables;
    rc = tables.prepare(db, "SELECT count(*) FROM sqlite_master");
    if (rc != SQLITE_OK || (rc = tables.step()) != SQLITE_ROW) {
      return tl::unexpected(error(rc, "reading the schema"));
    }
    if (tables.integer(0) != 0) {
      return fail(ErrorCode::kFailedPrecondition,
                  "'" + path.string() +
                      "' is a SQLite database but not a shield-mcp job journal (it has tables "
                      "and no schema version); point jobs.state_dir elsewhere");
    }
    tables.reset();
    if (auto began = begin(Durability::kSynced); !began) return began;
    rc = exec(kSchema);
    if (rc != SQLITE_OK) return abort(error(rc, "creating the schema"));
    rc = exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    if (rc != SQLITE_OK) return abort(error(rc, "setting the schema version"));
    return commit();
  }
};

JobJournal::JobJournal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JobJournal::~JobJournal() = default;

const fs::path& JobJournal::path() const noexcept {
  return impl_->path;
}

Result<std::unique_ptr<JobJournal>> JobJournal::open(const fs::path& state_dir,
                                                     std::size_t max_events_per_job) {
  std::error_code ec;
  const bool existed = fs::is_directory(state_dir, ec);
  if (!existed) {
    fs::create_directories(state_dir, ec);
    if (ec) {
      return fail(
          ec == std::errc::permission_denied ? ErrorCode::kPermissionDenied : ErrorCode::kInternal,
          "cannot create the job state directory " + quoted(state_dir) + ": " + ec.message());
    }
    // It will hold uploaded documents and extracted text: nobody else's business.
    fs::permissions(state_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }

  auto impl = std::make_unique<Impl>();
  impl->path = state_dir / "jobs.db";
  impl->max_events = std::max<std::size_t>(max_events_per_job, 1);

  const fs::path lock_path = state_dir / "jobs.lock";
  impl->lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (impl->lock_fd < 0) {
    const int err = errno;
    return fail(err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kInternal,
                "cannot open the job journal lock " + quoted(lock_path) + ": " +
                    std::system_category().message(err));
  }
  if (::flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      return fail(ErrorCode::kFailedPrecondition,
                  "the job journal " + quoted(impl->path) +
                      " is in use by another process (is another shield-mcp running with the "
                      "same jobs.state_dir?)");
    }
    return fail(ErrorCode::kInternal,
                "cannot lock " + quoted(lock_path) + ": " + std::system_category().message(err));
  }

  int rc =
      sqlite3_open_v2(impl->path.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return fail(code_for(rc),
                "cannot open the job journal " + quoted(impl->path) + ": " +
                    (impl->db != nullptr ? sqlite3_errmsg(impl->db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(impl->db, 1);
  // Only an operator's read-only sqlite3 session can contend with us (the lock file keeps
  // other daemons out); a short wait rides over its reads.
  sqlite3_busy_timeout(impl->db, 2'000);

  SqliteStatement mode;
  rc = mode.prepare(impl->db, "PRAGMA journal_mode=WAL");
  if (rc == SQLITE_OK) rc = mode.step();
  if (rc != SQLITE_ROW) {
    std::string detail = sqlite3_errmsg(impl->db);
    if ((rc & 0xff) == SQLITE_NOTADB) detail += " (the file is corrupt or not a job journal)";
    return fail(code_for(rc), "cannot open the job journal " + quoted(impl->path) + ": " + detail);
  }
  if (mode.text(0) != "wal") {
    return fail(ErrorCode::kFailedPrecondition,
                "job journal " + quoted(impl->path) +
                    ": the file system does not support SQLite's WAL mode (got journal_mode " +
                    mode.text(0) + ")");
  }
  mode.reset();
  if (rc = impl->exec("PRAGMA synchronous=FULL"); rc != SQLITE_OK) {
    return tl::unexpected(impl->error(rc, "setting synchronous"));
  }
  if (auto migrated = impl->migrate(); !migrated) return tl::unexpected(migrated.error());
  if (auto prepared = impl->prepare_all(); !prepared) return tl::unexpected(prepared.error());
  return std::unique_ptr<JobJournal>(new JobJournal(std::move(impl)));
}

Result<JobEvent> JobJournal::insert(const JobRecord& record, Durability durability) {
  return std::move(insert_batch({record}, durability).front());
}

std::vector<Result<JobEvent>> JobJournal::insert_batch(const std::vector<JobRecord>& records,
                                                       Durability durability) {
  Impl& d = *impl_;
  std::vector<Result<JobEvent>> out;
  out.reserve(records.size());
  if (auto began = d.begin(durability); !began) {
    out.assign(records.size(), tl::unexpected(began.error()));
    return out;
  }
  for (const JobRecord& record : records) {
    // A savepoint per job: one bad record is undone without taking the others with it.
    d.exec("SAVEPOINT accept");
    auto event = d.insert_one(record);
    if (!event) d.exec("ROLLBACK TO accept");
    d.exec("RELEASE accept");
    out.push_back(std::move(event));
  }
  if (auto committed = d.commit(); !committed) {
    out.assign(records.size(), tl::unexpected(committed.error()));
  }
  return out;
}

Result<std::optional<JobEvent>> JobJournal::update(const JobRecord& record, Durability durability) {
  Impl& d = *impl_;
  if (auto began = d.begin(durability); !began) return tl::unexpected(began.error());
  const Job& j = record.job;
  d.head.bind(1, std::string_view(j.id));
  int rc = d.head.step();
  if (rc == SQLITE_DONE) {
    return d.abort(Error{ErrorCode::kNotFound, "job " + j.id + " is not in the journal"});
  }
  if (rc != SQLITE_ROW) return d.abort(d.error(rc, "reading job " + j.id));
  const auto stored_version = static_cast<std::uint64_t>(d.head.integer(0));
  const auto seq = static_cast<std::uint64_t>(d.head.integer(1)) + 1;
  d.head.reset();
  if (stored_version >= record.version) {
    d.exec("ROLLBACK");
    return std::optional<JobEvent>{};
  }
  d.bind_snapshot(d.update_job, record, seq);
  rc = d.update_job.step();
  if (rc != SQLITE_DONE) return d.abort(d.error(rc, "updating job " + j.id));
  auto event = d.append_event(j, seq);
  if (!event) return d.abort(event.error());
  if (auto committed = d.commit(); !committed) return tl::unexpected(committed.error());
  return std::optional<JobEvent>(std::move(*event));
}

Result<std::optional<JobRecord>> JobJournal::find(std::string_view id) {
  Impl& d = *impl_;
  d.find_job.bind(1, id);
  auto rows = d.read_all(d.find_job, "reading job " + std::string(id));
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<JobRecord>{};
  return std::optional<JobRecord>(std::move(rows->front()));
}

Result<std::vector<JobRecord>> JobJournal::unfinished() {
  return impl_->read_all(impl_->unfinished, "reading unfinished jobs");
}

Result<JobPage> JobJournal::list(const JobQuery& query) {
  Impl& d = *impl_;
  std::int64_t after = 0;
  if (!query.after_id.empty()) {
    d.order_of.bind(1, std::string_view(query.after_id));
    const int rc = d.order_of.step();
    if (rc == SQLITE_DONE) {
      return fail(ErrorCode::kInvalidArgument,
                  "unknown cursor '" + query.after_id + "' (the job may have been purged)");
    }
    if (rc != SQLITE_ROW) return tl::unexpected(d.error(rc, "reading the cursor"));
    after = d.order_of.integer(0);
    d.order_of.reset();
  }
  const std::size_t limit =
      std::min(query.limit == 0 ? kDefaultPageSize : query.limit, kMaxPageSize);
  d.list.bind(1, after);
  if (query.caller) {
    d.list.bind(2, std::string_view(*query.caller));
  } else {
    d.list.bind_null(2);
  }
  if (query.kind) {
    d.list.bind(3, to_string(*query.kind));
  } else {
    d.list.bind_null(3);
  }
  d.list.bind(4, static_cast<std::int64_t>(limit + 1));  // one more tells whether a page follows
  auto rows = d.read_all(d.list, "listing jobs");
  if (!rows) return tl::unexpected(rows.error());
  JobPage page;
  if (rows->size() > limit) {
    rows->resize(limit);
    page.next_cursor = rows->back().job.id;
  }
  page.jobs.reserve(rows->size());
  for (JobRecord& r : *rows) page.jobs.push_back(std::move(r.job));
  return page;
}

Result<std::vector<JobEvent>> JobJournal::events(std::string_view id, std::uint64_t after_seq) {
  Impl& d = *impl_;
  d.order_of.bind(1, id);
  int rc = d.order_of.step();
  if (rc == SQLITE_DONE) return fail(ErrorCode::kNotFound, "job " + std::string(id) + " not found");
  if (rc != SQLITE_ROW) return tl::unexpected(d.error(rc, "reading job " + std::string(id)));
  d.order_of.reset();
  d.events_after.bind(1, id);
  d.events_after.bind(2, static_cast<std::int64_t>(after_seq));
  std::vector<JobEvent> out;
  try {
    while ((rc = d.events_after.step()) == SQLITE_ROW) {
      out.push_back(JobEvent{std::string(id), static_cast<std::uint64_t>(d.events_after.integer(0)),
                             Json::parse(d.events_after.text(1))});
    }
  } catch (const std::exception& e) {
    d.events_after.reset();
    return fail(ErrorCode::kInternal, "job journal " + quoted(d.path) + ": an event of job " +
                                          std::string(id) + " is corrupt (" + e.what() + ")");
  }
  if (rc != SQLITE_DONE) return tl::unexpected(d.error(rc, "reading events"));
  return out;
}

Result<std::vector<std::string>> JobJournal::purge_finished_before(std::int64_t cutoff_ms) {
  Impl& d = *impl_;
  std::vector<std::string> ids;
  d.expired.bind(1, cutoff_ms);
  int rc = SQLITE_ROW;
  while ((rc = d.expired.step()) == SQLITE_ROW) ids.push_back(d.expired.text(0));
  if (rc != SQLITE_DONE) return tl::unexpected(d.error(rc, "finding expired jobs"));
  if (ids.empty()) return ids;
  // Expired jobs are already final, so losing this delete to a power cut only delays it.
  if (auto began = d.begin(Durability::kRelaxed); !began) return tl::unexpected(began.error());
  for (const std::string& id : ids) {
    d.delete_events.bind(1, std::string_view(id));
    rc = d.delete_events.step();
    if (rc != SQLITE_DONE) return d.abort(d.error(rc, "deleting events of " + id));
    d.delete_job.bind(1, std::string_view(id));
    rc = d.delete_job.step();
    if (rc != SQLITE_DONE) return d.abort(d.error(rc, "deleting job " + id));
  }
  if (auto committed = d.commit(); !committed) return tl::unexpected(committed.error());
  return ids;
}

}  // namespace shield::jobs
