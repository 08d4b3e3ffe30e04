#include "shield/ingest/ingest_runner.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "durable_file.hpp"
#include "markdown_blocks.hpp"
#include "shield/ingest/document.hpp"
#include "shield/ingest/document_id.hpp"
#include "shield/ingest/document_spool.hpp"
#include "shield/ingest/document_type.hpp"
#include "shield/ingest/run_blocking.hpp"
#include "shield/ingest/text_decoding.hpp"
#include "shield/util/base64.hpp"

namespace shield::ingest {
namespace {

namespace fs = std::filesystem;
using jobs::JobContext;

// Written once every document of the job is in the spool: its presence tells a resumed run
// that extraction is done, and keeps what the result reports about it.
constexpr std::string_view kMarkerName = "extracted.json";
constexpr std::string_view kSpoolName = "documents";
constexpr std::size_t kMaxFilenameBytes = 255;

struct IngestInput {
  fs::path upload;                         // a stored upload, or empty with inline_data
  std::optional<std::string> inline_data;  // a small document carried in the input
  std::string filename;  // the last component of what the caller sent; may be empty
  std::optional<DocumentType> doc_type;
  Json metadata = Json::object();
};

// What extraction leaves behind, as the marker keeps it.
struct Extracted {
  std::size_t documents = 0;
  std::string type;
  std::vector<std::string> warnings;

  [[nodiscard]] Json to_json() const {
    return Json{{"documents", documents}, {"type", type}, {"warnings", warnings}};
  }
  static std::optional<Extracted> from_json(const Json& json) {
    if (!json.is_object()) return std::nullopt;
    const auto documents = json.find("documents");
    const auto type = json.find("type");
    const auto warnings = json.find("warnings");
    if (documents == json.end() || !documents->is_number_unsigned() || type == json.end() ||
        !type->is_string() || warnings == json.end() || !warnings->is_array()) {
      return std::nullopt;
    }
    Extracted out;
    out.documents = documents->get<std::size_t>();
    out.type = type->get<std::string>();
    for (const auto& warning : *warnings) {
      if (warning.is_string()) out.warnings.push_back(warning.get<std::string>());
    }
    return out;
  }
};

tl::unexpected<Error> invalid(std::string message) {
  return fail(ErrorCode::kInvalidArgument, std::move(message));
}

Result<std::string> parse_filename(const Json& input) {
  const auto found = input.find("filename");
  if (found == input.end() || found->is_null()) return std::string();
  if (!found->is_string()) return invalid("filename must be a string");
  std::string name = found->get<std::string>();
  // Only a label: a directory part the client's path carried means nothing here.
  if (const std::size_t slash = name.find_last_of("/\\"); slash != std::string::npos) {
    name.erase(0, slash + 1);
  }
  if (name.size() > kMaxFilenameBytes) {
    return invalid(fmt::format("filename is {} bytes long; at most {} are allowed", name.size(),
                               kMaxFilenameBytes));
  }
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return invalid("filename must not contain control characters");
  }
  return name;
}

Result<IngestInput> parse_input(const Json& input, const UploadStore& uploads) {
  if (!input.is_object()) return invalid("the ingest job's input must be a JSON object");
  IngestInput out;

  const auto source = input.find("source");
  if (source == input.end() || !source->is_object() || source->size() != 1) {
    return invalid(
        "source must be an object with exactly one key: upload (a stored upload's path) or "
        "inline (the document's bytes, Base64)");
  }
  const auto first = source->begin();
  const std::string kind = first.key();
  const Json& where = first.value();
  if (kind == "path" || kind == "url") {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("ingesting from a {} is not available yet in this build; upload "
                            "the document instead",
                            kind));
  }
  if (kind == "inline") {
    if (!where.is_string()) return invalid("source.inline must be a string (Base64)");
    out.inline_data = decode_base64_strict(where.get_ref<const std::string&>());
    if (!out.inline_data) return invalid("source.inline is not valid Base64");
    if (out.inline_data->size() > uploads.max_upload_bytes()) {
      return invalid(
          fmt::format("source.inline holds {} bytes, more than the limit of {} bytes "
                      "(jobs.max_upload_bytes)",
                      out.inline_data->size(), uploads.max_upload_bytes()));
    }
  } else if (kind == "upload") {
    if (!where.is_string()) return invalid("source.upload must be a string (a path)");
    out.upload = where.get<std::string>();
    if (!uploads.owns(out.upload)) {
      return invalid(fmt::format("source.upload '{}' is not an upload stored in {}",
                                 out.upload.string(), uploads.directory().string()));
    }
  } else {
    return invalid(
        fmt::format("source.{} is not a known source; use source.upload or source.inline", kind));
  }

