// The ingest runner on real files: uploads in a real UploadStore, documents in a real
// DocumentSpool, delivered to the directory sink or to a scripted one that fails on demand.
// Time is a ManualClock that the delivery's pauses move forward, so nothing sleeps.
#include "shield/ingest/ingest_runner.hpp"

#include <mutex>

#include <gtest/gtest.h>

#include "shield/ingest/directory_sink.hpp"
#include "shield/ingest/document_id.hpp"
#include "shield/util/base64.hpp"
#include "unit/ingest/ingest_test_support.hpp"
#include "unit/jobs/job_test_support.hpp"

namespace shield::ingest {
namespace {

using backend::BackendErrorCode;
using testing::file_names;
using testing::read_text;
using testing::ScriptedSink;
using testing::sink_error;
using testing::TempDir;
using namespace std::chrono_literals;

boost::asio::awaitable<bool> jump_clock(ManualClock* clock, Clock::Duration delay,
                                        CancellationToken cancel) {
  if (cancel.cancelled()) co_return false;
  clock->advance(delay);
  co_return !cancel.cancelled();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

backend::CallResult<SinkReceipt> unavailable(const std::vector<Document>&, std::size_t) {
  return tl::unexpected(sink_error(BackendErrorCode::kUnavailable, "the sink is down"));
}

class IngestRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UploadStoreOptions options;
    options.state_dir = dir_.path() / "state";
    options.max_upload_bytes = 4096;
    uploads_ = std::make_unique<UploadStore>(options, loop_.blocking());
    delivery_options_.batch_documents = 4;
    delivery_options_.retry_budget = 10s;
    delivery_options_.retry_base_delay = 1s;
    delivery_options_.retry_max_delay = 4s;
  }

  std::unique_ptr<SinkDelivery> delivery_to(Sink& sink) {
    RetryPause pause = [this](Clock::Duration delay, CancellationToken cancel) {
      return jump_clock(&clock_, delay, std::move(cancel));
    };
    return std::make_unique<SinkDelivery>(sink, delivery_options_, clock_, std::move(pause),
                                          nullptr, [] { return 0.5; });
  }

  jobs::JobRunner runner_for(SinkDelivery& delivery) {
    auto runner = make_ingest_runner({&delivery, uploads_.get(), loop_.blocking()});
    EXPECT_TRUE(runner) << runner.error().message;
    return runner ? *runner : jobs::JobRunner{};
  }

  std::filesystem::path upload(const std::string& bytes) {
    auto path = loop_.run(uploads_->store(bytes));
    EXPECT_TRUE(path) << path.error().message;
    return path ? *path : std::filesystem::path();
  }

  static Json input_for(const std::filesystem::path& upload, const std::string& filename,
                        Json metadata = Json::object(), const std::string& doc_type = "auto") {
    return Json{{"source", {{"upload", upload.string()}}},
                {"filename", filename},
                {"doc_type", doc_type},
                {"metadata", std::move(metadata)}};
  }

  std::filesystem::path work_dir() const { return dir_.path() / "state" / "jobs" / "job_TEST"; }

  jobs::JobContext context(Json input, bool resumed = false, CancellationToken cancel = {},
                           std::vector<std::string> remote_job_ids = {}) {
    jobs::JobContext context;
    context.job.id = "job_TEST";
    context.job.kind = jobs::JobKind::kIngest;
    context.job.state = jobs::JobState::kRunning;
    context.job.input = std::move(input);
    context.job.remote_job_ids = std::move(remote_job_ids);
    context.resumed = resumed;
    context.cancel = std::move(cancel);
    context.work_dir = work_dir();
    // The engine makes the directory before it starts a runner.
    std::filesystem::create_directories(context.work_dir);
    context.progress = [this](Json progress) {
      const std::lock_guard lock(mutex_);
      progress_.push_back(std::move(progress));
    };
    context.add_remote_job = [this](std::string id) {
      const std::lock_guard lock(mutex_);
      remote_jobs_.push_back(std::move(id));
    };
    return context;
  }

  Result<Json> run(jobs::JobRunner& runner, jobs::JobContext context) {
    progress_.clear();
    return loop_.run(runner(std::move(context)));
  }

  std::vector<std::string> phases() {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& progress : progress_) out.push_back(progress.value("phase", "?"));
    return out;
  }

