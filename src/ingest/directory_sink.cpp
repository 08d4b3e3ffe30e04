#include "shield/ingest/directory_sink.hpp"

#include <utility>

#include <fmt/format.h>

#include "durable_file.hpp"
#include "shield/ingest/document_id.hpp"
#include "shield/ingest/run_blocking.hpp"
#include "shield/util/rfc3339.hpp"
#include "sink_text.hpp"

namespace shield::ingest {
namespace {

constexpr std::string_view kManifest = "manifest.jsonl";

std::string as_json(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

DirectorySink::DirectorySink(std::filesystem::path directory, boost::asio::any_io_executor blocking,
                             const Clock& clock)
    : directory_(std::move(directory)), blocking_(std::move(blocking)), clock_(clock) {}

std::string DirectorySink::file_name(const Document& document) {
  return document_file_key(document.id.empty() ? document_id(document.source) : document.id) +
         ".md";
}

std::string DirectorySink::markdown_file(const Document& document) {
  std::string out = "---\n";
  // JSON scalars and objects are valid YAML, and JSON escaping keeps a title with a colon,
  // a quote or a line break from breaking the front matter.
  out += "id: " + as_json(document.id) + "\n";
  out += "source: " + as_json(document.source) + "\n";
  out += "title: " + as_json(document.title) + "\n";
  out += "content_type: " + as_json(document.content_type) + "\n";
  out += "job_id: " + as_json(document.job_id) + "\n";
  out +=
      "metadata: " + as_json(document.metadata.is_object() ? document.metadata : Json::object()) +
      "\n";
  out += "---\n\n";
  out += document.markdown;
  if (out.back() != '\n') out += '\n';
  return out;
}

backend::CallResult<SinkReceipt> DirectorySink::write(
    const std::vector<Document>& documents) const {
  const auto failure = [&](const Error& error) {
    backend::BackendError out;
    out.code = backend::BackendErrorCode::kUnavailable;
    out.backend = "directory";
    out.base_url = directory_.string();
    out.message = fmt::format("the directory sink could not write to {}: {}", directory_.string(),
                              error.message);
    out.detail = error.message;
    return tl::unexpected(std::move(out));
  };
  if (auto made = detail::ensure_directory(directory_); !made) return failure(made.error());
  std::string manifest;
  Json files = Json::array();
  const std::string written_at = format_rfc3339_utc(clock_.unix_millis());
  for (const auto& document : documents) {
    const std::string name = file_name(document);
    const std::string content = markdown_file(document);
    if (auto written = detail::write_file_atomically(directory_ / name, content); !written) {
      return failure(written.error());
    }
    files.push_back(name);
    manifest += as_json(Json{{"id", document.id},
                             {"file", name},
                             {"source", document.source},
                             {"title", document.title},
                             {"content_type", document.content_type},
                             {"job_id", document.job_id},
                             {"bytes", content.size()},
                             {"written_at", written_at},
                             {"metadata", document.metadata}});
    manifest += '\n';
  }
  if (!manifest.empty()) {
    if (auto appended = detail::append_durably(directory_ / kManifest, manifest); !appended) {
      return failure(appended.error());
    }
  }
  SinkReceipt receipt;
  receipt.accepted = documents.size();
  receipt.details = Json{{"directory", directory_.string()}, {"files", std::move(files)}};
  return receipt;
}

boost::asio::awaitable<backend::CallResult<SinkReceipt>> DirectorySink::deliver(
    std::vector<Document> documents, CancellationToken cancel) {
  if (cancel.cancelled()) {
    backend::BackendError error;
    error.code = backend::BackendErrorCode::kCancelled;
    error.backend = "directory";
    error.base_url = directory_.string();
    error.message = "cancelled";
    co_return tl::unexpected(std::move(error));
  }
  // By reference: `documents` lives in this frame until the write is done. (Moving this
  // coroutine's parameter into an init-capture inside the co_await expression crashes when
  // built with GCC 12: the vector is destroyed from a corrupt state.)
  co_return co_await run_blocking(blocking_, [this, &documents] { return write(documents); });
}

boost::asio::awaitable<backend::CallResult<Json>> DirectorySink::remote_status(
    std::string remote_job_id, CancellationToken /*cancel*/) {
  co_return Json{
      {"remote_job_id", std::move(remote_job_id)}, {"state", "done"}, {"detail", Json::object()}};
}

}  // namespace shield::ingest