  auto filename = parse_filename(input);
  if (!filename) return tl::unexpected(filename.error());
  out.filename = std::move(*filename);

  if (const auto doc_type = input.find("doc_type");
      doc_type != input.end() && !doc_type->is_null()) {
    const std::string text =
        doc_type->is_string() ? doc_type->get<std::string>() : doc_type->dump();
    if (text != "auto") {
      out.doc_type = parse_document_type(text);
      if (!out.doc_type) {
        return invalid(fmt::format("doc_type must be one of auto, pdf, docx, txt, md, html; got {}",
                                   doc_type->is_string() ? fmt::format("'{}'", text) : text));
      }
    }
  }

  if (const auto metadata = input.find("metadata");
      metadata != input.end() && !metadata->is_null()) {
    if (!metadata->is_object()) return invalid("metadata must be a JSON object");
    out.metadata = *metadata;
  }
  return out;
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\n\v\f\r") == std::string_view::npos;
}

// A YAML front matter's `title:`, else the first heading outside fenced code.
std::string markdown_title(std::string_view markdown) {
  if (markdown.starts_with("---\n")) {
    const std::size_t end = markdown.find("\n---", 3);
    if (end != std::string_view::npos) {
      std::string_view front = markdown.substr(4, end - 3);
      while (!front.empty()) {
        const std::size_t newline = front.find('\n');
        std::string_view line = front.substr(0, newline);
        front = newline == std::string_view::npos ? std::string_view() : front.substr(newline + 1);
        if (!line.starts_with("title:")) continue;
        line.remove_prefix(6);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
          line.remove_prefix(1);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        if (line.size() >= 2 && (line.front() == '"' || line.front() == '\'') &&
            line.back() == line.front()) {
          line = line.substr(1, line.size() - 2);
        }
        if (!line.empty()) return std::string(line);
      }
      // The heading search starts after the front matter, whose closing "---" could
      // otherwise read as a setext underline.
      const std::size_t body = markdown.find('\n', end + 1);
      markdown = body == std::string_view::npos ? std::string_view() : markdown.substr(body + 1);
    }
  }
  for (const auto& block : detail::parse_markdown_blocks(markdown)) {
    if (block.kind == detail::BlockKind::kHeading && !is_blank(block.heading)) return block.heading;
  }
  return {};
}

