// The SQLite journal on its own: a job written, closed and read back; stale writes dropped;
// events bounded; listing, purging, and the errors that name the file.
#include "shield/jobs/job_journal.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/jobs/job_test_support.hpp"

namespace shield::jobs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ScratchDir;

std::unique_ptr<JobJournal> open_ok(const std::filesystem::path& dir, std::size_t events = 100) {
  auto journal = JobJournal::open(dir, events);
  EXPECT_TRUE(journal.has_value()) << journal.error().message;
  return journal ? std::move(*journal) : nullptr;
}

JobRecord make_record(const std::string& id, JobState state = JobState::kQueued,
                      std::string caller = "alice", JobKind kind = JobKind::kIngest) {
  JobRecord r;
  r.job.id = id;
  r.job.kind = kind;
  r.job.state = state;
  r.job.caller = std::move(caller);
  r.job.input = {{"path", "/srv/docs/" + id + ".pdf"}};
  r.job.created_at_ms = 1'700'000'000'000;
  r.job.updated_at_ms = r.job.created_at_ms;
  r.version = 1;
  return r;
}

// Ids in the engine's shape, distinct per n.
std::string id_for(int n) {
  std::string id = "job_" + std::string(26, 'a');
  id[29] = static_cast<char>('a' + n);
  return id;
}

std::vector<std::uint64_t> seqs(const std::vector<JobEvent>& events) {
  std::vector<std::uint64_t> out;
  out.reserve(events.size());
  for (const JobEvent& e : events) out.push_back(e.seq);
  return out;
}

TEST(JobJournal, AJobWrittenSurvivesClosingAndReopeningFieldForField) {
  ScratchDir dir;
  JobRecord full = make_record(id_for(1), JobState::kFailed, "bob", JobKind::kCrawl);
  full.job.progress = {{"pages_ok", 12}, {"message", "delivering"}};
  full.job.error = JobError{"sink_unavailable", "503 for 10 min"};
  full.job.result = {{"documents", 12}};
  full.job.remote_job_ids = {"orch-9", "orch-10"};
  full.job.started_at_ms = 1'700'000'000'500;
  full.job.finished_at_ms = 1'700'000'009'000;
  full.job.updated_at_ms = 1'700'000'009'000;
  full.job.attempts = 3;
  full.crash_resumes = 2;
  full.version = 7;
  {
    auto journal = open_ok(dir.path());
    ASSERT_TRUE(journal);
    auto first = journal->insert(full, Durability::kSynced);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    EXPECT_EQ(first->seq, 1u);
    EXPECT_EQ(first->job, full.job.to_json());
  }
  auto journal = open_ok(dir.path());
  ASSERT_TRUE(journal);
  auto found = journal->find(full.job.id);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  const JobRecord& back = **found;
  EXPECT_EQ(back.job.to_json(), full.job.to_json());
  EXPECT_EQ(back.job.input, full.job.input) << "input is kept for the runner, not shown";
  EXPECT_EQ(back.job.kind, JobKind::kCrawl);
  EXPECT_EQ(back.crash_resumes, 2u);
  EXPECT_EQ(back.version, 7u);
  EXPECT_EQ(back.last_seq, 1u);
  auto missing = journal->find(id_for(2));
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST(JobJournal, UnfinishedListsQueuedAndRunningJobsOldestFirst) {
  ScratchDir dir;
  auto journal = open_ok(dir.path());
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->insert(make_record(id_for(3), JobState::kRunning), Durability::kSynced));
  ASSERT_TRUE(journal->insert(make_record(id_for(1), JobState::kSucceeded), Durability::kSynced));
  ASSERT_TRUE(journal->insert(make_record(id_for(2), JobState::kQueued), Durability::kRelaxed));
  auto unfinished = journal->unfinished();
  ASSERT_TRUE(unfinished.has_value()) << unfinished.error().message;
  ASSERT_EQ(unfinished->size(), 2u);
  EXPECT_EQ((*unfinished)[0].job.id, id_for(3));  // creation order, not id order
  EXPECT_EQ((*unfinished)[0].job.state, JobState::kRunning);
  EXPECT_EQ((*unfinished)[1].job.id, id_for(2));
}

