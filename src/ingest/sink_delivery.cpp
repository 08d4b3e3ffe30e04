#include "shield/ingest/sink_delivery.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "shield/ingest/run_blocking.hpp"

namespace shield::ingest {
namespace {

double thread_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

// "250 ms", "42 s", "10 min": for people reading a job's error.
std::string human(Clock::Duration duration) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
  if (ms < 1'000) return fmt::format("{} ms", ms);
  if (ms < 120'000) return fmt::format("{:.3g} s", static_cast<double>(ms) / 1'000.0);
  return fmt::format("{:.3g} min", static_cast<double>(ms) / 60'000.0);
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

}  // namespace

DeliveryOptions DeliveryOptions::from(const config::SinkConfig& sink) {
  DeliveryOptions options;
  options.batch_documents = sink.batch_documents;
  options.retry_budget = sink.retry_budget;
  options.retry_base_delay = sink.retry_base_delay;
  options.retry_max_delay = sink.retry_max_delay;
  return options;
}

SinkDelivery::SinkDelivery(Sink& sink, DeliveryOptions options, const Clock& clock,
                           RetryPause pause, prometheus::Registry* registry, Random random)
    : sink_(sink),
      options_(options),
      clock_(clock),
      pause_(pause ? std::move(pause) : timer_pause()),
      random_(random ? std::move(random) : Random(thread_random)) {
  options_.batch_documents = std::max<std::size_t>(options_.batch_documents, 1);
  if (registry == nullptr) return;
  auto& family = prometheus::BuildCounter()
                     .Name("sink_documents_total")
                     .Help("Documents handed to the ingestion sink, by outcome")
                     .Register(*registry);
  const std::string label(sink_.name());
  accepted_ = &family.Add({{"sink", label}, {"outcome", "accepted"}});
  retried_ = &family.Add({{"sink", label}, {"outcome", "retried"}});
  rejected_ = &family.Add({{"sink", label}, {"outcome", "rejected"}});
  failed_ = &family.Add({{"sink", label}, {"outcome", "failed"}});
  corrupt_ = &family.Add({{"sink", label}, {"outcome", "corrupt"}});
}

Clock::Duration SinkDelivery::backoff(std::size_t failures_in_a_row) const {
  using Seconds = std::chrono::duration<double>;
  const double base = Seconds(options_.retry_base_delay).count();
  const double cap = Seconds(options_.retry_max_delay).count();
  const double exponent = static_cast<double>(std::min<std::size_t>(failures_in_a_row, 64) - 1);
  const double ceiling = std::min(cap, base * std::pow(2.0, exponent));
  const double random = std::clamp(random_(), 0.0, std::nextafter(1.0, 0.0));
  return std::chrono::duration_cast<Clock::Duration>(Seconds(ceiling / 2 + ceiling / 2 * random));
}

// The state of one deliver() call.
class DeliveryRun {
 public:
  DeliveryRun(const SinkDelivery& owner, DocumentSpool& spool,
              boost::asio::any_io_executor blocking, CancellationToken cancel,
              SinkDelivery::OnAccepted on_accepted)
      : owner_(owner),
        spool_(spool),
        blocking_(std::move(blocking)),
        cancel_(std::move(cancel)),
        on_accepted_(std::move(on_accepted)) {}

  boost::asio::awaitable<Result<DeliveryReport>> run() {
    for (;;) {
      std::vector<SpoolEntry> pending;
      for (auto& entry : spool_.list()) {
        if (!refused_.contains({entry.key, entry.generation})) pending.push_back(std::move(entry));
      }
      if (pending.empty()) break;
      const std::size_t size = owner_.options_.batch_documents;
      for (std::size_t start = 0; start < pending.size(); start += size) {
        const auto first = pending.begin() + static_cast<std::ptrdiff_t>(start);
        const auto last =
            pending.begin() + static_cast<std::ptrdiff_t>(std::min(pending.size(), start + size));
        if (auto done = co_await deliver_entries(std::vector<SpoolEntry>(first, last)); !done) {
          co_return tl::unexpected(std::move(done.error()));
        }
      }
    }
    if (!refused_.empty()) {
      co_return fail(
          ErrorCode::kFailedPrecondition,
          fmt::format("sink '{}' refused {} ({}); they stay in {} for a retry of the job once "
                      "the cause is fixed; {} delivered",
                      owner_.sink_.name(), plural(refused_.size(), "document", "documents"),
                      first_refusal_, spool_.directory().string(),
                      plural(report_.delivered, "other was", "others were")));
    }
    co_return std::move(report_);
  }

 private:
  struct Batch {
    std::vector<SpoolEntry> entries;
    std::vector<Document> documents;
  };

  boost::asio::awaitable<Result<void>> deliver_entries(std::vector<SpoolEntry> entries) {
    auto batch = co_await run_blocking(blocking_, [this, &entries]() -> Result<Batch> {
      Batch out;
      for (auto& entry : entries) {
        auto document = spool_.read(entry);
        if (document) {
          out.entries.push_back(std::move(entry));
          out.documents.push_back(std::move(*document));
          continue;
        }
        if (document.error().code != ErrorCode::kInternal) return tl::unexpected(document.error());
        if (auto aside = spool_.quarantine(entry); !aside) return tl::unexpected(aside.error());
        ++report_.quarantined;
        increment(owner_.corrupt_, 1);
      }
      return out;
    });
    if (!batch) co_return spool_failure(batch.error());
    if (batch->documents.empty()) co_return Result<void>();
    co_return co_await deliver_batch(std::move(*batch));
  }

  boost::asio::awaitable<Result<void>> deliver_batch(Batch batch) {
    for (;;) {
      if (cancel_.cancelled()) co_return cancelled();
      auto receipt = co_await owner_.sink_.deliver(batch.documents, cancel_);
      if (receipt) {
        streak_started_.reset();
        failures_in_a_row_ = 0;
        increment(owner_.accepted_, batch.documents.size());
        report_.delivered += batch.documents.size();
        ++report_.batches;
        report_.remote_job_ids.insert(report_.remote_job_ids.end(), receipt->remote_job_ids.begin(),
                                      receipt->remote_job_ids.end());
        if (on_accepted_) on_accepted_(*receipt);
        auto removed = co_await run_blocking(
            blocking_, [this, &batch] { return spool_.remove(batch.entries); });
        if (!removed) co_return spool_failure(removed.error());
        co_return Result<void>();
      }
      const backend::BackendError& error = receipt.error();
      if (error.code == backend::BackendErrorCode::kCancelled || cancel_.cancelled()) {
        co_return cancelled();
      }
      if (error.code == backend::BackendErrorCode::kRejected)
        co_return co_await refused(std::move(batch), error);

      increment(owner_.retried_, batch.documents.size());
      ++report_.failed_attempts;
      ++failures_in_a_row_;
      const Clock::TimePoint now = owner_.clock_.now();
      if (!streak_started_) streak_started_ = now;
      const Clock::Duration failing_for = now - *streak_started_;
      const Clock::Duration budget = owner_.options_.retry_budget;
      if (failing_for >= budget) co_return out_of_budget(error, failing_for);
      Clock::Duration delay = owner_.backoff(failures_in_a_row_);
      if (error.retry_after_s && *error.retry_after_s > 0) {
        delay = std::max<Clock::Duration>(delay, std::chrono::seconds(*error.retry_after_s));
      }
      delay = std::min<Clock::Duration>(delay, owner_.options_.retry_max_delay);
      delay = std::min(delay, budget - failing_for);
      if (!co_await owner_.pause_(delay, cancel_)) co_return cancelled();
    }
  }

  // Halves a refused batch until the refused documents are alone, so one bad document does
  // not hold back the rest.
  boost::asio::awaitable<Result<void>> refused(Batch batch, const backend::BackendError& error) {
    if (batch.documents.size() == 1) {
      refused_.insert({batch.entries.front().key, batch.entries.front().generation});
      increment(owner_.rejected_, 1);
      if (first_refusal_.empty()) {
        first_refusal_ =
            fmt::format("first: {}: {}", batch.documents.front().source, error.message);
      }
      co_return Result<void>();
    }
    const auto half = static_cast<std::ptrdiff_t>(batch.documents.size() / 2);
    Batch second;
    second.entries.assign(std::make_move_iterator(batch.entries.begin() + half),
                          std::make_move_iterator(batch.entries.end()));
    second.documents.assign(std::make_move_iterator(batch.documents.begin() + half),
                            std::make_move_iterator(batch.documents.end()));
    batch.entries.resize(static_cast<std::size_t>(half));
    batch.documents.resize(static_cast<std::size_t>(half));
    if (auto done = co_await deliver_batch(std::move(batch)); !done) co_return done;
    co_return co_await deliver_batch(std::move(second));
  }

  [[nodiscard]] std::size_t left_in_spool() const {
    const std::size_t size = spool_.size();
    return size > refused_.size() ? size - refused_.size() : 0;
  }

  tl::unexpected<Error> out_of_budget(const backend::BackendError& error,
                                      Clock::Duration failing_for) {
    const std::size_t left = left_in_spool();
    increment(owner_.failed_, left);
    return fail(ErrorCode::kUnavailable,
                fmt::format("sink '{}' kept failing for {} ({} in a row; the retry budget is {}): "
                            "{}. {} kept in {}, delivered when the job is retried",
                            owner_.sink_.name(), human(failing_for),
                            plural(failures_in_a_row_, "attempt", "attempts"),
                            human(owner_.options_.retry_budget), error.message,
                            plural(left, "undelivered document", "undelivered documents"),
                            spool_.directory().string()));
  }

  tl::unexpected<Error> cancelled() const {
    return fail(
        ErrorCode::kCancelled,
        fmt::format("delivery to sink '{}' cancelled ({}); {} kept in {}", owner_.sink_.name(),
                    cancel_.reason(), plural(left_in_spool(), "document", "documents"),
                    spool_.directory().string()));
  }

  tl::unexpected<Error> spool_failure(const Error& error) const {
    return fail(error.code, fmt::format("the document spool failed during delivery to sink "
                                        "'{}': {}",
                                        owner_.sink_.name(), error.message));
  }

  static void increment(prometheus::Counter* counter, std::size_t documents) {
    if (counter != nullptr && documents > 0) counter->Increment(static_cast<double>(documents));
  }

  const SinkDelivery& owner_;
  DocumentSpool& spool_;
  boost::asio::any_io_executor blocking_;
  CancellationToken cancel_;
  SinkDelivery::OnAccepted on_accepted_;
  DeliveryReport report_;
  std::set<std::pair<std::string, std::uint64_t>> refused_;
  std::string first_refusal_;
  std::optional<Clock::TimePoint> streak_started_;
  std::size_t failures_in_a_row_ = 0;
};

boost::asio::awaitable<Result<DeliveryReport>> SinkDelivery::deliver(
    DocumentSpool& spool, boost::asio::any_io_executor blocking, CancellationToken cancel,
    OnAccepted on_accepted) {
  DeliveryRun run(*this, spool, std::move(blocking), std::move(cancel), std::move(on_accepted));
  co_return co_await run.run();
}

}  // namespace shield::ingest