// The CPU part of a job: bytes in, documents out. Runs on the blocking pool.
Result<std::pair<std::vector<Document>, Extracted>> extract(std::string_view data,
                                                            const IngestInput& input,
                                                            const std::string& job_id) {
  const std::string label = input.filename.empty() ? std::string("the upload") : input.filename;
  auto type = detect_document_type(data, input.filename, input.doc_type);
  if (!type) return tl::unexpected(type.error());
  if (*type == DocumentType::kPdf || *type == DocumentType::kDocx || *type == DocumentType::kHtml) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("{} extraction is not available yet in this build, so {} cannot be "
                            "ingested; plain text and Markdown can",
                            display_name(*type), label));
  }
  DecodedText decoded = decode_text(data, label);
  if (is_blank(decoded.text)) {
    return invalid(fmt::format("empty document: {} holds only whitespace", label));
  }

  Document document;
  document.source = "upload:" + (!input.filename.empty() ? input.filename
                                 : !input.upload.empty() ? input.upload.filename().string()
                                                         : std::string("document"));
  document.id = document_id(document.source);
  if (*type == DocumentType::kMarkdown) document.title = markdown_title(decoded.text);
  if (document.title.empty()) document.title = input.filename.empty() ? "Upload" : input.filename;
  document.content_type = std::string(content_type_of(*type));
  document.job_id = job_id;
  // The caller's metadata first; what the extractor knows about the source wins a clash.
  document.metadata = input.metadata;
  document.metadata["source_kind"] = "upload";
  document.metadata["filename"] = input.filename;
  document.metadata["doc_type"] = std::string(to_string(*type));
  document.metadata["charset"] = decoded.charset;
  document.metadata["bytes"] = data.size();
  document.markdown = std::move(decoded.text);

  Extracted extracted;
  extracted.documents = 1;
  extracted.type = std::string(to_string(*type));
  extracted.warnings = std::move(decoded.warnings);
  std::vector<Document> documents;
  documents.push_back(std::move(document));
  return std::make_pair(std::move(documents), std::move(extracted));
}

Result<std::string> read_upload(const fs::path& path, std::size_t max_bytes) {
  std::error_code error;
  const auto status = fs::status(path, error);
  if (error || !fs::exists(status)) {
    if (error && error != std::errc::no_such_file_or_directory) {
      return fail(ErrorCode::kUnavailable,
                  fmt::format("could not read the upload {}: {}", path.string(), error.message()));
    }
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("the upload {} no longer exists (uploads are removed once extracted "
                            "or when their job fails for good); upload the document again",
                            path.string()));
  }
  if (!fs::is_regular_file(status)) {
    return invalid(fmt::format("the upload {} is not a regular file", path.string()));
  }
  const auto size = fs::file_size(path, error);
  if (!error && size > max_bytes) {
    return invalid(
        fmt::format("the upload {} is {} bytes, more than the limit of {} bytes "
                    "(jobs.max_upload_bytes)",
                    path.string(), size, max_bytes));
  }
  return detail::read_whole_file(path);
}

// The state of one run of one job.
class IngestRun {
 public:
  IngestRun(const IngestRunnerDependencies& dependencies, JobContext context)
      : delivery_(*dependencies.delivery),
        uploads_(*dependencies.uploads),
        blocking_(dependencies.blocking),
        context_(std::move(context)) {}

  boost::asio::awaitable<Result<Json>> run() {
    auto input = parse_input(context_.job.input, uploads_);
    if (input) {
      input_ = std::move(*input);
    } else {
      // An upload named by a job that can never run is dead weight: remove it.
      if (auto upload = upload_of(context_.job.input); upload && uploads_.owns(*upload)) {
        input_.upload = *upload;
      }
      co_await release_upload(input.error().code);
      co_return tl::unexpected(std::move(input.error()));
    }
    auto outcome = co_await steps();
    if (!outcome) co_await release_upload(outcome.error().code);
    co_return outcome;
  }

