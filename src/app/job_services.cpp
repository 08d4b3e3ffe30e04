#include "shield/app/job_services.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>
#include <stdexcept>
#include <utility>

#include <boost/asio/thread_pool.hpp>

#include "shield/app/job_routes.hpp"
#include "shield/app/job_task_store.hpp"
#include "shield/ingest/ingest_runner.hpp"
#include "shield/ingest/make_sink.hpp"
#include "shield/ingest/retry_pause.hpp"
#include "shield/ingest/sink_delivery.hpp"
#include "shield/ingest/upload_store.hpp"
#include "shield/tools/ingest_doc.hpp"
#include "shield/util/clock.hpp"

namespace shield::app {
namespace asio = boost::asio;

namespace {

// Disk writes with fsync and document parsing: enough threads that one slow fsync does not
// hold every job up, few enough not to crowd the event loop's cores.
constexpr std::size_t kBlockingThreads = 2;

jobs::JobEngineOptions engine_options(const config::JobsConfig& jobs) {
  jobs::JobEngineOptions options;
  options.state_dir = jobs.state_dir;
  options.queue_capacity = jobs.queue_capacity;
  options.retention = jobs.retention;
  options.poll_after_s = jobs.poll_after_s;
  options.max_events_per_job = jobs.max_events_per_job;
  options.resume_running = jobs.resume_running;
  return options;
}

}  // namespace

struct JobServices::Impl {
  const config::Config& config;
  asio::io_context& io;
  metrics::Metrics& metrics;
  asio::thread_pool blocking{kBlockingThreads};
  std::unique_ptr<jobs::JobEngine> engine;
  std::unique_ptr<ingest::Sink> sink;
  std::unique_ptr<ingest::SinkDelivery> delivery;
  std::unique_ptr<ingest::UploadStore> uploads;
  std::shared_ptr<JobTaskStore> tasks;

  Impl(asio::io_context& io_context, const config::Config& c, metrics::Metrics& m)
      : config(c), io(io_context), metrics(m) {}

  ~Impl() { blocking.join(); }

  // POST /ingest: the upload is stored durably, then its ingest job is submitted; an
  // upload whose submit failed is removed again.
  UploadAcceptor upload_acceptor() {
    return [this](IngestUpload upload) -> asio::awaitable<Result<jobs::Job>> {
      auto keeping = uploads->keep(upload.data);
      auto source = co_await std::move(keeping);
      if (!source) co_return tl::unexpected(source.error());
      jobs::Json input = jobs::Json::object();
      input["source"] = std::move(*source);
      input["filename"] = upload.filename;
      input["doc_type"] = upload.doc_type;
      input["metadata"] = std::move(upload.metadata);
      const jobs::Json submitted_input = input;
      auto job = co_await engine->submit(jobs::JobKind::kIngest, std::move(input), upload.caller);
      if (!job) {
        if (auto stored = ingest::upload_of(submitted_input); stored) {
          auto removing = uploads->remove(*stored);
          auto removed = co_await std::move(removing);
          if (!removed) spdlog::warn("jobs: {}", removed.error().message);
        }
      }
      co_return job;
    };
  }

