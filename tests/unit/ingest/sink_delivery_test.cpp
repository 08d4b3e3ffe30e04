#include "shield/ingest/sink_delivery.hpp"

#include <prometheus/registry.h>

#include <gtest/gtest.h>

#include "unit/ingest/ingest_test_support.hpp"
#include "unit/resilience/metric_reader.hpp"

namespace shield::ingest {
namespace {

using backend::BackendErrorCode;
using namespace std::chrono_literals;
using testing::make_document;
using testing::ScriptedSink;
using testing::sink_error;
using testing::TempDir;

// The pause a test uses: no waiting, the clock jumps by the delay.
boost::asio::awaitable<bool> jump_clock(ManualClock* clock, std::vector<Clock::Duration>* delays,
                                        std::function<void()> hook, Clock::Duration delay,
                                        CancellationToken cancel) {
  if (cancel.cancelled()) co_return false;
  delays->push_back(delay);
  clock->advance(delay);
  if (hook) hook();
  co_return !cancel.cancelled();
}

std::vector<std::string> sources(const std::vector<Document>& documents) {
  std::vector<std::string> out;
  out.reserve(documents.size());
  for (const auto& document : documents) out.push_back(document.source);
  return out;
}

class SinkDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto spool = DocumentSpool::open(dir_.path() / "documents");
    ASSERT_TRUE(spool);
    spool_ = std::move(*spool);
    options_.batch_documents = 2;
    options_.retry_budget = 10s;
    options_.retry_base_delay = 1s;
    options_.retry_max_delay = 8s;
  }

  void put(const std::vector<std::string>& names) {
    for (const auto& name : names) ASSERT_TRUE(spool_->put(make_document(name, "text of " + name)));
  }

  SinkDelivery delivery(double random = 0.5) {
    RetryPause pause = [this](Clock::Duration delay, CancellationToken cancel) {
      return jump_clock(&clock_, &delays_, on_pause_, delay, std::move(cancel));
    };
    return SinkDelivery(sink_, options_, clock_, std::move(pause), &registry_,
                        [random] { return random; });
  }

  Result<DeliveryReport> deliver(SinkDelivery& delivery, CancellationToken cancel = {},
                                 SinkDelivery::OnAccepted on_accepted = {}) {
    return loop_.run(
        delivery.deliver(*spool_, loop_.blocking(), std::move(cancel), std::move(on_accepted)));
  }

  double metric(const std::string& outcome) {
    return resilience::test_support::read_metric(registry_, "sink_documents_total",
                                                 {{"sink", "scripted"}, {"outcome", outcome}})
        .value_or(-1);
  }

  std::vector<std::string> spooled() {
    std::vector<std::string> out;
    for (const auto& entry : spool_->list()) out.push_back(spool_->read(entry)->source);
    return out;
  }

  TempDir dir_;
  testing::Loop loop_;
  ManualClock clock_;
  prometheus::Registry registry_;
  ScriptedSink sink_;
  std::unique_ptr<DocumentSpool> spool_;
  DeliveryOptions options_;
  std::vector<Clock::Duration> delays_;
  std::function<void()> on_pause_;
};

backend::CallResult<SinkReceipt> accept_with_remote_job(const std::vector<Document>& documents,
                                                        std::size_t call) {
  SinkReceipt receipt;
  receipt.accepted = documents.size();
  receipt.remote_job_ids.push_back("remote_" + std::to_string(call));
  return receipt;
}