  std::size_t spooled() const {
    const auto spool = work_dir() / "documents";
    if (!std::filesystem::exists(spool)) return 0;
    return file_names(spool).size();
  }

  TempDir dir_;
  testing::Loop loop_;
  ManualClock clock_;
  std::unique_ptr<UploadStore> uploads_;
  DeliveryOptions delivery_options_;
  std::mutex mutex_;
  std::vector<Json> progress_;
  std::vector<std::string> remote_jobs_;
};

TEST_F(IngestRunnerTest, DeliversAMarkdownUploadToTheDirectorySink) {
  DirectorySink sink(dir_.path() / "out", loop_.blocking(), clock_);
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const std::string text = "Intro line\r\n\n# Release notes\n\nThe body.\r\n";
  const auto path = upload(text);
  const Json metadata{{"team", "docs"}, {"filename", "spoofed.md"}};

  const auto result = run(runner, context(input_for(path, "notes.md", metadata)));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, (Json{{"documents", 1},
                           {"delivered", 1},
                           {"remote_job_ids", Json::array()},
                           {"warnings", Json::array()},
                           {"sink", "directory"},
                           {"type", "md"}}));

  // The document as the sink wrote it.
  const std::string id = document_id("upload:notes.md");
  const std::string manifest = read_text(dir_.path() / "out" / "manifest.jsonl");
  const Json line = Json::parse(manifest.substr(0, manifest.find('\n')));
  EXPECT_EQ(line["id"], id);
  EXPECT_EQ(line["source"], "upload:notes.md");
  EXPECT_EQ(line["title"], "Release notes");
  EXPECT_EQ(line["content_type"], "text/markdown");
  EXPECT_EQ(line["job_id"], "job_TEST");
  EXPECT_EQ(line["metadata"], (Json{{"team", "docs"},
                                    {"filename", "notes.md"},
                                    {"source_kind", "upload"},
                                    {"doc_type", "md"},
                                    {"charset", "utf-8"},
                                    {"bytes", text.size()}}));
  const std::string file = read_text(dir_.path() / "out" / (document_file_key(id) + ".md"));
  EXPECT_TRUE(contains(file, "Intro line\n\n# Release notes\n\nThe body.\n")) << file;

  // The upload is gone, the spool is empty, the marker stays for a resume.
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(spooled(), 0U);
  EXPECT_TRUE(std::filesystem::exists(work_dir() / "extracted.json"));

  ASSERT_GE(progress_.size(), 3U);
  EXPECT_EQ(progress_.front(), (Json{{"phase", "extracting"},
                                     {"documents", 0},
                                     {"delivered", 0},
                                     {"message", "extracting notes.md"}}));
  EXPECT_EQ(progress_[1], (Json{{"phase", "delivering"},
                                {"documents", 1},
                                {"delivered", 0},
                                {"message", "delivering 1 document(s) to sink 'directory'"}}));
  EXPECT_EQ(progress_.back(),
            (Json{{"phase", "delivering"},
                  {"documents", 1},
                  {"delivered", 1},
                  {"message", "1 of 1 document(s) delivered to sink 'directory'"}}));
}

TEST_F(IngestRunnerTest, AnInlineDocumentIsExtractedWithoutAnyUploadFile) {
  DirectorySink sink(dir_.path() / "out", loop_.blocking(), clock_);
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const Json input{{"source", {{"inline", encode_base64("# Inline\n\nCarried in the job.\n")}}},
                   {"filename", "inline.md"}};
  const auto result = run(runner, context(input));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ((*result)["documents"], 1);
  EXPECT_EQ((*result)["delivered"], 1);
  const std::string manifest = read_text(dir_.path() / "out" / "manifest.jsonl");
  EXPECT_TRUE(contains(manifest, "\"title\":\"Inline\"")) << manifest;
  EXPECT_TRUE(contains(manifest, "\"source\":\"upload:inline.md\"")) << manifest;

  const Json bad{{"source", {{"inline", "@@not base64@@"}}}, {"filename", "x.md"}};
  const auto refused = run(runner, context(bad));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message, "source.inline is not valid Base64");
}

