#pragma once
// DocumentSpool: a job's extracted documents, kept on disk until a sink has accepted them,
// so a sink outage or a crash loses no work. One JSON file per document (Document::to_json)
// in the job's directory, named <16-digit sequence>-<id>.json: written atomically (temporary
// file, fsync, rename, fsync of the directory), listed in the order they were first put,
// removed once delivered. A restarted daemon opens the same directory and finds what is left.
//
// Blocking: open(), put(), read(), remove() and quarantine() do disk I/O and block the
// calling thread. Never call them on the io_context: run them on a thread pool
// (run_blocking() in run_blocking.hpp does that from a coroutine; SinkDelivery already
// does). list() and size() only read the in-memory index, never wait for disk I/O (writers
// hold the index lock only around in-memory updates), and are fine on the event loop.
// Threading: every member is safe from any thread: a producer may put while a delivery
// lists and removes; writes are serialised among themselves. One DocumentSpool per
// directory per process: it keeps an index of the files in memory.
// Errors: kUnavailable naming the path and the system's reason; read() of a file that is
// not a document gives kInternal (quarantine() sets such a file aside).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "shield/ingest/document.hpp"
#include "shield/util/error.hpp"

namespace shield::ingest {

struct SpoolEntry {
  std::uint64_t sequence = 0;  // order of the first put
  std::string key;             // document_file_key(id): the id as it appears in the file name
  std::filesystem::path path;
  // Bumped by every put() of the key, so remove() can tell the content it delivered from
  // content put while it was being delivered.
  std::uint64_t generation = 0;
};

class DocumentSpool {
 public:
  // Opens `directory`, creating it if needed, and indexes the documents in it. Temporary
  // files a crash left behind are deleted.
  [[nodiscard]] static Result<std::unique_ptr<DocumentSpool>> open(std::filesystem::path directory);

  // Stores `document` durably. An empty id is filled with document_id(source). A document
  // whose id is already spooled replaces that file and keeps its place in the order (a
  // resumed crawl that extracts a page again does not deliver it twice).
  Result<SpoolEntry> put(Document document);
  // What is spooled, oldest first.
  [[nodiscard]] std::vector<SpoolEntry> list() const;
  [[nodiscard]] Result<Document> read(const SpoolEntry& entry) const;
  // Deletes delivered documents (files already gone are fine) and flushes the directory. An
  // entry put() again since it was listed stays: its new content has not been delivered.
  Result<void> remove(const std::vector<SpoolEntry>& entries);
  // Renames an unreadable file to <name>.corrupt, out of the order but kept for a person
  // (unless it was put() again since it was listed).
  Result<void> quarantine(const SpoolEntry& entry);

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }

 private:
  explicit DocumentSpool(std::filesystem::path directory);

  // True when `entry` is still the spooled version of its key.
  [[nodiscard]] bool is_current(const SpoolEntry& entry) const;
  void forget(const SpoolEntry& entry);

  std::filesystem::path directory_;
  std::mutex io_mutex_;  // serialises put, remove and quarantine (held across their disk I/O)
  mutable std::mutex index_mutex_;  // guards by_key_ (never held across disk I/O)
  std::map<std::string, SpoolEntry> by_key_;
  std::uint64_t next_sequence_ = 1;    // guarded by io_mutex_
  std::uint64_t last_generation_ = 0;  // guarded by io_mutex_
};

}  // namespace shield::ingest