TEST_F(SinkDeliveryTest, DeliversEverythingInBatchesInSpoolOrder) {
  put({"d1", "d2", "d3", "d4", "d5"});
  sink_.set_script(accept_with_remote_job);
  SinkDelivery delivery = this->delivery();
  // Every series exists from the start, so dashboards show 0 rather than nothing.
  for (const char* outcome : {"accepted", "retried", "rejected", "failed", "corrupt"}) {
    EXPECT_EQ(metric(outcome), 0) << outcome;
  }
  std::vector<std::vector<std::string>> journaled;
  const auto report = deliver(delivery, {}, [&](const SinkReceipt& receipt) {
    journaled.push_back(receipt.remote_job_ids);
    // Remote ids are recorded while the documents are still spooled: a crash right here
    // re-delivers them rather than losing track of the remote job.
    EXPECT_FALSE(spool_->list().empty());
  });
  ASSERT_TRUE(report) << report.error().message;
  const auto batches = sink_.batches();
  ASSERT_EQ(batches.size(), 3U);
  EXPECT_EQ(sources(batches[0]), (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ(sources(batches[1]), (std::vector<std::string>{"d3", "d4"}));
  EXPECT_EQ(sources(batches[2]), (std::vector<std::string>{"d5"}));
  EXPECT_EQ(batches[0][0].markdown, "text of d1");
  EXPECT_EQ(report->delivered, 5U);
  EXPECT_EQ(report->batches, 3U);
  EXPECT_EQ(report->failed_attempts, 0U);
  EXPECT_EQ(report->remote_job_ids, (std::vector<std::string>{"remote_0", "remote_1", "remote_2"}));
  EXPECT_EQ(journaled.size(), 3U);
  EXPECT_EQ(spool_->size(), 0U);
  EXPECT_TRUE(testing::file_names(spool_->directory()).empty());
  EXPECT_EQ(metric("accepted"), 5);
  EXPECT_TRUE(delays_.empty());
}

TEST_F(SinkDeliveryTest, RetriesAfterExponentialJitteredPauses) {
  put({"d1"});
  sink_.set_script([](const std::vector<Document>& documents, std::size_t call) {
    if (call < 4)
      return backend::CallResult<SinkReceipt>(
          tl::unexpected(sink_error(BackendErrorCode::kUnavailable, "connection refused")));
    return accept_with_remote_job(documents, call);
  });
  options_.retry_budget = 60s;
  SinkDelivery delivery = this->delivery(0.5);
  const auto report = deliver(delivery);
  ASSERT_TRUE(report) << report.error().message;
  // Ceilings 1, 2, 4, 8 s; a random draw of 0.5 lands three quarters of the way up.
  EXPECT_EQ(delays_, (std::vector<Clock::Duration>{750ms, 1500ms, 3s, 6s}));
  EXPECT_EQ(report->failed_attempts, 4U);
  EXPECT_EQ(report->delivered, 1U);
  EXPECT_EQ(metric("retried"), 4);
  EXPECT_EQ(metric("accepted"), 1);
  EXPECT_EQ(sink_.batches().size(), 5U);
}

TEST_F(SinkDeliveryTest, TheJitterStaysWithinTheUpperHalfOfTheCeiling) {
  put({"d1"});
  options_.retry_budget = 600s;
  sink_.set_script([](const std::vector<Document>& documents, std::size_t call) {
    if (call < 6)
      return backend::CallResult<SinkReceipt>(
          tl::unexpected(sink_error(BackendErrorCode::kTimeout, "no answer")));
    return accept_with_remote_job(documents, call);
  });
  SinkDelivery low = delivery(0.0);
  ASSERT_TRUE(deliver(low));
  EXPECT_EQ(delays_, (std::vector<Clock::Duration>{500ms, 1s, 2s, 4s, 4s, 4s}));  // max 8 s
}

TEST_F(SinkDeliveryTest, GivesUpWhenTheBudgetIsSpentAndKeepsTheDocuments) {
  put({"d1", "d2", "d3"});
  sink_.set_script([](const std::vector<Document>&, std::size_t) {
    return backend::CallResult<SinkReceipt>(tl::unexpected(sink_error(
        BackendErrorCode::kUnavailable, "Orchestrator at http://127.0.0.1:8000 is unavailable")));
  });
  SinkDelivery delivery = this->delivery(0.5);
  const auto report = deliver(delivery);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kUnavailable);
  const std::string& message = report.error().message;
  EXPECT_NE(message.find("sink 'scripted' kept failing for 10 s"), std::string::npos) << message;
  EXPECT_NE(message.find("5 attempts in a row"), std::string::npos) << message;
  EXPECT_NE(message.find("Orchestrator at http://127.0.0.1:8000 is unavailable"),
            std::string::npos);
  EXPECT_NE(message.find("3 undelivered documents kept in " + spool_->directory().string()),
            std::string::npos)
      << message;
  // The last pause is cut to end exactly when the budget does.
  EXPECT_EQ(delays_, (std::vector<Clock::Duration>{750ms, 1500ms, 3s, 4750ms}));
  EXPECT_EQ(spooled(), (std::vector<std::string>{"d1", "d2", "d3"}));
  EXPECT_EQ(metric("failed"), 3);
  EXPECT_EQ(metric("retried"), 10);  // 5 attempts of a 2-document batch
  EXPECT_EQ(metric("accepted"), 0);
}

TEST_F(SinkDeliveryTest, WaitsAtLeastWhatTheBackendAsksWithinTheMaximum) {
  put({"d1"});
  options_.retry_budget = 600s;
  sink_.set_script([](const std::vector<Document>& documents, std::size_t call) {
    if (call == 0) {
      return backend::CallResult<SinkReceipt>(
          tl::unexpected(sink_error(BackendErrorCode::kUnavailable, "breaker open", 5)));
    }
    if (call == 1) {
      return backend::CallResult<SinkReceipt>(
          tl::unexpected(sink_error(BackendErrorCode::kBusy, "bulkhead full", 120)));
    }
    return accept_with_remote_job(documents, call);
  });
  SinkDelivery delivery = this->delivery(0.5);
  ASSERT_TRUE(deliver(delivery));
  EXPECT_EQ(delays_, (std::vector<Clock::Duration>{5s, 8s}));
}

TEST_F(SinkDeliveryTest, ASuccessStartsTheNextFailureWithAFreshBudgetAndBackoff) {
  put({"d1", "d2", "d3", "d4"});
  options_.retry_budget = 4s;
  // Batch 1 fails twice (2.25 s), batch 2 three times: counted from the first failure ever,
  // the budget would run out at 4 s, during batch 2's third failure.
  sink_.set_script([](const std::vector<Document>& documents, std::size_t call) {
    if (call == 0 || call == 1 || call == 3 || call == 4 || call == 5) {
      return backend::CallResult<SinkReceipt>(
          tl::unexpected(sink_error(BackendErrorCode::kUnavailable, "flapping")));
    }
    return accept_with_remote_job(documents, call);
  });
  SinkDelivery delivery = this->delivery(0.5);
  const auto report = deliver(delivery);
  ASSERT_TRUE(report) << report.error().message;
  // The last pause is cut to what is left of batch 2's own budget (4 s - 2.25 s).
  EXPECT_EQ(delays_, (std::vector<Clock::Duration>{750ms, 1500ms, 750ms, 1500ms, 1750ms}));
  EXPECT_EQ(report->delivered, 4U);
}

TEST_F(SinkDeliveryTest, ARefusedDocumentIsIsolatedAndKeptWhileTheOthersGo) {
  put({"d1", "bad", "d3", "d4"});
  options_.batch_documents = 4;
  sink_.set_script([](const std::vector<Document>& documents, std::size_t call) {
    for (const auto& document : documents) {
      if (document.source == "bad") {
        auto error = sink_error(BackendErrorCode::kRejected, "HTTP 413: payload too large");
        error.http_status = 413;
        return backend::CallResult<SinkReceipt>(tl::unexpected(error));
      }
    }
    return accept_with_remote_job(documents, call);
  });
  SinkDelivery delivery = this->delivery();
  const auto report = deliver(delivery);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kFailedPrecondition);
  const std::string& message = report.error().message;
  EXPECT_NE(message.find("sink 'scripted' refused 1 document (first: bad: HTTP 413: payload too "
                         "large)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("3 others were delivered"), std::string::npos) << message;
  std::vector<std::vector<std::string>> seen;
  for (const auto& batch : sink_.batches()) seen.push_back(sources(batch));
  EXPECT_EQ(seen, (std::vector<std::vector<std::string>>{
                      {"d1", "bad", "d3", "d4"}, {"d1", "bad"}, {"d1"}, {"bad"}, {"d3", "d4"}}));
  EXPECT_EQ(spooled(), std::vector<std::string>{"bad"});
  EXPECT_TRUE(delays_.empty());  // a refusal is not retried
  EXPECT_EQ(metric("rejected"), 1);
  EXPECT_EQ(metric("accepted"), 3);
}

TEST_F(SinkDeliveryTest, CancellationStopsAtOnceAndKeepsTheDocuments) {
  put({"d1", "d2"});
  sink_.set_script([](const std::vector<Document>&, std::size_t) {
    return backend::CallResult<SinkReceipt>(
        tl::unexpected(sink_error(BackendErrorCode::kUnavailable, "down")));
  });
  CancellationSource source;
  on_pause_ = [&] { source.cancel("job cancelled by the caller"); };
  SinkDelivery delivery = this->delivery();
  const auto report = deliver(delivery, source.token());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kCancelled);
  EXPECT_NE(
      report.error().message.find("cancelled (job cancelled by the caller); 2 documents kept in"),
      std::string::npos)
      << report.error().message;
  EXPECT_EQ(sink_.batches().size(), 1U);
  EXPECT_EQ(spooled(), (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ(metric("failed"), 0);  // cancelled, not given up

  CancellationSource before;
  before.cancel();
  const auto early = deliver(delivery, before.token());
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(sink_.batches().size(), 1U);  // the sink was not called again
}

TEST_F(SinkDeliveryTest, ASinkThatReportsCancellationStopsTheDelivery) {
  put({"d1"});
  sink_.set_script([](const std::vector<Document>&, std::size_t) {
    return backend::CallResult<SinkReceipt>(
        tl::unexpected(sink_error(BackendErrorCode::kCancelled, "cancelled")));
  });
  SinkDelivery delivery = this->delivery();
  const auto report = deliver(delivery);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE(delays_.empty());
  EXPECT_EQ(spooled(), std::vector<std::string>{"d1"});
}

TEST_F(SinkDeliveryTest, SetsAsideAFileThatIsNotADocumentAndDeliversTheRest) {
  put({"d1", "d2", "d3"});
  const auto entries = spool_->list();
  testing::write_text(entries[1].path, "{ truncated");
  SinkDelivery delivery = this->delivery();
  const auto report = deliver(delivery);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->delivered, 2U);
  EXPECT_EQ(report->quarantined, 1U);
  EXPECT_EQ(metric("corrupt"), 1);
  EXPECT_TRUE(std::filesystem::exists(entries[1].path.string() + ".corrupt"));
  std::vector<std::string> delivered;
  for (const auto& batch : sink_.batches()) {
    for (const auto& source : sources(batch)) delivered.push_back(source);
  }
  EXPECT_EQ(delivered, (std::vector<std::string>{"d1", "d3"}));
}

TEST_F(SinkDeliveryTest, DocumentsPutWhileItRunsAreDeliveredToo) {
  put({"d1", "d2"});
  SinkDelivery delivery = this->delivery();
  bool added = false;
  const auto report = deliver(delivery, {}, [&](const SinkReceipt&) {
    if (!added) {
      added = true;
      ASSERT_TRUE(spool_->put(make_document("late", "extracted meanwhile")));
    }
  });
  ASSERT_TRUE(report);
  EXPECT_EQ(report->delivered, 3U);
  ASSERT_EQ(sink_.batches().size(), 2U);
  EXPECT_EQ(sources(sink_.batches()[1]), std::vector<std::string>{"late"});
  EXPECT_EQ(spool_->size(), 0U);
}

TEST_F(SinkDeliveryTest, ALaterRunDeliversWhatAnEarlierOneLeft) {
  put({"d1", "d2", "d3"});
  sink_.set_script([](const std::vector<Document>&, std::size_t) {
    return backend::CallResult<SinkReceipt>(
        tl::unexpected(sink_error(BackendErrorCode::kUnavailable, "down")));
  });
  options_.retry_budget = 0s;
  {
    SinkDelivery failing = delivery();
    ASSERT_FALSE(deliver(failing));
  }
  // The daemon restarts: a new spool object on the same directory, a working sink.
  spool_.reset();
  auto reopened = DocumentSpool::open(dir_.path() / "documents");
  ASSERT_TRUE(reopened);
  spool_ = std::move(*reopened);
  sink_.set_script({});
  SinkDelivery working = delivery();
  const auto report = deliver(working);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->delivered, 3U);
  EXPECT_EQ(spool_->size(), 0U);
}

TEST_F(SinkDeliveryTest, OptionsComeFromTheSinkSection) {
  config::SinkConfig sink;
  sink.batch_documents = 7;
  sink.retry_budget = std::chrono::milliseconds(1234);
  sink.retry_base_delay = std::chrono::milliseconds(5);
  sink.retry_max_delay = std::chrono::milliseconds(50);
  const DeliveryOptions options = DeliveryOptions::from(sink);
  EXPECT_EQ(options.batch_documents, 7U);
  EXPECT_EQ(options.retry_budget.count(), 1234);
  EXPECT_EQ(options.retry_base_delay.count(), 5);
  EXPECT_EQ(options.retry_max_delay.count(), 50);
}

TEST(TimerPause, ReturnsFalseAtOnceWhenCancelled) {
  testing::Loop loop;
  CancellationSource source;
  source.cancel();
  const RetryPause pause = timer_pause();
  EXPECT_FALSE(loop.run(pause(std::chrono::hours(1), source.token())));
  EXPECT_TRUE(loop.run(pause(Clock::Duration::zero(), {})));
}

TEST(TimerPause, ACancelWakesAPauseInProgress) {
  testing::Loop loop;
  CancellationSource source;
  const RetryPause pause = timer_pause();
  auto woken = boost::asio::co_spawn(loop.io(), pause(std::chrono::hours(1), source.token()),
                                     boost::asio::use_future);
  source.cancel("shutdown");
  ASSERT_EQ(woken.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_FALSE(woken.get());
}

}  // namespace
}  // namespace shield::ingest