TEST_F(IngestRunnerTest, PlainTextIsTitledByItsFileNameAndLatin1IsReadWithAWarning) {
  ScriptedSink sink([](const std::vector<Document>& documents, std::size_t) {
    SinkReceipt receipt;
    receipt.accepted = documents.size();
    receipt.remote_job_ids = {"remote-1"};
    receipt.details = Json{{"chunks", 3}};
    return backend::CallResult<SinkReceipt>(receipt);
  });
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("Caf\xE9 menu\r\n# not a title in plain text\n");

  const auto result = run(runner, context(input_for(path, "menu.txt")));
  ASSERT_TRUE(result) << result.error().message;
  const auto batches = sink.batches();
  ASSERT_EQ(batches.size(), 1U);
  const Document& document = batches[0].at(0);
  EXPECT_EQ(document.markdown, "Café menu\n# not a title in plain text\n");
  EXPECT_EQ(document.title, "menu.txt");
  EXPECT_EQ(document.content_type, "text/plain");
  EXPECT_EQ(document.metadata["charset"], "latin-1");
  EXPECT_EQ((*result)["warnings"],
            (Json::array({"menu.txt is not valid UTF-8 (byte 0xE9 at offset 3); it was read as "
                          "Latin-1 (ISO 8859-1), so some characters may be wrong"})));
  EXPECT_EQ((*result)["remote_job_ids"], Json::array({"remote-1"}));
  EXPECT_EQ((*result)["chunks"], 3);
  EXPECT_EQ(remote_jobs_, (std::vector<std::string>{"remote-1"}));
}

TEST_F(IngestRunnerTest, AMarkdownTitleComesFromFrontMatterBeforeHeadings) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("---\ntitle: \"Front title\"\n---\n# Heading\nbody\n");
  ASSERT_TRUE(run(runner, context(input_for(path, "a.md"))));
  EXPECT_EQ(sink.batches().at(0).at(0).title, "Front title");

  const auto fenced = upload("```\n# inside code\n```\n\nSetext title\n===\n");
  ASSERT_TRUE(run(runner, context(input_for(fenced, "b.md"))));
  EXPECT_EQ(sink.batches().at(1).at(0).title, "Setext title");

  const auto untitled = upload("just words\n");
  ASSERT_TRUE(run(runner, context(input_for(untitled, "c.md"))));
  EXPECT_EQ(sink.batches().at(2).at(0).title, "c.md");
}

TEST_F(IngestRunnerTest, AFailingSinkKeepsTheSpoolAndAResumedRunDeliversWithoutExtracting) {
  ScriptedSink sink(unavailable);
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("# Doc\n\nCaf\xE9\n");

  const auto failed = run(runner, context(input_for(path, "doc.md")));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(failed.error().message, "the sink is down")) << failed.error().message;
  EXPECT_TRUE(contains(failed.error().message, "1 undelivered document kept in"))
      << failed.error().message;
  const std::size_t attempts = sink.batches().size();
  EXPECT_GT(attempts, 1U);  // retried within the budget before giving up
  EXPECT_EQ(spooled(), 1U);
  // Extracted and durable in the spool: the upload is no longer needed.
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(phases().front(), "extracting");

  // The sink is back; the job is retried (resumed). The upload is gone, so this succeeds
  // only if the run skips extraction and delivers what the spool kept.
  sink.set_script([](const std::vector<Document>& documents, std::size_t) {
    SinkReceipt receipt;
    receipt.accepted = documents.size();
    receipt.remote_job_ids = {"remote-2"};
    return backend::CallResult<SinkReceipt>(receipt);
  });
  const auto resumed =
      run(runner, context(input_for(path, "doc.md"), true, {}, {"remote-from-before"}));
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_EQ((*resumed)["documents"], 1);
  EXPECT_EQ((*resumed)["delivered"], 1);
  EXPECT_EQ((*resumed)["remote_job_ids"], Json::array({"remote-from-before", "remote-2"}));
  // The extraction's warning survives in the marker.
  ASSERT_EQ((*resumed)["warnings"].size(), 1U);
  EXPECT_TRUE(contains((*resumed)["warnings"][0].get<std::string>(), "read as Latin-1"));
  EXPECT_EQ(remote_jobs_, (std::vector<std::string>{"remote-2"}));
  const auto batches = sink.batches();
  ASSERT_EQ(batches.size(), attempts + 1);
  EXPECT_EQ(batches.back().at(0).markdown, "# Doc\n\nCafé\n");
  EXPECT_EQ(spooled(), 0U);
  EXPECT_EQ(phases(), (std::vector<std::string>{"delivering", "delivering"}));
}

