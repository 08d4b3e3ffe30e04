#include "shield/transport/sse_event.hpp"

#include <gtest/gtest.h>

namespace shield::transport {
namespace {

TEST(SseEvent, MessageEventCarriesIdTypeAndOneDataLine) {
  EXPECT_EQ(format_message_event(EventId{3, 17}, R"({"jsonrpc":"2.0","id":1,"result":{}})"),
            "id: 3-17\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n");
}

TEST(SseEvent, UnnumberedMessageEventHasNoId) {
  EXPECT_EQ(format_message_event(R"({"a":1})"), "event: message\ndata: {\"a\":1}\n\n");
}

TEST(SseEvent, PrimingEventHasIdRetryAndEmptyData) {
  // The data line must be present: SSE parsers dispatch only events with a data field.
  EXPECT_EQ(format_priming_event(EventId{2, 0}, std::chrono::milliseconds(1500)),
            "id: 2-0\nretry: 1500\ndata: \n\n");
}

TEST(SseEvent, CommentIsIgnoredByClientsButIsTraffic) {
  EXPECT_EQ(format_comment("keepalive"), ": keepalive\n\n");
}

TEST(SseEvent, EventIdRoundTrips) {
  const EventId id{18446744073709551615ULL, 42};
  auto parsed = parse_event_id(id.to_string());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, id);
}

TEST(SseEvent, RejectsIdsWeNeverIssue) {
  for (const char* text : {"", "7", "7-", "-7", "a-1", "1-b", "1-2-3", " 1-2", "1-2 ", "+1-2",
                           "1--2", "99999999999999999999-1", "18446744073709551616-0"}) {
    EXPECT_FALSE(parse_event_id(text).has_value()) << "accepted '" << text << "'";
  }
}

}  // namespace
}  // namespace shield::transport
