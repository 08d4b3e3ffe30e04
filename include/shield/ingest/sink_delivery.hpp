#pragma once
// SinkDelivery: empties a job's DocumentSpool into a Sink, in batches of batch_documents, in
// spool order. A document leaves the spool only after the sink accepted it (and after
// on_accepted ran, so remote job ids are journaled before the files go); anything not
// delivered stays for the next attempt of the job.
//
// Failures:
//   - unavailable, timeout, busy: the batch is retried after an exponential, jittered pause
//     (uniform in [d/2, d), d = min(retry_max_delay, retry_base_delay * 2^(n-1)) for the
//     n-th failure in a row; at least the backend's retry_after when it gave one, at most
//     what is left of the budget). The budget (retry_budget) runs from the first failure of
//     a streak and a success resets it, so a long job is not failed by an early outage.
//     When it is spent the delivery stops with kUnavailable saying how many documents stay.
//   - rejected (a 4xx: the sink refuses what we sent): not retried. The batch is halved
//     until the refused document is alone; it stays in the spool, the others go on, and
//     the delivery ends with kFailedPrecondition naming the count and the sink's reason.
//   - cancellation (the token, or kCancelled from the sink) stops at once: kCancelled.
//   - a spool file that is not a document is set aside (<name>.corrupt) and counted.
// Documents put while a delivery runs are delivered by it too: it lists again until the
// spool holds nothing it has not refused.
//
// Metrics: sink_documents_total{sink, outcome} on the registry given, outcome one of
// accepted, retried (per document per failed attempt), rejected, failed (left in the spool
// when the budget ran out), corrupt.
//
// Threading: deliver() may run concurrently for different spools; the object holds only
// options and metric handles. Spool I/O runs on the `blocking` executor given to deliver().
// Ownership: the sink, clock and registry must outlive this object.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "shield/config/config.hpp"
#include "shield/ingest/document_spool.hpp"
#include "shield/ingest/retry_pause.hpp"
#include "shield/ingest/sink.hpp"
#include "shield/util/cancellation.hpp"
#include "shield/util/clock.hpp"
#include "shield/util/error.hpp"

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace shield::ingest {

struct DeliveryOptions {
  std::size_t batch_documents = 16;
  std::chrono::milliseconds retry_budget{10 * 60'000};
  std::chrono::milliseconds retry_base_delay{1'000};
  std::chrono::milliseconds retry_max_delay{60'000};

  [[nodiscard]] static DeliveryOptions from(const config::SinkConfig& sink);
};

struct DeliveryReport {
  std::size_t delivered = 0;        // documents the sink accepted in this call
  std::size_t batches = 0;          // accepted batches
  std::size_t failed_attempts = 0;  // batch attempts that failed and were retried
  std::size_t quarantined = 0;      // unreadable spool files set aside
  std::vector<std::string> remote_job_ids;
};

class SinkDelivery {
 public:
  // A value in [0, 1) for the jitter; empty = a per-thread Mersenne Twister.
  using Random = std::function<double()>;
  // Called after each accepted batch, before its documents leave the spool.
  using OnAccepted = std::function<void(const SinkReceipt& receipt)>;

  SinkDelivery(Sink& sink, DeliveryOptions options, const Clock& clock, RetryPause pause,
               prometheus::Registry* registry, Random random = {});

  boost::asio::awaitable<Result<DeliveryReport>> deliver(DocumentSpool& spool,
                                                         boost::asio::any_io_executor blocking,
                                                         CancellationToken cancel,
                                                         OnAccepted on_accepted = {});

  [[nodiscard]] const DeliveryOptions& options() const { return options_; }
  [[nodiscard]] Sink& sink() const { return sink_; }

 private:
  friend class DeliveryRun;
  [[nodiscard]] Clock::Duration backoff(std::size_t failures_in_a_row) const;

  Sink& sink_;
  DeliveryOptions options_;
  const Clock& clock_;
  RetryPause pause_;
  Random random_;
  prometheus::Counter* accepted_ = nullptr;
  prometheus::Counter* retried_ = nullptr;
  prometheus::Counter* rejected_ = nullptr;
  prometheus::Counter* failed_ = nullptr;
  prometheus::Counter* corrupt_ = nullptr;
};

}  // namespace shield::ingest
