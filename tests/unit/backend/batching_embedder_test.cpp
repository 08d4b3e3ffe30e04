#include "shield/backend/batching_embedder.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

namespace shield::backend {
namespace {

// A provider that answers from a script and records every request, without any network.
class ScriptedEmbedder final : public BatchingEmbedder {
 public:
  using Answer = std::function<CallResult<Embeddings>(const std::vector<std::string>&)>;

  ScriptedEmbedder(EmbedderSettings settings, Answer answer)
      : BatchingEmbedder(std::move(settings), "embedder", "http://embedder.test", nullptr),
        answer_(std::move(answer)) {}

  std::vector<std::vector<std::string>> requests;
  std::size_t in_flight = 0;
  std::size_t most_in_flight = 0;
  int yields = 0;  // how often a request gives the loop away before it answers

 private:
  boost::asio::awaitable<CallResult<Embeddings>> embed_batch(const Batch& batch,
                                                             CancellationToken) override {
    requests.push_back(batch.texts);
    most_in_flight = std::max(most_in_flight, ++in_flight);
    for (int i = 0; i < yields; ++i) {
      co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                 boost::asio::use_awaitable);
    }
    --in_flight;
    co_return answer_(batch.texts);
  }

  Answer answer_;
};

// A vector that encodes its text, so tests can check which vector went where.
Embedding vector_for(const std::string& text, std::size_t dims = 3) {
  Embedding v(dims, 0.0F);
  v[0] = static_cast<float>(text.size());
  v[1] = static_cast<float>(static_cast<unsigned char>(text.empty() ? 0 : text[0]));
  return v;
}

CallResult<Embeddings> echo(const std::vector<std::string>& texts) {
  Embeddings out;
  for (const auto& t : texts) out.push_back(vector_for(t));
  return out;
}

EmbedderSettings settings_with(std::size_t batch_size, std::size_t concurrency = 4) {
  EmbedderSettings settings;
  settings.model = "m";
  settings.batch_size = batch_size;
  settings.max_concurrency = concurrency;
  return settings;
}

CallResult<Embeddings> run(Embedder& embedder, std::vector<std::string> texts) {
  boost::asio::io_context io;
  auto future =
      boost::asio::co_spawn(io, embedder.embed(std::move(texts)), boost::asio::use_future);
  io.run();
  return future.get();
}

TEST(BatchingEmbedder, SplitsIntoBatchesAndKeepsTheOrder) {
  ScriptedEmbedder embedder(settings_with(2), echo);
  const std::vector<std::string> texts = {"alpha", "bb", "c", "dddd", "eeeee"};
  auto result = run(embedder, texts);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ((*result)[i], vector_for(texts[i]));
  ASSERT_EQ(embedder.requests.size(), 3U);
  EXPECT_EQ(embedder.requests[0], (std::vector<std::string>{"alpha", "bb"}));
  EXPECT_EQ(embedder.requests[1], (std::vector<std::string>{"c", "dddd"}));
  EXPECT_EQ(embedder.requests[2], (std::vector<std::string>{"eeeee"}));
  EXPECT_EQ(embedder.dimensions(), 3U);
}

TEST(BatchingEmbedder, AnswersRepeatsFromTheCacheAndSendsDuplicatesOnce) {
  ScriptedEmbedder embedder(settings_with(10), echo);
  ASSERT_TRUE(run(embedder, {"one", "two", "one"}));
  ASSERT_EQ(embedder.requests.size(), 1U);
  EXPECT_EQ(embedder.requests[0], (std::vector<std::string>{"one", "two"}));

  auto again = run(embedder, {"two", "three", "one"});
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0], vector_for("two"));
  EXPECT_EQ((*again)[1], vector_for("three"));
  EXPECT_EQ((*again)[2], vector_for("one"));
  ASSERT_EQ(embedder.requests.size(), 2U);
  EXPECT_EQ(embedder.requests[1], (std::vector<std::string>{"three"}));
  EXPECT_EQ(embedder.cache().hits(), 2U);
  EXPECT_EQ(embedder.cache().entries(), 3U);
}

TEST(BatchingEmbedder, AnEmptyListNeedsNoRequest) {
  ScriptedEmbedder embedder(settings_with(4), echo);
  auto result = run(embedder, {});
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->empty());
  EXPECT_TRUE(embedder.requests.empty());
}