TEST_F(IngestRunnerTest, AResumedRunWithNothingLeftSucceedsWithoutCallingTheSink) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("text");
  ASSERT_TRUE(run(runner, context(input_for(path, "a.txt"))));
  ASSERT_EQ(sink.batches().size(), 1U);

  const auto again = run(runner, context(input_for(path, "a.txt"), true));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(sink.batches().size(), 1U);
  EXPECT_EQ((*again)["documents"], 1);
  EXPECT_EQ((*again)["delivered"], 1);
}

TEST_F(IngestRunnerTest, ARunThatDiedBeforeTheMarkerExtractsAgainWithoutDoubling) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("fresh text");
  // What a crash between the spool put and the marker leaves: the document, no marker.
  {
    auto spool = DocumentSpool::open(work_dir() / "documents");
    ASSERT_TRUE(spool);
    ASSERT_TRUE((*spool)->put(testing::make_document("upload:a.txt", "stale text", "job_TEST")));
  }
  const auto result = run(runner, context(input_for(path, "a.txt"), true));
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(sink.batches().size(), 1U);
  ASSERT_EQ(sink.batches()[0].size(), 1U);
  EXPECT_EQ(sink.batches()[0][0].markdown, "fresh text");
  EXPECT_EQ(phases().front(), "extracting");
}

TEST_F(IngestRunnerTest, BadInputGetsAClearMessageAndNeverReachesTheSink) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const std::string good = (uploads_->directory() / std::string(32, 'a')).string();
  struct Case {
    Json input;
    ErrorCode code;
    std::string message;
  };
  const std::vector<Case> cases{
      {Json::array(), ErrorCode::kInvalidArgument, "the ingest job's input must be a JSON object"},
      {Json::object(), ErrorCode::kInvalidArgument,
       "source must be an object with exactly one key: upload (a stored upload's path) or "
       "inline (the document's bytes, Base64)"},
      {Json{{"source", {{"upload", good}, {"url", "http://x"}}}}, ErrorCode::kInvalidArgument,
       "source must be an object with exactly one key: upload (a stored upload's path) or "
       "inline (the document's bytes, Base64)"},
      {Json{{"source", {{"path", "/etc/passwd"}}}}, ErrorCode::kFailedPrecondition,
       "ingesting from a path is not available yet in this build; upload the document instead"},
      {Json{{"source", {{"url", "http://x"}}}}, ErrorCode::kFailedPrecondition,
       "ingesting from a url is not available yet in this build; upload the document instead"},
      {Json{{"source", {{"ftp", "x"}}}}, ErrorCode::kInvalidArgument,
       "source.ftp is not a known source; use source.upload or source.inline"},
      {Json{{"source", {{"upload", 7}}}}, ErrorCode::kInvalidArgument,
       "source.upload must be a string (a path)"},
      {Json{{"source", {{"upload", "/etc/passwd"}}}}, ErrorCode::kInvalidArgument,
       "source.upload '/etc/passwd' is not an upload stored in " + uploads_->directory().string()},
      {Json{{"source", {{"upload", good}}}, {"filename", 5}}, ErrorCode::kInvalidArgument,
       "filename must be a string"},
      {Json{{"source", {{"upload", good}}}, {"filename", std::string(300, 'x')}},
       ErrorCode::kInvalidArgument, "filename is 300 bytes long; at most 255 are allowed"},
      {Json{{"source", {{"upload", good}}}, {"filename", "a\nb.txt"}}, ErrorCode::kInvalidArgument,
       "filename must not contain control characters"},
      {Json{{"source", {{"upload", good}}}, {"doc_type", "pdfx"}}, ErrorCode::kInvalidArgument,
       "doc_type must be one of auto, pdf, docx, txt, md, html; got 'pdfx'"},
      {Json{{"source", {{"upload", good}}}, {"doc_type", 3}}, ErrorCode::kInvalidArgument,
       "doc_type must be one of auto, pdf, docx, txt, md, html; got 3"},
      {Json{{"source", {{"upload", good}}}, {"metadata", Json::array()}},
       ErrorCode::kInvalidArgument, "metadata must be a JSON object"},
  };
  for (const auto& c : cases) {
    const auto result = run(runner, context(c.input));
    ASSERT_FALSE(result) << c.input.dump();
    EXPECT_EQ(result.error().code, c.code) << c.input.dump();
    EXPECT_EQ(result.error().message, c.message);
  }
  EXPECT_TRUE(sink.batches().empty());
}

