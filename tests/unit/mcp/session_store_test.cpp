#include <chrono>
#include <set>

#include <gtest/gtest.h>

#include "shield/mcp/session.hpp"

namespace shield::mcp {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class SessionStoreTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  SessionStore store_{clock_, 3, minutes(10)};
};

TEST_F(SessionStoreTest, IdsAre128BitHexAndUnique) {
  std::set<std::string> ids;
  SessionStore big(clock_, 200, minutes(10));
  for (int i = 0; i < 200; ++i) {
    auto session = big.create();
    ASSERT_TRUE(session) << session.error().message;
    const std::string& id = (*session)->id();
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(big.size(), 200u);
}

TEST_F(SessionStoreTest, FindReturnsTheSameSession) {
  auto created = store_.create();
  ASSERT_TRUE(created);
  auto found = store_.find((*created)->id());
  ASSERT_TRUE(found);
  EXPECT_EQ(found->get(), created->get());
  auto missing = store_.find("0123456789abcdef0123456789abcdef");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(SessionStoreTest, IdleSessionsExpire) {
  auto session = store_.create();
  ASSERT_TRUE(session);
  const std::string id = (*session)->id();
  clock_.advance(minutes(10));
  EXPECT_EQ(store_.expire_idle(), 0u) << "exactly the timeout is not yet idle";
  clock_.advance(seconds(1));
  EXPECT_EQ(store_.expire_idle(), 1u);
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(store_.find(id).error().code, ErrorCode::kNotFound);
}

TEST_F(SessionStoreTest, FindCountsAsActivity) {
  auto session = store_.create();
  ASSERT_TRUE(session);
  const std::string id = (*session)->id();
  clock_.advance(minutes(9));
  ASSERT_TRUE(store_.find(id));
  clock_.advance(minutes(9));
  EXPECT_EQ(store_.expire_idle(), 0u);
  ASSERT_TRUE(store_.find(id));
}

TEST_F(SessionStoreTest, FindRefusesAnExpiredSessionEvenBeforeTheSweep) {
  auto session = store_.create();
  ASSERT_TRUE(session);
  clock_.advance(minutes(11));
  auto found = store_.find((*session)->id());
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(SessionStoreTest, ASessionWithARequestInFlightIsNotIdle) {
  auto session = store_.create();
  ASSERT_TRUE(session);
  CancellationSource source;
  ASSERT_TRUE((*session)->track_request("1", source));
  clock_.advance(minutes(30));
  EXPECT_EQ(store_.expire_idle(), 0u);
  (*session)->finish_request("1");
  EXPECT_EQ(store_.expire_idle(), 1u);
  EXPECT_FALSE(source.cancelled());
}

TEST_F(SessionStoreTest, TheBoundExpiresIdleSessionsFirst) {
  auto first = store_.create();
  ASSERT_TRUE(first);
  clock_.advance(minutes(11));
  ASSERT_TRUE(store_.create());
  ASSERT_TRUE(store_.create());
  auto fourth = store_.create();
  ASSERT_TRUE(fourth) << "the idle first session makes room";
  EXPECT_EQ(store_.size(), 3u);
  EXPECT_FALSE(store_.find((*first)->id()));
}

TEST_F(SessionStoreTest, TheBoundRefusesWhenNothingIsIdle) {
  ASSERT_TRUE(store_.create());
  ASSERT_TRUE(store_.create());
  ASSERT_TRUE(store_.create());
  auto refused = store_.create();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.error().message.find("3"), std::string::npos);
  EXPECT_EQ(store_.size(), 3u);
}

TEST_F(SessionStoreTest, TerminateCancelsInFlightRequests) {
  auto session = store_.create();
  ASSERT_TRUE(session);
  CancellationSource a;
  CancellationSource b;
  ASSERT_TRUE((*session)->track_request("1", a));
  ASSERT_TRUE((*session)->track_request("\"1\"", b));
  EXPECT_TRUE(store_.terminate((*session)->id()));
  EXPECT_TRUE(a.cancelled());
  EXPECT_TRUE(b.cancelled());
  EXPECT_EQ(a.token().reason(), "session terminated");
  EXPECT_FALSE(store_.terminate((*session)->id()));
  EXPECT_EQ(store_.find((*session)->id()).error().code, ErrorCode::kNotFound);
}

TEST_F(SessionStoreTest, CancelAllReachesEverySession) {
  auto one = store_.create();
  auto two = store_.create();
  ASSERT_TRUE(one && two);
  CancellationSource a;
  CancellationSource b;
  (*one)->track_request("1", a);
  (*two)->track_request("1", b);
  store_.cancel_all("shutdown");
  EXPECT_TRUE(a.cancelled());
  EXPECT_TRUE(b.cancelled());
  EXPECT_EQ(b.token().reason(), "shutdown");
  EXPECT_EQ(store_.size(), 2u) << "cancelling is not terminating";
}

TEST(Session, RequestsAreTrackedByIdKey) {
  Session session("s", ManualClock().now());
  CancellationSource number;
  CancellationSource text;
  EXPECT_TRUE(session.track_request("1", number));
  EXPECT_TRUE(session.track_request("\"1\"", text));
  EXPECT_FALSE(session.track_request("1", CancellationSource())) << "duplicate in-flight id";
  EXPECT_EQ(session.in_flight(), 2u);

  EXPECT_TRUE(session.cancel_request("\"1\"", "client said so"));
  EXPECT_TRUE(text.cancelled());
  EXPECT_EQ(text.token().reason(), "client said so");
  EXPECT_FALSE(number.cancelled());

  session.finish_request("1");
  EXPECT_FALSE(session.cancel_request("1", "late")) << "finished requests are unknown";
  EXPECT_FALSE(session.cancel_request("42", "never"));
  EXPECT_FALSE(number.cancelled());
}

TEST(Session, RemembersNegotiationLevelAndSubscriptions) {
  Session session("s", ManualClock().now());
  EXPECT_EQ(session.protocol_version(), "");
  EXPECT_EQ(session.log_level(), LogLevel::kInfo);
  session.set_negotiated("2025-06-18", Json{{"name", "c"}}, Json{{"sampling", Json::object()}});
  EXPECT_EQ(session.protocol_version(), "2025-06-18");
  EXPECT_EQ(session.client_info()["name"], "c");
  EXPECT_TRUE(session.client_capabilities().contains("sampling"));
  EXPECT_FALSE(session.initialized());
  session.mark_initialized();
  EXPECT_TRUE(session.initialized());
  session.set_log_level(LogLevel::kError);
  EXPECT_EQ(session.log_level(), LogLevel::kError);
  session.subscribe("test://a");
  EXPECT_TRUE(session.subscribed("test://a"));
  EXPECT_FALSE(session.subscribed("test://b"));
  session.unsubscribe("test://a");
  EXPECT_FALSE(session.subscribed("test://a"));
}

TEST(Session, StandaloneSinkIsOptional) {
  Session session("s", ManualClock().now());
  EXPECT_FALSE(session.send_standalone(Json::object()));
  Json seen;
  session.set_standalone_sink([&](const Json& message) {
    seen = message;
    return true;
  });
  EXPECT_TRUE(session.send_standalone(Json{{"method", "x"}}));
  EXPECT_EQ(seen["method"], "x");
}

}  // namespace
}  // namespace shield::mcp
