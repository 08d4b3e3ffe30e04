#include "shield/transport/sse_stream.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace shield::transport {
namespace {

using mcp::Json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Records what the stream writes; close() runs the on_closed callback like the server does.
class RecordingConnection final : public http::ResponseStream {
 public:
  bool write(std::string data) override {
    if (closed_) return false;
    writes.push_back(std::move(data));
    return true;
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    if (on_closed_) on_closed_();
  }
  [[nodiscard]] bool closed() const override { return closed_; }
  void on_closed(std::function<void()> callback) override { on_closed_ = std::move(callback); }

  std::vector<std::string> writes;

 private:
  bool closed_ = false;
  std::function<void()> on_closed_;
};

Json note(int n) {
  return Json{
      {"jsonrpc", "2.0"}, {"method", "notifications/progress"}, {"params", {{"progress", n}}}};
}

std::string event(std::uint64_t stream, std::uint64_t sequence, const Json& message) {
  return format_message_event(EventId{stream, sequence}, message.dump());
}

TEST(SseStream, NumbersEventsAfterThePrimingEvent) {
  SseStream stream(4, 16, true);
  auto connection = std::make_shared<RecordingConnection>();
  stream.attach(connection);
  stream.prime(std::chrono::milliseconds(500));
  stream.send(note(1));
  stream.send(note(2));
  EXPECT_THAT(connection->writes, ElementsAre("id: 4-0\nretry: 500\ndata: \n\n",
                                              event(4, 1, note(1)), event(4, 2, note(2))));
  EXPECT_EQ(stream.last_event_id(), (EventId{4, 2}));
}

TEST(SseStream, ResumeReplaysWhatCameAfterTheLastSeenEventThenContinues) {
  SseStream stream(1, 16, true);
  auto first = std::make_shared<RecordingConnection>();
  stream.attach(first);
  stream.prime(std::chrono::milliseconds(500));
  stream.send(note(1));
  stream.send(note(2));

  auto second = std::make_shared<RecordingConnection>();
  EXPECT_TRUE(stream.attach(second, 1));
  // The old connection is closed by us, which is not the client losing the stream.
  EXPECT_TRUE(first->closed());
  EXPECT_FALSE(stream.connection_lost(first.get()));
  stream.send(note(3));
  EXPECT_THAT(second->writes, ElementsAre(event(1, 2, note(2)), event(1, 3, note(3))));
  EXPECT_FALSE(second->closed());
}

TEST(SseStream, ResumingAFinishedStreamReplaysAndCloses) {
  SseStream stream(2, 16, true);
  stream.attach(std::make_shared<RecordingConnection>());
  stream.send(note(1));
  stream.send(note(2));
  stream.finish();
  EXPECT_TRUE(stream.finished());

  auto late = std::make_shared<RecordingConnection>();
  EXPECT_TRUE(stream.attach(late, 0));
  EXPECT_THAT(late->writes, ElementsAre(event(2, 1, note(2))));
  EXPECT_TRUE(late->closed());
  // Nothing is sent after the end.
  stream.send(note(3));
  EXPECT_THAT(late->writes, ElementsAre(event(2, 1, note(2))));
}

TEST(SseStream, ReportsAReplayWindowThatNoLongerReachesBackFarEnough) {
  SseStream stream(3, 1, true);
  stream.attach(std::make_shared<RecordingConnection>());
  stream.prime(std::chrono::milliseconds(100));
  stream.send(note(1));
  stream.send(note(2));
  auto resumed = std::make_shared<RecordingConnection>();
  EXPECT_FALSE(stream.attach(resumed, 0));
  EXPECT_THAT(resumed->writes, ElementsAre(event(3, 2, note(2))));
}

TEST(SseStream, UnresumableStreamsCarryNoIdsAndKeepNothing) {
  SseStream stream(0, 16, false);
  auto connection = std::make_shared<RecordingConnection>();
  stream.attach(connection);
  stream.send(note(1));
  EXPECT_THAT(connection->writes, ElementsAre(format_message_event(note(1).dump())));
  auto resumed = std::make_shared<RecordingConnection>();
  stream.attach(resumed, 0);
  EXPECT_THAT(resumed->writes, IsEmpty());
}

TEST(SseStream, OnlyTheLiveConnectionOfAnUnfinishedStreamCountsAsLost) {
  SseStream stream(5, 16, true);
  CancellationSource call;
  stream.carry(call);
  auto connection = std::make_shared<RecordingConnection>();
  stream.attach(connection);
  auto stranger = std::make_shared<RecordingConnection>();
  EXPECT_FALSE(stream.connection_lost(stranger.get()));
  EXPECT_TRUE(stream.connected());
  EXPECT_TRUE(stream.connection_lost(connection.get()));
  EXPECT_FALSE(stream.connected());
  EXPECT_FALSE(call.cancelled());
  stream.trip_carried("client went away");
  EXPECT_TRUE(call.cancelled());
  EXPECT_EQ(call.token().reason(), "client went away");

  SseStream done(6, 16, true);
  auto finished_connection = std::make_shared<RecordingConnection>();
  done.attach(finished_connection);
  done.finish();
  EXPECT_FALSE(done.connection_lost(finished_connection.get()));
}

TEST(SseStream, KeepaliveIsACommentAndDisconnectKeepsTheStreamResumable) {
  SseStream stream(7, 16, true);
  auto connection = std::make_shared<RecordingConnection>();
  stream.attach(connection);
  stream.keepalive();
  EXPECT_THAT(connection->writes, ElementsAre(": keepalive\n\n"));
  stream.send(note(1));  // unprimed: the first event is number 0
  stream.disconnect();
  EXPECT_TRUE(connection->closed());
  EXPECT_FALSE(stream.finished());
  stream.send(note(2));  // kept while nobody listens
  auto again = std::make_shared<RecordingConnection>();
  stream.attach(again, 0);
  EXPECT_THAT(again->writes, ElementsAre(event(7, 1, note(2))));
  EXPECT_FALSE(again->closed());
}

}  // namespace
}  // namespace shield::transport