TEST_F(IngestRunnerTest, AJobWithBadInputRemovesItsUploadButNeverAnotherFile) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("words");
  const auto result =
      run(runner, context(Json{{"source", {{"upload", path.string()}}}, {"doc_type", "excel"}}));
  ASSERT_FALSE(result);
  EXPECT_FALSE(std::filesystem::exists(path));

  const auto outside = dir_.path() / "outside.txt";
  testing::write_text(outside, "not an upload");
  ASSERT_FALSE(run(runner, context(Json{{"source", {{"upload", outside.string()}}}})));
  EXPECT_EQ(read_text(outside), "not an upload");
}

TEST_F(IngestRunnerTest, EmptyDocumentsFailAndTheirUploadIsRemoved) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto empty = upload("");
  const auto result = run(runner, context(input_for(empty, "empty.txt")));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().message, "empty document: 'empty.txt' has no content (0 bytes)");
  EXPECT_FALSE(std::filesystem::exists(empty));

  const auto blank = upload(" \n\t\r\n");
  const auto whitespace = run(runner, context(input_for(blank, "blank.md")));
  ASSERT_FALSE(whitespace);
  EXPECT_EQ(whitespace.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(whitespace.error().message, "empty document: blank.md holds only whitespace");
  EXPECT_FALSE(std::filesystem::exists(blank));
  EXPECT_TRUE(sink.batches().empty());
  EXPECT_EQ(spooled(), 0U);
  EXPECT_FALSE(std::filesystem::exists(work_dir() / "extracted.json"));
}

TEST_F(IngestRunnerTest, FormatsWithoutAnExtractorYetSaySo) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  using namespace std::string_literals;
  struct Case {
    std::string bytes;
    std::string filename;
    std::string doc_type;
    ErrorCode code;
    std::string message;
  };
  const std::vector<Case> cases{
      {"%PDF-1.7\n1 0 obj\n", "report.pdf", "auto", ErrorCode::kFailedPrecondition,
       "PDF extraction is not available yet in this build, so report.pdf cannot be ingested; "
       "plain text and Markdown can"},
      {"PK\x03\x04....word/document.xml", "letter.docx", "auto", ErrorCode::kFailedPrecondition,
       "DOCX extraction is not available yet in this build, so letter.docx cannot be ingested; "
       "plain text and Markdown can"},
      {"<!doctype html><html><body>x</body></html>", "", "auto", ErrorCode::kFailedPrecondition,
       "HTML extraction is not available yet in this build, so the upload cannot be ingested; "
       "plain text and Markdown can"},
      {"\x89PNG\r\n\x1A\n"s + std::string(8, '\0'), "scan.png", "auto", ErrorCode::kInvalidArgument,
       "unsupported document type: 'scan.png' is a PNG image (OCR is not supported); supported "
       "are PDF, DOCX, plain text, Markdown and HTML"},
      {"plain words", "notes.txt", "pdf", ErrorCode::kInvalidArgument,
       "type mismatch: doc_type is 'pdf' but 'notes.txt' is plain text"},
  };
  for (const auto& c : cases) {
    const auto path = upload(c.bytes);
    const auto result = run(runner, context(input_for(path, c.filename, {}, c.doc_type)));
    ASSERT_FALSE(result) << c.message;
    EXPECT_EQ(result.error().code, c.code) << c.message;
    EXPECT_EQ(result.error().message, c.message);
    EXPECT_FALSE(std::filesystem::exists(path)) << c.message;
  }
  EXPECT_TRUE(sink.batches().empty());
}