  // Deletes the uploads no job in the journal refers to any more (retention purged the job,
  // or a crash came between storing an upload and committing its job).
  asio::awaitable<void> sweep_uploads() {
    std::set<std::filesystem::path> referenced;
    jobs::JobQuery query;
    query.kind = jobs::JobKind::kIngest;
    query.limit = 500;
    while (true) {
      auto page = co_await engine->list(query);
      if (!page) {
        spdlog::warn("jobs: uploads not swept: {}", page.error().message);
        co_return;
      }
      for (const jobs::Job& job : page->jobs) {
        if (auto path = ingest::upload_of(job.input)) referenced.insert(*path);
      }
      if (page->next_cursor.empty()) break;
      query.after_id = page->next_cursor;
    }
    auto swept = co_await uploads->sweep(std::move(referenced));
    if (!swept) {
      spdlog::warn("jobs: uploads not swept: {}", swept.error().message);
    } else if (*swept > 0) {
      spdlog::info("jobs: removed {} upload(s) no job refers to", *swept);
    }
  }
};

JobServices::JobServices(asio::io_context& io, const config::Config& config,
                         const tools::ToolDependencies& backends, metrics::Metrics& metrics)
    : impl_(std::make_unique<Impl>(io, config, metrics)) {
  auto engine =
      jobs::JobEngine::open(engine_options(config.jobs), io.get_executor(), &metrics.registry());
  if (!engine) throw std::runtime_error("cannot open the job journal: " + engine.error().message);
  impl_->engine = std::move(*engine);

  ingest::SinkDependencies sink_dependencies;
  sink_dependencies.orchestrator = backends.orchestrator;
  sink_dependencies.qdrant = backends.qdrant;
  sink_dependencies.embedder = backends.embedder;
  sink_dependencies.lightrag = backends.lightrag;
  sink_dependencies.blocking = impl_->blocking.get_executor();
  auto sink = ingest::make_sink(config, sink_dependencies);
  if (!sink) throw std::runtime_error("[sink]: " + sink.error().message);
  impl_->sink = std::move(*sink);

  impl_->delivery = std::make_unique<ingest::SinkDelivery>(
      *impl_->sink, ingest::DeliveryOptions::from(config.sink), SystemClock::instance(),
      ingest::timer_pause(), &metrics.registry());
  impl_->uploads = std::make_unique<ingest::UploadStore>(
      ingest::UploadStoreOptions::from(config.jobs), impl_->blocking.get_executor());
  auto ingest_runner = ingest::make_ingest_runner({.delivery = impl_->delivery.get(),
                                                   .uploads = impl_->uploads.get(),
                                                   .blocking = impl_->blocking.get_executor()});
  if (!ingest_runner) throw std::runtime_error("ingest runner: " + ingest_runner.error().message);
  impl_->engine->register_runner(jobs::JobKind::kIngest, std::move(*ingest_runner),
                                 config.jobs.ingest_concurrency);

  impl_->tasks = std::make_shared<JobTaskStore>(*impl_->engine, config.jobs.retention);
}

JobServices::~JobServices() = default;

void JobServices::add_to(tools::ToolDependencies& dependencies,
                         std::function<std::string()> base_url) {
  dependencies.jobs = impl_->engine.get();
  dependencies.sink = impl_->sink.get();
  dependencies.uploads = impl_->uploads.get();
  dependencies.job_tasks = impl_->tasks;
  // The task of an ingest_doc call reads as that tool's result.
  impl_->tasks->set_result_builder(
      jobs::JobKind::kIngest,
      [base_url, poll = impl_->engine->poll_after_s()](const jobs::Job& job) {
        return tools::ingest_job_result(job, base_url ? base_url() : std::string(), poll);
      });
  dependencies.public_base_url = std::move(base_url);
}

void JobServices::add_routes(http::Router& router, std::function<std::string()> base_url) {
  JobRoutesOptions options;
  options.base_url = std::move(base_url);
  options.sse_keepalive = impl_->config.server.sse_keepalive;
  add_job_routes(router, *impl_->engine, impl_->io.get_executor(), std::move(options),
                 impl_->upload_acceptor());
}

asio::awaitable<Result<void>> JobServices::start() {
  auto started = co_await impl_->engine->start();
  if (!started) co_return started;
  co_await impl_->sweep_uploads();
  spdlog::info("jobs: extracted documents go to the {} sink", impl_->sink->name());
  co_return started;
}

asio::awaitable<void> JobServices::stop(std::chrono::milliseconds grace) {
  co_await impl_->engine->stop(grace);
}

jobs::JobEngine& JobServices::engine() {
  return *impl_->engine;
}

}  // namespace shield::app