TEST(JobJournal, AnUpdateOlderThanTheStoredVersionIsDroppedWithoutAnEvent) {
  ScratchDir dir;
  auto journal = open_ok(dir.path());
  ASSERT_TRUE(journal);
  JobRecord r = make_record(id_for(1));
  ASSERT_TRUE(journal->insert(r, Durability::kSynced));

  JobRecord newer = r;
  newer.version = 3;
  newer.job.state = JobState::kSucceeded;
  newer.job.finished_at_ms = 1'700'000'001'000;
  auto applied = journal->update(newer, Durability::kSynced);
  ASSERT_TRUE(applied.has_value()) << applied.error().message;
  ASSERT_TRUE(applied->has_value());
  EXPECT_EQ((*applied)->seq, 2u);
  EXPECT_EQ((*applied)->job["state"], "succeeded");

  JobRecord stale = r;
  stale.version = 2;
  stale.job.state = JobState::kRunning;
  auto dropped = journal->update(stale, Durability::kRelaxed);
  ASSERT_TRUE(dropped.has_value()) << dropped.error().message;
  EXPECT_FALSE(dropped->has_value());
  auto same = journal->update(newer, Durability::kRelaxed);  // equal version: also dropped
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(same->has_value());

  auto back = journal->find(r.job.id);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->job.state, JobState::kSucceeded);
  EXPECT_EQ((*back)->version, 3u);
  auto events = journal->events(r.job.id, 0);
  ASSERT_TRUE(events.has_value());
  EXPECT_THAT(seqs(*events), ElementsAre(1u, 2u));
}

TEST(JobJournal, EventsAreKeptPerJobUpToTheBoundOldestDroppedFirst) {
  ScratchDir dir;
  auto journal = open_ok(dir.path(), 3);
  ASSERT_TRUE(journal);
  JobRecord r = make_record(id_for(1));
  JobRecord other = make_record(id_for(2));
  ASSERT_TRUE(journal->insert(r, Durability::kSynced));
  ASSERT_TRUE(journal->insert(other, Durability::kSynced));
  for (int i = 1; i <= 5; ++i) {
    r.version += 1;
    r.job.progress = {{"step", i}};
    auto e = journal->update(r, Durability::kRelaxed);
    ASSERT_TRUE(e && *e) << (e ? "stale" : e.error().message);
  }
  auto events = journal->events(r.job.id, 0);
  ASSERT_TRUE(events.has_value()) << events.error().message;
  EXPECT_THAT(seqs(*events), ElementsAre(4u, 5u, 6u));
  EXPECT_EQ(events->back().job["progress"]["step"], 5);
  EXPECT_EQ(events->back().job_id, r.job.id);
  auto after = journal->events(r.job.id, 5);
  ASSERT_TRUE(after.has_value());
  EXPECT_THAT(seqs(*after), ElementsAre(6u));
  auto none = journal->events(r.job.id, 6);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  // The other job's events are its own.
  auto theirs = journal->events(other.job.id, 0);
  ASSERT_TRUE(theirs.has_value());
  EXPECT_THAT(seqs(*theirs), ElementsAre(1u));
  auto unknown = journal->events(id_for(9), 0);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST(JobJournal, ListPagesInCreationOrderWithFiltersAndACursor) {
  ScratchDir dir;
  auto journal = open_ok(dir.path());
  ASSERT_TRUE(journal);
  // Created in the order 5, 4, 3, 2, 1: ids sort the other way, so order must come from
  // creation, not from the id.
  for (int n = 5; n >= 1; --n) {
    ASSERT_TRUE(
        journal->insert(make_record(id_for(n), JobState::kQueued, n % 2 == 0 ? "bob" : "alice",
                                    n == 3 ? JobKind::kCrawl : JobKind::kIngest),
                        Durability::kRelaxed));
  }
  JobQuery query;
  query.limit = 2;
  auto first = journal->list(query);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_EQ(first->jobs.size(), 2u);
  EXPECT_EQ(first->jobs[0].id, id_for(5));
  EXPECT_EQ(first->jobs[1].id, id_for(4));
  EXPECT_EQ(first->next_cursor, id_for(4));
  query.after_id = first->next_cursor;
  auto second = journal->list(query);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->jobs.size(), 2u);
  EXPECT_EQ(second->jobs[0].id, id_for(3));
  query.after_id = second->next_cursor;
  auto last = journal->list(query);
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->jobs.size(), 1u);
  EXPECT_EQ(last->jobs[0].id, id_for(1));
  EXPECT_EQ(last->next_cursor, "") << "the last page has no cursor";

  JobQuery mine;
  mine.caller = "alice";
  auto alice = journal->list(mine);
  ASSERT_TRUE(alice.has_value());
  ASSERT_EQ(alice->jobs.size(), 3u);
  for (const Job& job : alice->jobs) EXPECT_EQ(job.caller, "alice");
  JobQuery crawls;
  crawls.kind = JobKind::kCrawl;
  auto crawl = journal->list(crawls);
  ASSERT_TRUE(crawl.has_value());
  ASSERT_EQ(crawl->jobs.size(), 1u);
  EXPECT_EQ(crawl->jobs[0].id, id_for(3));

  JobQuery bad;
  bad.after_id = id_for(20);
  auto refused = journal->list(bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(refused.error().message, HasSubstr("unknown cursor"));
}