TEST_F(IngestRunnerTest, ACancelByAPersonEndsTheJobAndRemovesTheUpload) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("text");
  CancellationSource source;
  source.cancel("cancelled by alice");
  const auto result = run(runner, context(input_for(path, "a.txt"), false, source.token()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(result.error().message, "ingest job cancelled (cancelled by alice)");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(sink.batches().empty());
}

TEST_F(IngestRunnerTest, AShutdownKeepsTheUploadForTheResumedRun) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("text");
  CancellationSource source;
  source.cancel("shutdown");
  const auto result = run(runner, context(input_for(path, "a.txt"), false, source.token()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE(std::filesystem::exists(path));

  const auto resumed = run(runner, context(input_for(path, "a.txt"), true));
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_EQ(sink.batches().size(), 1U);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(IngestRunnerTest, ACancelDuringDeliveryStopsAtOnceAndKeepsTheSpool) {
  CancellationSource source;
  ScriptedSink sink([&source](const std::vector<Document>& documents, std::size_t call) {
    source.cancel("shutdown");
    return unavailable(documents, call);
  });
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("text");
  const auto result = run(runner, context(input_for(path, "a.txt"), false, source.token()));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(sink.batches().size(), 1U);  // no retry after the cancel
  EXPECT_EQ(spooled(), 1U);
}

TEST_F(IngestRunnerTest, ATransientFailureBeforeExtractionKeepsTheUploadForARetry) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("text");
  auto context = this->context(input_for(path, "a.txt"));
  // The spool cannot be made: a file sits where its directory should be.
  testing::write_text(work_dir() / "documents", "in the way");
  const auto result = run(runner, std::move(context));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(result.error().message, (work_dir() / "documents").string()))
      << result.error().message;
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(IngestRunnerTest, AnUploadRemovedUnderTheJobIsReportedClearly) {
  ScriptedSink sink;
  auto delivery = delivery_to(sink);
  auto runner = runner_for(*delivery);
  const auto path = upload("text");
  std::filesystem::remove(path);
  const auto result = run(runner, context(input_for(path, "a.txt")));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(result.error().message,
            "the upload " + path.string() +
                " no longer exists (uploads are removed once extracted or when their job fails "
                "for good); upload the document again");
}

TEST(IngestRunnerFactoryTest, RefusesMissingDependencies) {
  testing::Loop loop;
  ScriptedSink sink;
  ManualClock clock;
  SinkDelivery delivery(sink, {}, clock, {}, nullptr);
  UploadStore uploads({}, loop.blocking());
  const auto no_delivery = make_ingest_runner({nullptr, &uploads, loop.blocking()});
  ASSERT_FALSE(no_delivery);
  EXPECT_EQ(no_delivery.error().message, "the ingest runner needs a SinkDelivery");
  const auto no_uploads = make_ingest_runner({&delivery, nullptr, loop.blocking()});
  ASSERT_FALSE(no_uploads);
  EXPECT_EQ(no_uploads.error().message, "the ingest runner needs an UploadStore");
  const auto no_pool = make_ingest_runner({&delivery, &uploads, {}});
  ASSERT_FALSE(no_pool);
  EXPECT_EQ(no_pool.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(make_ingest_runner({&delivery, &uploads, loop.blocking()}));
}

TEST(IngestRunnerFactoryTest, UploadOfFindsTheUploadAJobReferences) {
  EXPECT_EQ(upload_of(Json{{"source", {{"upload", "/s/uploads/ab"}}}}),
            std::filesystem::path("/s/uploads/ab"));
  EXPECT_EQ(upload_of(Json{{"source", {{"path", "/docs/a.pdf"}}}}), std::nullopt);
  EXPECT_EQ(upload_of(Json{{"source", "x"}}), std::nullopt);
  EXPECT_EQ(upload_of(Json::array()), std::nullopt);
}

// The runner under the real job engine: the result, the remote job ids and the progress
// land in the journal; a shutdown leaves the job to resume with its upload.
class IngestRunnerEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UploadStoreOptions options;
    options.state_dir = dir_.path() / "state";
    uploads_ = std::make_unique<UploadStore>(options, pool_.get_executor());
  }
  void TearDown() override { pool_.join(); }

  void open_engine(jobs::JobRunner runner) {
    jobs::JobEngineOptions options;
    options.state_dir = dir_.path() / "state";
    options.clock = &clock_;
    options.progress_interval = 0ms;
    auto opened = jobs::JobEngine::open(options, loop_.executor());
    ASSERT_TRUE(opened) << opened.error().message;
    engine_ = std::move(*opened);
    engine_->register_runner(jobs::JobKind::kIngest, std::move(runner), 1);
    auto started = loop_.await(engine_->start());
    ASSERT_TRUE(started) << started.error().message;
  }

  jobs::Job wait_final(const std::string& id) {
    for (int i = 0; i < 1'000; ++i) {
      auto job = loop_.await(engine_->get(id));
      if (!job) break;
      if (jobs::is_final(job->state)) return *job;
      loop_.settle();
    }
    ADD_FAILURE() << "job " << id << " did not finish";
    return {};
  }

  TempDir dir_;
  boost::asio::thread_pool pool_{1};
  jobs::testing::Loop loop_;
  ManualClock clock_;
  std::unique_ptr<UploadStore> uploads_;
  std::unique_ptr<jobs::JobEngine> engine_;
};

TEST_F(IngestRunnerEngineTest, AnUploadedDocumentIsIngestedAsAJob) {
  ScriptedSink sink([](const std::vector<Document>& documents, std::size_t) {
    SinkReceipt receipt;
    receipt.accepted = documents.size();
    receipt.remote_job_ids = {"orchestrator-job-1"};
    return backend::CallResult<SinkReceipt>(receipt);
  });
  SinkDelivery delivery(sink, {}, clock_, {}, nullptr);
  auto runner = make_ingest_runner({&delivery, uploads_.get(), pool_.get_executor()});
  ASSERT_TRUE(runner);
  open_engine(*runner);

  const std::string text = "# Hello\n\nworld\n";
  auto path = loop_.await(uploads_->store(text));
  ASSERT_TRUE(path) << path.error().message;
  const Json input{{"source", {{"upload", path->string()}}},
                   {"filename", "hello.md"},
                   {"metadata", {{"lang", "en"}}}};
  auto submitted = loop_.await(engine_->submit(jobs::JobKind::kIngest, input, "alice"));
  ASSERT_TRUE(submitted) << submitted.error().message;

  const jobs::Job job = wait_final(submitted->id);
  ASSERT_EQ(job.state, jobs::JobState::kSucceeded)
      << (job.error ? job.error->code + ": " + job.error->message : "");
  EXPECT_EQ(job.result["documents"], 1);
  EXPECT_EQ(job.result["delivered"], 1);
  EXPECT_EQ(job.result["remote_job_ids"], Json::array({"orchestrator-job-1"}));
  EXPECT_EQ(job.remote_job_ids, (std::vector<std::string>{"orchestrator-job-1"}));
  EXPECT_EQ(job.progress.value("phase", ""), "delivering");
  EXPECT_EQ(job.progress.value("delivered", 0), 1);
  ASSERT_EQ(sink.batches().size(), 1U);
  EXPECT_EQ(sink.batches()[0][0].job_id, submitted->id);
  EXPECT_EQ(sink.batches()[0][0].metadata["lang"], "en");
  EXPECT_FALSE(std::filesystem::exists(*path));
  loop_.await(engine_->stop(1s));
}

TEST_F(IngestRunnerEngineTest, AFailedJobNamesTheCodeAndMessage) {
  ScriptedSink sink;
  SinkDelivery delivery(sink, {}, clock_, {}, nullptr);
  auto runner = make_ingest_runner({&delivery, uploads_.get(), pool_.get_executor()});
  ASSERT_TRUE(runner);
  open_engine(*runner);
  auto path = loop_.await(uploads_->store(std::string_view("%PDF-1.4\n")));
  ASSERT_TRUE(path);
  const Json input{{"source", {{"upload", path->string()}}}, {"filename", "a.pdf"}};
  auto submitted = loop_.await(engine_->submit(jobs::JobKind::kIngest, input, "alice"));
  ASSERT_TRUE(submitted);
  const jobs::Job job = wait_final(submitted->id);
  ASSERT_EQ(job.state, jobs::JobState::kFailed);
  ASSERT_TRUE(job.error);
  EXPECT_EQ(job.error->code, "failed_precondition");
  EXPECT_EQ(job.error->message,
            "PDF extraction is not available yet in this build, so a.pdf cannot be ingested; "
            "plain text and Markdown can");
  EXPECT_FALSE(std::filesystem::exists(*path));
  loop_.await(engine_->stop(1s));
}

}  // namespace
}  // namespace shield::ingest