 private:
  boost::asio::awaitable<Result<Json>> steps() {
    if (context_.cancel.cancelled()) co_return cancelled();
    const fs::path spool_dir = context_.work_dir / kSpoolName;
    // Each blocking call is made into a named awaitable first: GCC 12 mishandles
    // temporaries with destructors (the executor copy) inside a co_await expression.
    auto opening = run_blocking(blocking_, [&spool_dir] { return DocumentSpool::open(spool_dir); });
    auto spool = co_await std::move(opening);
    if (!spool) co_return tl::unexpected(std::move(spool.error()));
    spool_ = std::move(*spool);

    // Only a resumed run can find its own earlier work in work_dir.
    std::optional<Extracted> marker;
    if (context_.resumed) {
      auto reading = run_blocking(blocking_, [this] { return read_marker(); });
      auto read = co_await std::move(reading);
      if (!read) co_return tl::unexpected(std::move(read.error()));
      marker = std::move(*read);
    }
    if (marker) {
      extracted_ = std::move(*marker);
    } else {
      auto done = co_await extract_into_spool();
      if (!done) co_return tl::unexpected(std::move(done.error()));
    }
    extraction_done_ = true;
    // The documents are durable in the spool now; the upload has served its purpose (a
    // resumed run whose earlier run died right here removes it now).
    co_await remove_upload();

    if (context_.cancel.cancelled()) co_return cancelled();
    const std::size_t waiting = spool_->size();
    delivered_ = extracted_.documents > waiting ? extracted_.documents - waiting : 0;
    report_progress("delivering", fmt::format("delivering {} document(s) to sink '{}'", waiting,
                                              delivery_.sink().name()));
    std::vector<std::string> remote_job_ids = context_.job.remote_job_ids;
    SinkDelivery::OnAccepted accepted = [this](const SinkReceipt& receipt) {
      on_accepted(receipt);
    };
    auto delivering = delivery_.deliver(*spool_, blocking_, context_.cancel, std::move(accepted));
    auto report = co_await std::move(delivering);
    if (!report) co_return tl::unexpected(std::move(report.error()));

    for (auto& id : report->remote_job_ids) {
      if (std::find(remote_job_ids.begin(), remote_job_ids.end(), id) == remote_job_ids.end()) {
        remote_job_ids.push_back(std::move(id));
      }
    }
    std::vector<std::string> warnings = extracted_.warnings;
    warnings.insert(warnings.end(), warnings_.begin(), warnings_.end());
    if (report->quarantined > 0) {
      warnings.push_back(
          fmt::format("{} spooled document(s) could not be read and were set "
                      "aside as <name>.corrupt in {}",
                      report->quarantined, spool_->directory().string()));
    }
    Json result{{"documents", extracted_.documents},
                {"delivered", delivered_},
                {"remote_job_ids", std::move(remote_job_ids)},
                {"warnings", std::move(warnings)},
                {"sink", std::string(delivery_.sink().name())},
                {"type", extracted_.type}};
    if (chunks_) result["chunks"] = *chunks_;
    co_return result;
  }

  boost::asio::awaitable<Result<void>> extract_into_spool() {
    report_progress("extracting", input_.filename.empty()
                                      ? std::string("extracting the upload")
                                      : fmt::format("extracting {}", input_.filename));
    const std::size_t max_bytes = uploads_.max_upload_bytes();
    Result<std::string> data = std::string();
    if (input_.inline_data) {
      data = *input_.inline_data;
    } else {
      auto reading = run_blocking(
          blocking_, [this, max_bytes] { return read_upload(input_.upload, max_bytes); });
      data = co_await std::move(reading);
    }
    if (!data) co_return tl::unexpected(std::move(data.error()));
    if (context_.cancel.cancelled()) co_return cancelled();

    auto storing = run_blocking(blocking_, [this, &data]() -> Result<void> {
      auto extraction = extract(*data, input_, context_.job.id);
      if (!extraction) return tl::unexpected(std::move(extraction.error()));
      for (auto& document : extraction->first) {
        if (auto put = spool_->put(std::move(document)); !put) return tl::unexpected(put.error());
      }
      extracted_ = std::move(extraction->second);
      const std::string marker = extracted_.to_json().dump();
      return detail::write_file_atomically(context_.work_dir / kMarkerName, marker);
    });
    auto stored = co_await std::move(storing);
    if (!stored) co_return tl::unexpected(std::move(stored.error()));
    co_return Result<void>();
  }

  Result<std::optional<Extracted>> read_marker() const {
    const fs::path path = context_.work_dir / kMarkerName;
    std::error_code error;
    if (!fs::exists(path, error)) return std::optional<Extracted>();
    auto text = detail::read_whole_file(path);
    if (!text) return tl::unexpected(text.error());
    auto extracted = Extracted::from_json(Json::parse(*text, nullptr, false));
    // Written atomically, so only tampering gets here; extracting again is always safe.
    if (!extracted) return std::optional<Extracted>();
    return extracted;
  }