TEST(JobJournal, PurgeDeletesOnlyFinalJobsThatFinishedByTheCutoff) {
  ScratchDir dir;
  auto journal = open_ok(dir.path());
  ASSERT_TRUE(journal);
  JobRecord old_done = make_record(id_for(1), JobState::kSucceeded);
  old_done.job.finished_at_ms = 1'000;
  JobRecord new_done = make_record(id_for(2), JobState::kFailed);
  new_done.job.finished_at_ms = 5'000;
  JobRecord queued = make_record(id_for(3), JobState::kQueued);  // created long ago
  queued.job.created_at_ms = 1;
  JobRecord at_cutoff = make_record(id_for(4), JobState::kInterrupted);
  at_cutoff.job.finished_at_ms = 2'000;
  for (const JobRecord* r : {&old_done, &new_done, &queued, &at_cutoff}) {
    ASSERT_TRUE(journal->insert(*r, Durability::kRelaxed));
  }
  auto purged = journal->purge_finished_before(2'000);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_THAT(*purged, ::testing::UnorderedElementsAre(id_for(1), id_for(4)));
  EXPECT_FALSE(*journal->find(id_for(1)));
  EXPECT_TRUE(*journal->find(id_for(2)));
  EXPECT_TRUE(*journal->find(id_for(3)));
  auto events = journal->events(id_for(1), 0);
  ASSERT_FALSE(events.has_value());
  EXPECT_EQ(events.error().code, ErrorCode::kNotFound);
  // Updating a purged job is an error, not a resurrection.
  old_done.version = 9;
  auto gone = journal->update(old_done, Durability::kRelaxed);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST(JobJournal, InsertingAnIdTwiceIsRefused) {
  ScratchDir dir;
  auto journal = open_ok(dir.path());
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->insert(make_record(id_for(1)), Durability::kSynced));
  auto again = journal->insert(make_record(id_for(1)), Durability::kSynced);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  // The failed transaction was rolled back: the journal still works.
  EXPECT_TRUE(journal->insert(make_record(id_for(2)), Durability::kSynced));
}

TEST(JobJournal, ABatchOfInsertsCommitsTogetherAndABadRecordFailsAlone) {
  ScratchDir dir;
  {
    auto journal = open_ok(dir.path());
    ASSERT_TRUE(journal);
    ASSERT_TRUE(journal->insert(make_record(id_for(2)), Durability::kSynced));
    auto results = journal->insert_batch(
        {make_record(id_for(1)), make_record(id_for(2)), make_record(id_for(3))},
        Durability::kSynced);
    ASSERT_EQ(results.size(), 3u);
    ASSERT_TRUE(results[0].has_value()) << results[0].error().message;
    EXPECT_EQ(results[0]->job_id, id_for(1));
    EXPECT_EQ(results[0]->seq, 1u);
    ASSERT_FALSE(results[1].has_value());
    EXPECT_EQ(results[1].error().code, ErrorCode::kAlreadyExists);
    ASSERT_TRUE(results[2].has_value()) << results[2].error().message;
  }
  auto journal = open_ok(dir.path());
  ASSERT_TRUE(journal);
  auto unfinished = journal->unfinished();
  ASSERT_TRUE(unfinished.has_value());
  std::vector<std::string> ids;
  for (const JobRecord& r : *unfinished) ids.push_back(r.job.id);
  EXPECT_THAT(ids, ElementsAre(id_for(2), id_for(1), id_for(3)));
  auto events = journal->events(id_for(2), 0);
  ASSERT_TRUE(events.has_value());
  EXPECT_THAT(seqs(*events), ElementsAre(1u)) << "the refused duplicate left no event";
}

TEST(JobJournal, CreatesTheStateDirectoryOwnerOnlyWithAVersionedWalDatabase) {
  ScratchDir dir;
  const auto state = dir.path() / "nested" / "state";
  {
    auto journal = open_ok(state);
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->path(), state / "jobs.db");
  }
  struct stat info {};
  ASSERT_EQ(::stat(state.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((state / "jobs.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  const auto pragma = [db](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return value;
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma("PRAGMA user_version"), std::to_string(JobJournal::kSchemaVersion));
  sqlite3_close(db);
}

TEST(JobJournal, ASecondOpenOfTheSameDirectoryIsRefusedUntilTheFirstCloses) {
  ScratchDir dir;
  auto first = open_ok(dir.path());
  ASSERT_TRUE(first);
  auto second = JobJournal::open(dir.path(), 10);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(second.error().message,
              HasSubstr("'" + (dir.path() / "jobs.db").string() + "' is in use by another"));
  first.reset();
  EXPECT_TRUE(open_ok(dir.path()));
}

TEST(JobJournal, ACorruptFileIsRefusedNamingThePath) {
  ScratchDir dir;
  std::ofstream(dir.path() / "jobs.db", std::ios::binary)
      << std::string(8192, 'x') << "this was never a database";
  auto journal = JobJournal::open(dir.path(), 10);
  ASSERT_FALSE(journal.has_value());
  EXPECT_THAT(journal.error().message, HasSubstr((dir.path() / "jobs.db").string()));
  EXPECT_THAT(journal.error().message, HasSubstr("corrupt or not a job journal"));
}

TEST(JobJournal, AForeignDatabaseOrANewerSchemaIsRefused) {
  ScratchDir dir;
  const auto path = dir.path() / "jobs.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE notes(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto foreign = JobJournal::open(dir.path(), 10);
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(foreign.error().message, HasSubstr("not a shield-mcp job journal"));

  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto newer = JobJournal::open(dir.path(), 10);
  ASSERT_FALSE(newer.has_value());
  EXPECT_EQ(newer.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(newer.error().message, HasSubstr("schema version 99, newer than this"));
  EXPECT_THAT(newer.error().message, HasSubstr(path.string()));
}

TEST(JobJournal, AStateDirectoryThatIsAFileIsRefusedNamingIt) {
  ScratchDir dir;
  const auto file = dir.path() / "not-a-dir";
  std::ofstream(file) << "x";
  auto journal = JobJournal::open(file, 10);
  ASSERT_FALSE(journal.has_value());
  EXPECT_THAT(journal.error().message,
              HasSubstr("cannot create the job state directory '" + file.string() + "'"));
}

}  // namespace
}  // namespace shield::jobs
