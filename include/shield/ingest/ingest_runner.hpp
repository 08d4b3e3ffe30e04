#pragma once
// The runner of JobKind::kIngest jobs: reads the uploaded document, detects its type,
// extracts it into Documents, keeps them in the job's DocumentSpool and delivers them to
// the configured sink.
//
// Job input (what the upload acceptor and ingest_doc submit):
//   {
//     "source":   {"upload": "<absolute path made by UploadStore::store()>"}
//                 or {"inline": "<the document, Base64>"} (UploadStore::keep() for small
//                 documents),
//                 (issue 6 adds {"path": ...} and {"url": ...}; exactly one key)
//     "filename": "report.md",   optional: labels the document (title, source, extension)
//     "doc_type": "auto",        optional: auto | pdf | docx | txt | md | html
//     "metadata": {...}          optional object, attached to every document
//   }
// Result (the job's summary once it succeeds):
//   {"documents": n, "delivered": k, "remote_job_ids": [...], "warnings": [...],
//    "sink": "<sink name>", "type": "md", "chunks": c (only when the sink reported chunks)}
// Progress: {"phase": "extracting" | "delivering", "documents": n, "delivered": k,
//            "message": "..."}.
//
// Steps and durability:
//   1. validate the input (kInvalidArgument naming the field);
//   2. read the upload off the event loop, detect its type (document_type.hpp), extract:
//      txt and md for now (decode_text: UTF-8, UTF-16 with a BOM, else Latin-1 with a
//      warning); pdf, docx and html fail with kFailedPrecondition "... extraction is not
//      available yet in this build"; an empty or whitespace-only document fails with
//      kInvalidArgument "empty document";
//   3. put the documents in <work_dir>/documents (DocumentSpool), then write
//      <work_dir>/extracted.json (the marker: count, type, warnings). From here the upload is
//      no longer needed and is removed;
//   4. deliver with SinkDelivery, journaling every remote job id through add_remote_job.
// Resume (context.resumed): with the marker present, extraction is skipped and only what is
// left in the spool is delivered (nothing left: the job succeeds without redelivering);
// without it, extraction runs again (spool puts replace by document id, so nothing doubles).
// Cancellation is checked between steps and reaches the delivery: kCancelled.
//
// The upload file is removed once the marker is written, and otherwise when the job ends in
// a way a retry cannot mend: a kInvalidArgument or kFailedPrecondition failure, or a cancel
// by a person. It is kept after a shutdown (reason "shutdown": the job resumes) and after a
// transient failure before extraction finished (kUnavailable, kInternal: a retry reads it
// again). Failing to remove it only adds a warning.
//
// Threading: the runner may run several jobs at once; disk I/O and extraction run on
// `blocking`. Ownership: `delivery` and `uploads` must outlive every job the runner runs.
#include <filesystem>
#include <optional>

#include <boost/asio/any_io_executor.hpp>

#include "shield/ingest/sink_delivery.hpp"
#include "shield/ingest/upload_store.hpp"
#include "shield/jobs/job_engine.hpp"

namespace shield::ingest {

struct IngestRunnerDependencies {
  SinkDelivery* delivery = nullptr;       // to the configured sink; required
  UploadStore* uploads = nullptr;         // required
  boost::asio::any_io_executor blocking;  // a thread pool's executor; required
};

// kInvalidArgument when a dependency is missing (a wiring mistake, found at start-up).
[[nodiscard]] Result<jobs::JobRunner> make_ingest_runner(IngestRunnerDependencies dependencies);

// The upload an ingest job's input refers to, if any: for the daemon's start-up sweep,
// which keeps the uploads of the jobs the journal still holds.
[[nodiscard]] std::optional<std::filesystem::path> upload_of(const jobs::Json& input);

}  // namespace shield::ingest
