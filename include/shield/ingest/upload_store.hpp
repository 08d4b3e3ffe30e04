#pragma once
// UploadStore: keeps an uploaded document (POST /ingest, ingest_doc's content_base64) on disk
// until its ingest job no longer needs it, so an accepted upload survives a crash before
// the job has extracted it.
//
// Layout: <state_dir>/uploads/<32 hex characters>, random names (nothing of the client's
// file name reaches the file system). The directory is owner-only (0700): uploads may be
// private. A file appears whole or not at all (temporary file, fsync, rename, fsync of the
// directory: detail::write_file_atomically).
//
// Life cycle, as the daemon wires it:
//   1. at start, before POST /ingest takes requests: sweep(paths of the uploads that the
//      journal's jobs still reference) deletes what no job needs (a job purged by retention,
//      an upload whose submit never committed, a temporary file a crash left);
//   2. the upload acceptor: store() → engine.submit(kIngest, {"source": {"upload": path},
//      ...}); when the submit fails, remove(path);
//   3. the ingest runner removes the file once its documents are safely in the job's spool,
//      or when the job ends in a way a retry cannot mend (see ingest_runner.hpp).
//
// Threading: every member may be called from any thread; the disk I/O runs on `blocking`
// (a thread pool), never on the awaiting coroutine's io_context.
// Errors: kInvalidArgument for an upload over max_upload_bytes (naming both sizes and the
// key jobs.max_upload_bytes) and for a path outside the uploads directory; kUnavailable
// naming the path and the system's reason for disk trouble.
#include <cstddef>
#include <filesystem>
#include <set>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "shield/config/config.hpp"
#include "shield/ingest/document.hpp"
#include "shield/util/error.hpp"

namespace shield::ingest {

// Uploads up to this size go inside their job's input instead of a file: the accept path is
// then one group-committed journal write. Large enough for most text documents, small enough
// that the journal stays small.
inline constexpr std::size_t kInlineUploadMaxBytes = std::size_t{64} * 1024;

struct UploadStoreOptions {
  std::filesystem::path state_dir;  // uploads go to <state_dir>/uploads
  std::size_t max_upload_bytes = std::size_t{100} * 1024 * 1024;

  [[nodiscard]] static UploadStoreOptions from(const config::JobsConfig& jobs);
};

class UploadStore {
 public:
  // Creates nothing yet: the directory is made by the first store() or sweep().
  UploadStore(UploadStoreOptions options, boost::asio::any_io_executor blocking);

  // Writes `data` durably and resolves to its path. `data` must stay valid until this
  // resolves.
  boost::asio::awaitable<Result<std::filesystem::path>> store(std::string_view data);

  // Keeps `data` for an ingest job and resolves to the job input's "source": documents up to
  // kInlineUploadMaxBytes travel inside the job ({"inline": Base64}, made durable by the
  // journal's commit of the job: no file, no fsync of its own, no disk thread), larger ones
  // are store()d ({"upload": path}). The same size check as store().
  boost::asio::awaitable<Result<Json>> keep(std::string_view data);

  // Deletes an upload (one already gone is fine) and flushes the directory.
  boost::asio::awaitable<Result<void>> remove(std::filesystem::path path);

  // Deletes every file in the uploads directory whose path is not in `referenced`; resolves
  // to how many it deleted. Run it before uploads are accepted: a concurrent store()'s file
  // is not referenced yet.
  boost::asio::awaitable<Result<std::size_t>> sweep(std::set<std::filesystem::path> referenced);

  // True when `path` names a file this store could have made: a random name directly in
  // the uploads directory. Job input is checked with it, so an ingest job cannot be pointed
  // at (or delete) any other file. Pure; no disk access.
  [[nodiscard]] bool owns(const std::filesystem::path& path) const;

  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }
  [[nodiscard]] std::size_t max_upload_bytes() const { return options_.max_upload_bytes; }

 private:
  Result<std::filesystem::path> store_blocking(std::string_view data) const;
  Result<void> remove_blocking(const std::filesystem::path& path) const;
  Result<std::size_t> sweep_blocking(const std::set<std::filesystem::path>& referenced) const;
  Result<void> ensure_directory() const;

  UploadStoreOptions options_;
  std::filesystem::path directory_;
  boost::asio::any_io_executor blocking_;
};

}  // namespace shield::ingest
