#pragma once
// DirectorySink: writes each document as <directory>/<document_file_key(id)>.md — YAML front
// matter (id, source, title, content_type, job_id, metadata; every value written as JSON,
// which YAML 1.2 reads as is) then the Markdown — and appends one JSON line per document to
// <directory>/manifest.jsonl: {id, file, source, title, content_type, job_id, bytes,
// written_at, metadata}. For offline use and debugging.
//
// Files appear atomically (temporary file, fsync, rename). Delivering a document again
// replaces its file and appends another manifest line: the last line of an id is current.
// The manifest lines of a batch go out in one append after all its files are written, so a
// failed batch adds no line.
//
// Threading: deliver() may run concurrently; the disk work runs on `blocking` (a thread
// pool), never on the awaiting coroutine's io_context.
// Errors: disk trouble is backend_unavailable with backend "directory", naming the path.
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "shield/ingest/sink.hpp"
#include "shield/util/clock.hpp"

namespace shield::ingest {

class DirectorySink final : public Sink {
 public:
  // `clock` (for written_at) must outlive the sink.
  DirectorySink(std::filesystem::path directory, boost::asio::any_io_executor blocking,
                const Clock& clock);

  [[nodiscard]] std::string_view name() const override { return "directory"; }
  boost::asio::awaitable<backend::CallResult<SinkReceipt>> deliver(
      std::vector<Document> documents, CancellationToken cancel) override;
  // No remote jobs: {remote_job_id, state: "done", detail: {}}.
  boost::asio::awaitable<backend::CallResult<Json>> remote_status(
      std::string remote_job_id, CancellationToken cancel) override;

  // Pure shaping, exposed for tests.
  [[nodiscard]] static std::string markdown_file(const Document& document);
  [[nodiscard]] static std::string file_name(const Document& document);

  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }

 private:
  backend::CallResult<SinkReceipt> write(const std::vector<Document>& documents) const;

  std::filesystem::path directory_;
  boost::asio::any_io_executor blocking_;
  const Clock& clock_;
};

}  // namespace shield::ingest