  void on_accepted(const SinkReceipt& receipt) {
    if (context_.add_remote_job) {
      for (const auto& id : receipt.remote_job_ids) context_.add_remote_job(id);
    }
    delivered_ += receipt.accepted;
    if (const auto chunks = receipt.details.find("chunks"); chunks != receipt.details.end() &&
                                                            chunks->is_number_integer() &&
                                                            chunks->get<std::int64_t>() >= 0) {
      chunks_ = chunks_.value_or(0) + chunks->get<std::size_t>();
    }
    report_progress("delivering",
                    fmt::format("{} of {} document(s) delivered to sink '{}'", delivered_,
                                extracted_.documents, delivery_.sink().name()));
  }

  void report_progress(std::string_view phase, std::string message) const {
    if (!context_.progress) return;
    context_.progress(Json{{"phase", phase},
                           {"documents", extracted_.documents},
                           {"delivered", delivered_},
                           {"message", std::move(message)}});
  }

  // After a failure: removes the upload unless a later run may still need it.
  boost::asio::awaitable<void> release_upload(ErrorCode code) {
    if (extraction_done_ || input_.upload.empty()) co_return;
    bool keep = false;
    if (code == ErrorCode::kCancelled) {
      keep = context_.cancel.cancelled() && context_.cancel.reason() == jobs::kShutdownReason;
    } else {
      keep = code != ErrorCode::kInvalidArgument && code != ErrorCode::kFailedPrecondition;
    }
    if (!keep) co_await remove_upload();
  }

  boost::asio::awaitable<void> remove_upload() {
    if (input_.upload.empty()) co_return;
    auto removing = uploads_.remove(input_.upload);
    auto removed = co_await std::move(removing);
    if (!removed) warnings_.push_back(removed.error().message);
  }

  tl::unexpected<Error> cancelled() const {
    return fail(ErrorCode::kCancelled,
                fmt::format("ingest job cancelled ({})", context_.cancel.reason()));
  }

  SinkDelivery& delivery_;
  UploadStore& uploads_;
  boost::asio::any_io_executor blocking_;
  JobContext context_;
  IngestInput input_;
  std::unique_ptr<DocumentSpool> spool_;
  Extracted extracted_;
  bool extraction_done_ = false;
  std::size_t delivered_ = 0;
  std::optional<std::size_t> chunks_;
  std::vector<std::string> warnings_;
};

// A coroutine function, not a capturing coroutine lambda: its parameters live in the
// frame, whatever happens to the std::function that started it.
boost::asio::awaitable<Result<Json>> run_ingest_job(IngestRunnerDependencies dependencies,
                                                    JobContext context) {
  IngestRun run(dependencies, std::move(context));
  auto outcome = co_await run.run();
  co_return outcome;
}

}  // namespace

Result<jobs::JobRunner> make_ingest_runner(IngestRunnerDependencies dependencies) {
  if (dependencies.delivery == nullptr) {
    return invalid("the ingest runner needs a SinkDelivery");
  }
  if (dependencies.uploads == nullptr) return invalid("the ingest runner needs an UploadStore");
  if (!dependencies.blocking) {
    return invalid("the ingest runner needs a blocking executor (a thread pool)");
  }
  return jobs::JobRunner([dependencies](JobContext context) {
    return run_ingest_job(dependencies, std::move(context));
  });
}

std::optional<fs::path> upload_of(const jobs::Json& input) {
  if (!input.is_object()) return std::nullopt;
  const auto source = input.find("source");
  if (source == input.end() || !source->is_object()) return std::nullopt;
  const auto upload = source->find("upload");
  if (upload == source->end() || !upload->is_string()) return std::nullopt;
  return fs::path(upload->get<std::string>());
}

}  // namespace shield::ingest
