#include "shield/mcp/json_rpc.hpp"

#include <string>

#include <gtest/gtest.h>

namespace shield::mcp {
namespace {

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(ParseJson, ParsesAnObject) {
  auto parsed = parse_json(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((*parsed)["method"], "ping");
  EXPECT_EQ((*parsed)["id"], 1);
}

TEST(ParseJson, MalformedTextIsAnInvalidArgumentThatMapsToParseError) {
  auto parsed = parse_json(R"({"jsonrpc":"2.0",)");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  const Json response = error_response_for(parsed.error());
  EXPECT_EQ(response["error"]["code"], kParseError);
  EXPECT_TRUE(response["id"].is_null());
  EXPECT_EQ(response["jsonrpc"], "2.0");
}

TEST(ParseJson, InvalidUtf8IsAParseError) {
  auto parsed = parse_json("{\"a\":\"\xff\xfe\"}");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
}

TEST(ParseJson, RefusesTextOverTheSizeLimit) {
  const std::string text = R"({"padding":")" + std::string(100, 'x') + R"("})";
  auto parsed = parse_json(text, 50, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(parsed.error().message.find("50"), std::string::npos);
  EXPECT_EQ(error_response_for(parsed.error())["error"]["code"], kInvalidRequest);
  EXPECT_TRUE(parse_json(text, text.size(), 64));
}

TEST(ParseJson, DepthLimitIsExact) {
  EXPECT_TRUE(parse_json(nested_arrays(10), 1024, 10));
  auto too_deep = parse_json(nested_arrays(11), 1024, 10);
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(too_deep.error().message.find("nesting"), std::string::npos);
}

TEST(ParseJson, HostileNestingIsRefusedWithoutParsing) {
  auto parsed = parse_json(std::string(1'000'000, '['), 2'000'000, 64);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kResourceExhausted);
}

TEST(ParseJson, BracketsInsideStringsDoNotCountAsNesting) {
  auto parsed = parse_json(R"({"a":"[[[[[[[[\"{{{{{{"})", 1024, 1);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((*parsed)["a"], "[[[[[[[[\"{{{{{{");
}

TEST(Classify, RequestsTakeStringOrIntegerIds) {
  auto by_number = classify(Json::parse(R"({"jsonrpc":"2.0","id":7,"method":"ping"})"));
  EXPECT_EQ(by_number.kind, MessageKind::kRequest);
  EXPECT_EQ(by_number.id, 7);
  auto by_string = classify(Json::parse(R"({"jsonrpc":"2.0","id":"a-1","method":"ping"})"));
  EXPECT_EQ(by_string.kind, MessageKind::kRequest);
  EXPECT_EQ(by_string.id, "a-1");
  auto negative = classify(Json::parse(R"({"jsonrpc":"2.0","id":-3,"method":"ping"})"));
  EXPECT_EQ(negative.kind, MessageKind::kRequest);
}

TEST(Classify, UnusableIdsAreInvalidAndAnsweredWithNullId) {
  for (const char* id : {"null", "1.5", "true", "{}", "[1]"}) {
    const Json message =
        Json::parse(std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") + id + "}");
    const auto classified = classify(message);
    EXPECT_EQ(classified.kind, MessageKind::kInvalid) << id;
    EXPECT_TRUE(classified.id.is_null()) << id;
    EXPECT_NE(classified.problem.find("id"), std::string::npos) << id;
  }
}

TEST(Classify, NotificationHasMethodAndNoId) {
  auto classified = classify(Json::parse(R"({"jsonrpc":"2.0","method":"notifications/x"})"));
  EXPECT_EQ(classified.kind, MessageKind::kNotification);
}

TEST(Classify, ResponsesCarryResultOrError) {
  EXPECT_EQ(classify(Json::parse(R"({"jsonrpc":"2.0","id":1,"result":{}})")).kind,
            MessageKind::kResponse);
  EXPECT_EQ(
      classify(Json::parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}})")).kind,
      MessageKind::kResponse);
  EXPECT_EQ(classify(Json::parse(R"({"jsonrpc":"2.0","result":{}})")).kind, MessageKind::kInvalid);
  EXPECT_EQ(classify(Json::parse(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})")).kind,
            MessageKind::kInvalid);
}

TEST(Classify, JsonrpcMustBeExactly20) {
  for (const char* version : {R"("1.0")", R"("2.00")", "2.0", "null"}) {
    const Json message =
        Json::parse(std::string(R"({"id":4,"method":"ping","jsonrpc":)") + version + "}");
    const auto classified = classify(message);
    EXPECT_EQ(classified.kind, MessageKind::kInvalid) << version;
    EXPECT_EQ(classified.id, 4) << "a readable id is echoed";
    EXPECT_NE(classified.problem.find("jsonrpc"), std::string::npos);
  }
  EXPECT_EQ(classify(Json::parse(R"({"id":4,"method":"ping"})")).kind, MessageKind::kInvalid);
}

TEST(Classify, OtherShapesAreInvalid) {
  EXPECT_EQ(classify(Json::array()).kind, MessageKind::kInvalid);
  EXPECT_EQ(classify(Json("text")).kind, MessageKind::kInvalid);
  EXPECT_EQ(classify(Json::parse(R"({"jsonrpc":"2.0","id":1})")).kind, MessageKind::kInvalid);
  auto bad_method = classify(Json::parse(R"({"jsonrpc":"2.0","id":1,"method":5})"));
  EXPECT_EQ(bad_method.kind, MessageKind::kInvalid);
  EXPECT_NE(bad_method.problem.find("method"), std::string::npos);
}

TEST(RequestKey, NumberAndStringIdsStayDistinct) {
  EXPECT_NE(request_key(Json(1)), request_key(Json("1")));
  EXPECT_EQ(request_key(Json(1)), request_key(Json::parse("1")));
}

TEST(Builders, ShapeResponsesAndNotifications) {
  EXPECT_EQ(make_result(Json(3), Json::object()),
            Json::parse(R"({"jsonrpc":"2.0","id":3,"result":{}})"));
  EXPECT_EQ(
      make_error(Json("x"), kMethodNotFound, "Method not found: y"),
      Json::parse(
          R"({"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"Method not found: y"}})"));
  EXPECT_EQ(make_error(nullptr, kResourceNotFound, "Resource not found", Json{{"uri", "a://b"}}),
            Json::parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32002,)"
                        R"("message":"Resource not found","data":{"uri":"a://b"}}})"));
  EXPECT_EQ(make_notification("notifications/progress", Json{{"progress", 1}}),
            Json::parse(
                R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}})"));
}

TEST(StatelessHttpStatus, FollowsTheErrorCode) {
  EXPECT_EQ(stateless_http_status(make_result(1, Json::object())), 200u);
  EXPECT_EQ(stateless_http_status(make_error(1, kMethodNotFound, "x")), 404u);
  EXPECT_EQ(stateless_http_status(make_error(1, kInternalError, "x")), 500u);
  for (int code : {kHeaderMismatch, kMissingRequiredClientCapability, kUnsupportedProtocolVersion,
                   kInvalidParams, kInvalidRequest, kParseError}) {
    EXPECT_EQ(stateless_http_status(make_error(1, code, "x")), 400u) << code;
  }
}

TEST(Codes, MatchTheSpecifications) {
  EXPECT_EQ(kParseError, -32700);
  EXPECT_EQ(kInvalidRequest, -32600);
  EXPECT_EQ(kMethodNotFound, -32601);
  EXPECT_EQ(kInvalidParams, -32602);
  EXPECT_EQ(kInternalError, -32603);
  EXPECT_EQ(kResourceNotFound, -32002);
  EXPECT_EQ(kHeaderMismatch, -32020);
  EXPECT_EQ(kMissingRequiredClientCapability, -32021);
  EXPECT_EQ(kUnsupportedProtocolVersion, -32022);
}

}  // namespace
}  // namespace shield::mcp