TEST(BatchingEmbedder, KeepsAtMostMaxConcurrencyRequestsInFlight) {
  ScriptedEmbedder embedder(settings_with(1, 2), echo);
  embedder.yields = 3;
  boost::asio::io_context io;
  std::vector<std::future<CallResult<Embeddings>>> calls;
  for (int i = 0; i < 6; ++i) {
    calls.push_back(boost::asio::co_spawn(io, embedder.embed({"text " + std::to_string(i)}),
                                          boost::asio::use_future));
  }
  io.run();
  for (auto& call : calls) EXPECT_TRUE(call.get());
  EXPECT_EQ(embedder.requests.size(), 6U);
  EXPECT_EQ(embedder.most_in_flight, 2U);
  EXPECT_EQ(embedder.concurrency().in_use(), 0U);
}

TEST(BatchingEmbedder, WithoutALimitTheSameLoadRunsAllAtOnce) {
  // The control for the test above: the yields do let requests overlap.
  ScriptedEmbedder embedder(settings_with(1, 100), echo);
  embedder.yields = 3;
  boost::asio::io_context io;
  std::vector<std::future<CallResult<Embeddings>>> calls;
  for (int i = 0; i < 6; ++i) {
    calls.push_back(boost::asio::co_spawn(io, embedder.embed({"text " + std::to_string(i)}),
                                          boost::asio::use_future));
  }
  io.run();
  EXPECT_EQ(embedder.most_in_flight, 6U);
}

TEST(BatchingEmbedder, AWrongNumberOfVectorsIsAnError) {
  ScriptedEmbedder embedder(settings_with(8), [](const std::vector<std::string>&) {
    return CallResult<Embeddings>(Embeddings{vector_for("x")});
  });
  auto result = run(embedder, {"a", "b"});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, BackendErrorCode::kUnavailable);
  EXPECT_EQ(result.error().backend, "embedder");
  EXPECT_NE(result.error().message.find("1 vectors for 2 inputs"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(embedder.cache().entries(), 0U);
}

TEST(BatchingEmbedder, VectorsOfTheWrongConfiguredSizeAreAnError) {
  EmbedderSettings settings = settings_with(8);
  settings.dimensions = 5;
  ScriptedEmbedder embedder(settings, echo);  // answers 3-dim vectors
  auto result = run(embedder, {"a"});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("asked for 5-dim vectors, got 3"), std::string::npos)
      << result.error().message;
}

TEST(BatchingEmbedder, AModelThatChangesSizeIsAnError) {
  std::size_t dims = 3;
  ScriptedEmbedder embedder(settings_with(8), [&dims](const std::vector<std::string>& texts) {
    Embeddings out;
    for (const auto& t : texts) out.push_back(vector_for(t, dims));
    return CallResult<Embeddings>(out);
  });
  ASSERT_TRUE(run(embedder, {"a"}));
  dims = 4;
  auto result = run(embedder, {"b"});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("3-dim vectors earlier and 4-dim vectors now"),
            std::string::npos)
      << result.error().message;
}

TEST(BatchingEmbedder, AProviderErrorStopsTheCallAndIsPassedThrough) {
  int calls = 0;
  ScriptedEmbedder embedder(settings_with(1), [&calls](const std::vector<std::string>& texts) {
    if (++calls == 2) {
      BackendError error;
      error.code = BackendErrorCode::kTimeout;
      error.backend = "embedder";
      error.message = "timed out";
      return CallResult<Embeddings>(tl::unexpected(error));
    }
    return echo(texts);
  });
  auto result = run(embedder, {"a", "b", "c"});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, BackendErrorCode::kTimeout);
  EXPECT_EQ(embedder.requests.size(), 2U);    // "c" was never sent
  EXPECT_EQ(embedder.cache().entries(), 1U);  // "a" is kept for next time
}

TEST(BatchingEmbedder, ACancelledCallWaitingForAPermitEndsCancelled) {
  ScriptedEmbedder embedder(settings_with(1, 1), echo);
  embedder.yields = 5;
  boost::asio::io_context io;
  CancellationSource source;
  auto first = boost::asio::co_spawn(io, embedder.embed({"first"}), boost::asio::use_future);
  auto second = boost::asio::co_spawn(io, embedder.embed({"second"}, source.token()),
                                      boost::asio::use_future);
  io.poll_one();  // let both start; the second now waits for the only permit
  io.poll_one();
  source.cancel("caller went away");
  io.run();
  EXPECT_TRUE(first.get());
  auto result = second.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, BackendErrorCode::kCancelled);
  EXPECT_EQ(embedder.requests.size(), 1U);
}

}  // namespace
}  // namespace shield::backend
