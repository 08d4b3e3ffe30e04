#include "engine_fixture.hpp"

#include <gtest/gtest.h>

#include "shield/mcp/json_rpc.hpp"

namespace shield::mcp::test_support {
namespace {

// ---------------------------------------------------------------------------------------
// Envelope

TEST_F(EngineTest, NotificationsAreNeverAnswered) {
  auto session = initialized_session();
  for (const char* method : {"notifications/initialized", "notifications/whatever",
                             "notifications/cancelled", "tools/list"}) {
    auto channel = send(Json{{"jsonrpc", "2.0"}, {"method", method}}, session);
    EXPECT_TRUE(channel->responses().empty()) << method;
    EXPECT_EQ(channel->cancelled_count(), 0) << method;
  }
  EXPECT_TRUE(session->initialized());
}

TEST_F(EngineTest, ResponsesFromTheClientAreIgnored) {
  auto session = initialized_session();
  auto channel = send(Json::parse(R"({"jsonrpc":"2.0","id":"srv-1","result":{}})"), session);
  EXPECT_TRUE(channel->responses().empty());
}

TEST_F(EngineTest, InvalidMessagesGetInvalidRequest) {
  auto session = initialized_session();
  expect_error(
      send(Json::parse(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})"), session)->response(),
      kInvalidRequest, "id", nullptr);
  expect_error(
      send(Json::parse(R"({"jsonrpc":"1.0","id":"a","method":"ping"})"), session)->response(),
      kInvalidRequest, "jsonrpc", "a");
  expect_error(send(Json::array(), session)->response(), kInvalidRequest, "object", nullptr);
}

TEST_F(EngineTest, ParamsMustBeAnObject) {
  auto session = initialized_session();
  auto channel =
      send(Json::parse(R"({"jsonrpc":"2.0","id":3,"method":"tools/list","params":[]})"), session);
  expect_error(channel->response(), kInvalidParams, "params must be an object", 3);
}

TEST_F(EngineTest, UnknownMethodIsNamed) {
  auto session = initialized_session();
  expect_error(send(request("x", "tools/destroy"), session)->response(), kMethodNotFound,
               "Method not found: tools/destroy", "x");
  expect_error(send(request(2, "server/discover"), session)->response(), kMethodNotFound,
               "server/discover", 2);
}

// ---------------------------------------------------------------------------------------
// initialize, ping, logging

TEST_F(EngineTest, InitializeNegotiatesAndStoresTheClient) {
  auto session = new_session();
  auto channel = send(request(0, "initialize",
                              {{"protocolVersion", "2025-06-18"},
                               {"capabilities", {{"elicitation", Json::object()}}},
                               {"clientInfo", {{"name", "c"}, {"version", "1"}}}}),
                      session);
  const Json result = channel->response()["result"];
  EXPECT_EQ(result["protocolVersion"], "2025-06-18");
  EXPECT_EQ(result["serverInfo"],
            Json::parse(R"({"name":"shield-mcp","title":"shield-mcp","version":"1.2.3"})"));
  EXPECT_EQ(result["instructions"], "Use the tools.");
  EXPECT_EQ(result["capabilities"], Json::parse(R"({"tools":{"listChanged":false},"logging":{},
                            "resources":{"subscribe":true,"listChanged":false},
                            "prompts":{"listChanged":false}})"));
  EXPECT_FALSE(result.contains("resultType"));
  EXPECT_EQ(session->protocol_version(), "2025-06-18");
  EXPECT_EQ(session->client_info()["name"], "c");
  EXPECT_TRUE(session->client_capabilities().contains("elicitation"));
}

TEST_F(EngineTest, InitializeAdvertisesTheCatalogWhenRegistered) {
  add_catalog();
  auto session = new_session();
  auto channel = send(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}), session);
  EXPECT_EQ(channel->response()["result"]["capabilities"],
            Json::parse(R"({"tools":{"listChanged":false},
                            "resources":{"subscribe":true,"listChanged":false},
                            "prompts":{"listChanged":false},"completions":{},"logging":{}})"));
}

TEST_F(EngineTest, InitializeAnswersOurLatestSessionRevisionForOthers) {
  for (const char* asked : {"2024-11-05", "2026-07-28", "banana"}) {
    auto session = new_session();
    auto channel = send(request(0, "initialize", {{"protocolVersion", asked}}), session);
    EXPECT_EQ(channel->response()["result"]["protocolVersion"], "2025-11-25") << asked;
    EXPECT_EQ(session->protocol_version(), "2025-11-25");
  }
}

TEST_F(EngineTest, InitializeOn20250326HasNoTitles) {
  auto session = new_session();
  auto channel = send(request(0, "initialize", {{"protocolVersion", "2025-03-26"}}), session);
  EXPECT_EQ(channel->response()["result"]["serverInfo"],
            Json::parse(R"({"name":"shield-mcp","version":"1.2.3"})"));
}

TEST_F(EngineTest, InitializeNeedsAProtocolVersion) {
  auto session = new_session();
  expect_error(
      send(request(0, "initialize", {{"capabilities", Json::object()}}), session)->response(),
      kInvalidParams, "protocolVersion", 0);
  expect_error(send(request(1, "initialize", {{"protocolVersion", 20251125}}), session)->response(),
               kInvalidParams, "protocolVersion", 1);
  EXPECT_EQ(session->protocol_version(), "");
}

TEST_F(EngineTest, InitializeTwiceIsRefused) {
  auto session = initialized_session();
  expect_error(
      send(request(5, "initialize", {{"protocolVersion", "2025-06-18"}}), session)->response(),
      kInvalidRequest, "already initialized", 5);
  EXPECT_EQ(session->protocol_version(), "2025-11-25");
}

TEST_F(EngineTest, PingAnswersExactlyAnEmptyObject) {
  auto session = initialized_session();
  EXPECT_EQ(send(request(9, "ping"), session)->response(),
            Json::parse(R"({"jsonrpc":"2.0","id":9,"result":{}})"));
  auto without_params = send(Json::parse(R"({"jsonrpc":"2.0","id":"p","method":"ping"})"), session);
  EXPECT_EQ(without_params->response()["result"], Json::object());
}

TEST_F(EngineTest, SetLevelStoresTheLevel) {
  auto session = initialized_session();
  auto channel = send(request(1, "logging/setLevel", {{"level", "warning"}}), session);
  EXPECT_EQ(channel->response()["result"], Json::object());
  EXPECT_EQ(session->log_level(), LogLevel::kWarning);
}

TEST_F(EngineTest, SetLevelNamesABadLevel) {
  auto session = initialized_session();
  expect_error(send(request(1, "logging/setLevel", {{"level", "loud"}}), session)->response(),
               kInvalidParams, "Invalid log level: loud", 1);
  expect_error(send(request(2, "logging/setLevel"), session)->response(), kInvalidParams, "level",
               2);
  EXPECT_EQ(session->log_level(), LogLevel::kInfo);
}

// ---------------------------------------------------------------------------------------
// Lists and pagination

TEST_F(EngineTest, ToolsListShowsTheRegisteredShape) {
  add_tool(
      "typed", R"({"type":"object"})",
      [](Json, ToolContext) -> asio::awaitable<ToolResult> { co_return ToolResult{}; },
      Json::parse(R"({"type":"object","properties":{"n":{"type":"integer"}}})"));
  auto session = initialized_session();
  const Json tools = send(request(1, "tools/list"), session)->response()["result"]["tools"];
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0], Json::parse(R"({"name":"echo","title":"echo title",
      "description":"echo description",
      "inputSchema":{"type":"object","properties":{"text":{"type":"string"}}}})"));
  EXPECT_EQ(tools[1]["outputSchema"]["properties"]["n"]["type"], "integer");
}

TEST_F(EngineTest, ToolsListOn20250326LeavesOutLaterFields) {
  add_tool(
      "typed", R"({"type":"object"})",
      [](Json, ToolContext) -> asio::awaitable<ToolResult> { co_return ToolResult{}; },
      Json::parse(R"({"type":"object"})"));
  auto session = initialized_session("2025-03-26");
  const Json tools = send(request(1, "tools/list"), session)->response()["result"]["tools"];
  for (const auto& tool : tools) {
    EXPECT_FALSE(tool.contains("title"));
    EXPECT_FALSE(tool.contains("outputSchema"));
    EXPECT_TRUE(tool.contains("inputSchema"));
  }
}

TEST_F(EngineTest, PaginatesInPagesOfTwo) {
  page_size_ = 2;
  for (const char* name : {"t2", "t3", "t4", "t5"}) {
    add_tool(name, R"({"type":"object"})",
             [](Json, ToolContext) -> asio::awaitable<ToolResult> { co_return ToolResult{}; });
  }
  auto session = initialized_session();
  std::vector<std::string> seen;
  Json params = Json::object();
  int pages = 0;
  while (true) {
    const Json result = send(request(pages, "tools/list", params), session)->response()["result"];
    ++pages;
    ASSERT_LE(result["tools"].size(), 2u);
    for (const auto& tool : result["tools"]) seen.push_back(tool["name"]);
    if (!result.contains("nextCursor")) break;
    ASSERT_TRUE(result["nextCursor"].is_string());
    params["cursor"] = result["nextCursor"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"echo", "t2", "t3", "t4", "t5"}));
}

TEST_F(EngineTest, InvalidCursorsAreRefused) {
  page_size_ = 1;
  add_catalog();
  add_tool("t2", R"({"type":"object"})",
           [](Json, ToolContext) -> asio::awaitable<ToolResult> { co_return ToolResult{}; });
  auto session = initialized_session();
  expect_error(send(request(1, "tools/list", {{"cursor", "not-a-cursor"}}), session)->response(),
               kInvalidParams, "Invalid cursor", 1);
  expect_error(send(request(2, "tools/list", {{"cursor", 3}}), session)->response(), kInvalidParams,
               "Invalid cursor", 2);
  const Json prompts_page = send(request(3, "resources/list"), session)->response()["result"];
  ASSERT_TRUE(prompts_page.contains("nextCursor"));
  expect_error(
      send(request(4, "tools/list", {{"cursor", prompts_page["nextCursor"]}}), session)->response(),
      kInvalidParams, "Invalid cursor", 4);
}

TEST_F(EngineTest, CatalogListsAndTheirShapes) {
  add_catalog();
  auto session = initialized_session();
  EXPECT_EQ(send(request(1, "resources/list"), session)->response()["result"]["resources"][0],
            Json::parse(R"({"uri":"test://static-text","name":"static-text","title":"Static",
                            "description":"A static resource","mimeType":"text/plain"})"));
  EXPECT_EQ(send(request(2, "resources/templates/list"), session)->response()["result"],
            Json::parse(R"({"resourceTemplates":[{"uriTemplate":"test://template/{id}/data",
                      "name":"template","description":"Template","mimeType":"application/json"}]})"));
  EXPECT_EQ(send(request(3, "prompts/list"), session)->response()["result"],
            Json::parse(R"({"prompts":[{"name":"greet","title":"Greet","description":"A greeting",
                "arguments":[{"name":"arg1","description":"first","required":true},
                             {"name":"arg2","description":"second","required":true}]}]})"));
}

TEST_F(EngineTest, AnEmptyCatalogIsServedAsEmptyListsButCompletionIsNotOffered) {
  auto session = initialized_session();
  EXPECT_EQ(send(request(1, "resources/list"), session)->response()["result"],
            Json::parse(R"({"resources":[]})"));
  EXPECT_EQ(send(request(2, "resources/templates/list"), session)->response()["result"],
            Json::parse(R"({"resourceTemplates":[]})"));
  EXPECT_EQ(send(request(3, "prompts/list"), session)->response()["result"],
            Json::parse(R"({"prompts":[]})"));
  expect_error(send(request(4, "resources/read", {{"uri", "test://nothing"}}), session)->response(),
               -32002, "test://nothing", 4);
  expect_error(send(request(5, "prompts/get", {{"name", "nothing"}}), session)->response(),
               kInvalidParams, "nothing", 5);
  expect_error(send(request(6, "completion/complete"), session)->response(), kMethodNotFound,
               "completion/complete", 6);
}

// ---------------------------------------------------------------------------------------
// Resources, prompts, completion

TEST_F(EngineTest, ReadsResourcesAndTemplates) {
  add_catalog();
  auto session = initialized_session();
  EXPECT_EQ(send(request(1, "resources/read", {{"uri", "test://static-text"}}), session)
                ->response()["result"],
            Json::parse(R"({"contents":[{"uri":"test://static-text","mimeType":"text/plain",
                            "text":"static content"}]})"));
  EXPECT_EQ(send(request(2, "resources/read", {{"uri", "test://template/123/data"}}), session)
                ->response()["result"]["contents"][0]["text"],
            "id=123");
}

TEST_F(EngineTest, UnknownResourceIsMinus32002WithTheUri) {
  add_catalog();
  auto session = initialized_session();
  auto unknown = send(request(1, "resources/read", {{"uri", "test://nope"}}), session);
  expect_error(unknown->response(), kResourceNotFound, "Resource not found", 1);
  EXPECT_EQ(unknown->response()["error"]["data"], Json::parse(R"({"uri":"test://nope"})"));
  auto gone = send(request(2, "resources/read", {{"uri", "test://gone"}}), session);
  expect_error(gone->response(), kResourceNotFound, "Resource not found", 2);
  EXPECT_EQ(gone->response()["error"]["data"]["uri"], "test://gone");
  expect_error(send(request(3, "resources/read"), session)->response(), kInvalidParams, "uri", 3);
}

TEST_F(EngineTest, SubscriptionsAreTrackedPerSession) {
  add_catalog();
  auto session = initialized_session();
  auto other = initialized_session();
  EXPECT_EQ(send(request(1, "resources/subscribe", {{"uri", "test://static-text"}}), session)
                ->response()["result"],
            Json::object());
  EXPECT_TRUE(session->subscribed("test://static-text"));
  EXPECT_FALSE(other->subscribed("test://static-text"));
  EXPECT_EQ(send(request(2, "resources/unsubscribe", {{"uri", "test://static-text"}}), session)
                ->response()["result"],
            Json::object());
  EXPECT_FALSE(session->subscribed("test://static-text"));
  expect_error(send(request(3, "resources/subscribe"), session)->response(), kInvalidParams, "uri",
               3);
}

TEST_F(EngineTest, PromptsGetPassesArguments) {
  add_catalog();
  auto session = initialized_session();
  auto channel = send(
      request(1, "prompts/get", {{"name", "greet"}, {"arguments", {{"arg1", "a"}, {"arg2", "b"}}}}),
      session);
  EXPECT_EQ(channel->response()["result"]["messages"][0]["content"]["text"], "hi a b");
}

TEST_F(EngineTest, PromptsGetErrors) {
  add_catalog();
  auto session = initialized_session();
  expect_error(send(request(1, "prompts/get", {{"name", "nope"}}), session)->response(),
               kInvalidParams, "Unknown prompt: nope", 1);
  expect_error(
      send(request(2, "prompts/get", {{"name", "greet"}, {"arguments", {{"arg1", "a"}}}}), session)
          ->response(),
      kInvalidParams, "Missing required argument: arg2", 2);
  expect_error(send(request(3, "prompts/get",
                            {{"name", "greet"}, {"arguments", {{"arg1", 1}, {"arg2", "b"}}}}),
                    session)
                   ->response(),
               kInvalidParams, "arg1", 3);
}

TEST_F(EngineTest, CompletionCompletes) {
  add_catalog();
  auto session = initialized_session();
  auto channel = send(request(1, "completion/complete",
                              {{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}},
                               {"argument", {{"name", "arg1"}, {"value", "te"}}}}),
                      session);
  EXPECT_EQ(
      channel->response()["result"],
      Json::parse(R"({"completion":{"values":["greet:arg1=te"],"total":1,"hasMore":false}})"));
  expect_error(send(request(2, "completion/complete",
                            {{"ref", {{"type", "ref/other"}}},
                             {"argument", {{"name", "a"}, {"value", "b"}}}}),
                    session)
                   ->response(),
               kInvalidParams, "ref.type", 2);
  expect_error(send(request(3, "completion/complete",
                            {{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}}}),
                    session)
                   ->response(),
               kInvalidParams, "argument", 3);
}

// ---------------------------------------------------------------------------------------
// tools/call

TEST_F(EngineTest, CallsATool) {
  auto session = initialized_session();
  auto channel = call_tool(session, 1, "echo", Json{{"text", "hi"}});
  EXPECT_EQ(channel->response(),
            Json::parse(R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text",
                            "text":"echo:hi"}]}})"));
  EXPECT_FALSE(metrics_line("echo", "ok").empty()) << metrics_->serialize();
  EXPECT_EQ(session->in_flight(), 0u);
}

TEST_F(EngineTest, ArgumentsDefaultToAnEmptyObject) {
  Json seen;
  add_tool("capture", R"({"type":"object"})",
           [&seen](Json arguments, ToolContext) -> asio::awaitable<ToolResult> {
             seen = arguments;
             co_return ToolResult::text("ok");
           });
  auto session = initialized_session();
  call_tool(session, 1, "capture");
  EXPECT_EQ(seen, Json::object());
}

TEST_F(EngineTest, UnknownToolIsInvalidParams) {
  auto session = initialized_session();
  expect_error(call_tool(session, 1, "nope")->response(), kInvalidParams, "Unknown tool: nope", 1);
  expect_error(send(request(2, "tools/call", Json::object()), session)->response(), kInvalidParams,
               "name", 2);
  expect_error(call_tool(session, 3, "echo", Json::array())->response(), kInvalidParams,
               "arguments must be an object", 3);
}

TEST_F(EngineTest, BadArgumentsAreAnIsErrorResultNamingTheArgument) {
  bool ran = false;
  add_tool("count", R"({"type":"object","properties":{"count":{"type":"integer"}},
                        "required":["count"]})",
           [&ran](Json, ToolContext) -> asio::awaitable<ToolResult> {
             ran = true;
             co_return ToolResult::text("ran");
           });
  auto session = initialized_session();
  const Json wrong_type = call_tool(session, 1, "count", Json{{"count", "3"}})->response();
  ASSERT_TRUE(wrong_type.contains("result")) << wrong_type.dump();
  EXPECT_EQ(wrong_type["result"]["isError"], true);
  EXPECT_EQ(wrong_type["result"]["content"][0]["text"],
            "Invalid arguments for tool 'count': /count: expected integer, got string");
  EXPECT_EQ(wrong_type["result"]["structuredContent"]["error"]["code"], "invalid_arguments");

  const Json missing = call_tool(session, 2, "count", Json::object())->response();
  EXPECT_EQ(missing["result"]["content"][0]["text"],
            "Invalid arguments for tool 'count': /count: required property 'count' is missing");
  EXPECT_FALSE(ran);
  EXPECT_FALSE(metrics_line("count", "error").empty());
}

TEST_F(EngineTest, StructuredContentIsCheckedAndMirroredAsText) {
  add_tool(
      "structured", R"({"type":"object"})",
      [](Json arguments, ToolContext) -> asio::awaitable<ToolResult> {
        ToolResult result;
        result.structured = Json{{"count", arguments.value("count", Json(1))}};
        co_return result;
      },
      Json::parse(R"({"type":"object","properties":{"count":{"type":"integer"}},
                           "required":["count"]})"));
  auto session = initialized_session();
  const Json good = call_tool(session, 1, "structured", Json{{"count", 4}})->response();
  EXPECT_EQ(good["result"], Json::parse(R"({"content":[{"type":"text","text":"{\"count\":4}"}],
                                             "structuredContent":{"count":4}})"));

  const Json bad = call_tool(session, 2, "structured", Json{{"count", "four"}})->response();
  expect_error(bad, kInternalError, "outputSchema", 2);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("/count: expected integer, got string"),
            std::string::npos)
      << bad.dump();
}

TEST_F(EngineTest, MissingStructuredContentBreaksTheOutputSchema) {
  add_tool(
      "liar", R"({"type":"object"})",
      [](Json, ToolContext) -> asio::awaitable<ToolResult> {
        co_return ToolResult::text("no structure");
      },
      Json::parse(R"({"type":"object"})"));
  auto session = initialized_session();
  expect_error(call_tool(session, 1, "liar")->response(), kInternalError, "structuredContent", 1);
}

TEST_F(EngineTest, StructuredContentOn20250326IsTextOnly) {
  add_tool("structured", R"({"type":"object"})",
           [](Json, ToolContext) -> asio::awaitable<ToolResult> {
             ToolResult result;
             result.structured = Json{{"ok", true}};
             co_return result;
           });
  auto session = initialized_session("2025-03-26");
  EXPECT_EQ(call_tool(session, 1, "structured")->response()["result"],
            Json::parse(R"({"content":[{"type":"text","text":"{\"ok\":true}"}]})"));
}

TEST_F(EngineTest, AThrowingToolBecomesAnIsErrorResult) {
  add_tool("boom", R"({"type":"object"})", [](Json, ToolContext) -> asio::awaitable<ToolResult> {
    throw std::runtime_error("secret detail /etc/passwd");
    co_return ToolResult{};
  });
  auto session = initialized_session();
  const Json response = call_tool(session, 1, "boom")->response();
  ASSERT_TRUE(response.contains("result")) << response.dump();
  EXPECT_EQ(response["result"]["isError"], true);
  const std::string text = response["result"]["content"][0]["text"];
  EXPECT_NE(text.find("boom"), std::string::npos);
  EXPECT_EQ(text.find("secret"), std::string::npos) << "details stay in the log";
  EXPECT_EQ(session->in_flight(), 0u);
}

TEST_F(EngineTest, ProgressIsSentOnlyWithATokenWhichKeepsItsType) {
  add_tool("steps", R"({"type":"object"})",
           [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
             context.progress(0, 100, "start");
             context.progress(50, 100, "");
             context.progress(100, std::nullopt, "done");
             co_return ToolResult::text("ok");
           });
  auto session = initialized_session();

  auto with_string = call_tool(session, 1, "steps", std::nullopt, {{"progressToken", "tok-1"}});
  const auto notes = with_string->notifications();
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0], Json::parse(R"({"jsonrpc":"2.0","method":"notifications/progress",
      "params":{"progressToken":"tok-1","progress":0.0,"total":100.0,"message":"start"}})"));
  EXPECT_EQ(notes[1]["params"], Json::parse(R"({"progressToken":"tok-1","progress":50.0,
                                                "total":100.0})"));
  EXPECT_EQ(notes[2]["params"], Json::parse(R"({"progressToken":"tok-1","progress":100.0,
                                                "message":"done"})"));
  EXPECT_EQ(with_string->response()["result"]["content"][0]["text"], "ok");

  auto with_number = call_tool(session, 2, "steps", std::nullopt, {{"progressToken", 7}});
  ASSERT_EQ(with_number->notifications().size(), 3u);
  EXPECT_TRUE(with_number->notifications()[0]["params"]["progressToken"].is_number_integer());
  EXPECT_EQ(with_number->notifications()[0]["params"]["progressToken"], 7);

  auto without = call_tool(session, 3, "steps");
  EXPECT_TRUE(without->notifications().empty());
  EXPECT_EQ(without->responses().size(), 1u);
}

TEST_F(EngineTest, LogMessagesFollowTheSessionLevel) {
  add_tool("chatty", R"({"type":"object"})",
           [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
             context.log(LogLevel::kDebug, "t", "debug line");
             context.log(LogLevel::kInfo, "t", "info line");
             context.log(LogLevel::kWarning, "t", "warning line");
             context.log(LogLevel::kError, "", Json{{"detail", 1}});
             co_return ToolResult::text("ok");
           });
  auto session = initialized_session();
  auto default_level = call_tool(session, 1, "chatty");
  EXPECT_EQ(default_level->notifications().size(), 3u) << "info and above by default";

  send(request(2, "logging/setLevel", {{"level", "warning"}}), session);
  auto warning = call_tool(session, 3, "chatty");
  const auto notes = warning->notifications();
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0], Json::parse(R"({"jsonrpc":"2.0","method":"notifications/message",
      "params":{"level":"warning","logger":"t","data":"warning line"}})"));
  EXPECT_EQ(notes[1]["params"], Json::parse(R"({"level":"error","data":{"detail":1}})"));

  send(request(4, "logging/setLevel", {{"level", "debug"}}), session);
  EXPECT_EQ(call_tool(session, 5, "chatty")->notifications().size(), 4u);
}

TEST_F(EngineTest, ContextCarriesCallerVersionAndCapabilities) {
  ToolContext seen;
  add_tool("introspect", R"({"type":"object"})",
           [&seen](Json, ToolContext context) -> asio::awaitable<ToolResult> {
             seen = context;
             co_return ToolResult::text("ok");
           });
  auto session = initialized_session("2025-06-18");
  call_tool(session, "req-9", "introspect");
  EXPECT_EQ(seen.caller, "tester");
  EXPECT_EQ(seen.protocol_version, "2025-06-18");
  EXPECT_EQ(seen.request_id, "req-9");
  EXPECT_TRUE(seen.client_capabilities.contains("sampling"));
  EXPECT_FALSE(seen.cancel.cancelled());
}

// ---------------------------------------------------------------------------------------
// Cancellation

TEST_F(EngineTest, CancelledNotificationTripsTheTokenAndAnswersNothing) {
  bool saw_cancel = false;
  add_tool("slow", R"({"type":"object"})", [&saw_cancel](Json arguments, ToolContext context) {
    return wait_for_cancel(std::move(arguments), std::move(context), &saw_cancel);
  });
  auto session = initialized_session();
  auto channel = call_tool(session, 42, "slow");
  EXPECT_TRUE(channel->responses().empty());
  EXPECT_EQ(session->in_flight(), 1u);

  auto ignored = send(Json::parse(R"({"jsonrpc":"2.0","method":"notifications/cancelled",
                                      "params":{"requestId":"42","reason":"wrong type"}})"),
                      session);
  EXPECT_EQ(channel->cancelled_count(), 0) << "\"42\" is not 42";
  EXPECT_TRUE(ignored->responses().empty());

  send(Json::parse(R"({"jsonrpc":"2.0","method":"notifications/cancelled",
                       "params":{"requestId":42,"reason":"user stopped it"}})"),
       session);
  run();
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(channel->cancelled_count(), 1);
  EXPECT_TRUE(channel->responses().empty()) << channel->responses().front().dump();
  EXPECT_EQ(session->in_flight(), 0u);
  EXPECT_FALSE(metrics_line("slow", "cancelled").empty()) << metrics_->serialize();
  EXPECT_TRUE(metrics_line("slow", "ok").empty());
}

TEST_F(EngineTest, CancellingAnUnknownOrFinishedRequestIsIgnored) {
  auto session = initialized_session();
  auto done = call_tool(session, 1, "echo", Json{{"text", "x"}});
  auto late = send(Json::parse(R"({"jsonrpc":"2.0","method":"notifications/cancelled",
                                   "params":{"requestId":1}})"),
                   session);
  EXPECT_TRUE(late->responses().empty());
  EXPECT_EQ(done->responses().size(), 1u);
  EXPECT_EQ(done->cancelled_count(), 0);
}

TEST_F(EngineTest, TransportCancelEndsTheCallWithoutAnAnswer) {
  bool saw_cancel = false;
  add_tool("slow", R"({"type":"object"})", [&saw_cancel](Json arguments, ToolContext context) {
    return wait_for_cancel(std::move(arguments), std::move(context), &saw_cancel);
  });
  auto session = initialized_session();
  CancellationSource stream;
  auto channel = send(request(7, "tools/call", {{"name", "slow"}}), session, "", stream.token());
  EXPECT_TRUE(channel->responses().empty());
  stream.cancel("stream closed");
  run();
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(channel->cancelled_count(), 1);
  EXPECT_TRUE(channel->responses().empty());
  EXPECT_EQ(session->in_flight(), 0u);
}

TEST_F(EngineTest, TerminatingTheSessionCancelsItsCalls) {
  bool saw_cancel = false;
  add_tool("slow", R"({"type":"object"})", [&saw_cancel](Json arguments, ToolContext context) {
    return wait_for_cancel(std::move(arguments), std::move(context), &saw_cancel);
  });
  auto session = initialized_session();
  auto channel = call_tool(session, 1, "slow");
  ASSERT_TRUE(store_.terminate(session->id()));
  run();
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(channel->cancelled_count(), 1);
  EXPECT_TRUE(channel->responses().empty());
}

TEST_F(EngineTest, AnIdAlreadyInFlightIsRefused) {
  bool saw_cancel = false;
  add_tool("slow", R"({"type":"object"})", [&saw_cancel](Json arguments, ToolContext context) {
    return wait_for_cancel(std::move(arguments), std::move(context), &saw_cancel);
  });
  auto session = initialized_session();
  auto first = call_tool(session, 5, "slow");
  auto second = call_tool(session, 5, "echo");
  expect_error(second->response(), kInvalidRequest, "in flight", 5);
  EXPECT_TRUE(first->responses().empty());
  store_.cancel_all("test over");
  run();
  EXPECT_EQ(first->cancelled_count(), 1);
}

TEST_F(EngineTest, InitializeCannotBeCancelled) {
  auto session = new_session();
  auto channel = std::make_shared<RecordingChannel>();
  engine().handle(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}),
                  RequestScope{session, "", "x", {}, channel});
  send(Json::parse(R"({"jsonrpc":"2.0","method":"notifications/cancelled",
                       "params":{"requestId":0}})"),
       session);
  EXPECT_EQ(channel->cancelled_count(), 0);
  EXPECT_EQ(channel->response()["result"]["protocolVersion"], "2025-11-25");
}

// ---------------------------------------------------------------------------------------
// 2026-07-28 (stateless)

TEST_F(EngineTest, StatelessMissingMetaIsInvalidParamsNamingTheKeys) {
  auto no_meta = send(request(101, "server/discover"), nullptr, kStateless);
  expect_error(no_meta->response(), kInvalidParams, "io.modelcontextprotocol/protocolVersion", 101);
  EXPECT_NE(no_meta->response()["error"]["message"].get<std::string>().find(
                "io.modelcontextprotocol/clientCapabilities"),
            std::string::npos);

  Json meta = stateless_meta();
  meta.erase("io.modelcontextprotocol/clientCapabilities");
  auto no_caps = send(request(104, "server/discover", {{"_meta", meta}}), nullptr, kStateless);
  expect_error(no_caps->response(), kInvalidParams, "clientCapabilities", 104);
  EXPECT_EQ(no_caps->response()["error"]["message"].get<std::string>().find("protocolVersion"),
            std::string::npos);

  meta = stateless_meta();
  meta.erase("io.modelcontextprotocol/protocolVersion");
  expect_error(
      send(request(102, "server/discover", {{"_meta", meta}}), nullptr, kStateless)->response(),
      kInvalidParams, "protocolVersion", 102);
}

TEST_F(EngineTest, StatelessClientInfoIsOptional) {
  Json meta = stateless_meta();
  meta.erase("io.modelcontextprotocol/clientInfo");
  auto channel = send(request(105, "server/discover", {{"_meta", meta}}), nullptr, kStateless);
  EXPECT_TRUE(channel->response().contains("result")) << channel->response().dump();
}

TEST_F(EngineTest, StatelessHeaderMismatchIsMinus32020) {
  Json meta = stateless_meta({{"io.modelcontextprotocol/protocolVersion", "v999.0.0"}});
  auto channel = send(request(302, "server/discover", {{"_meta", meta}}), nullptr, kStateless);
  expect_error(channel->response(), kHeaderMismatch, "MCP-Protocol-Version", 302);
}

TEST_F(EngineTest, StatelessUnsupportedVersionIsMinus32022WithData) {
  Json meta = stateless_meta({{"io.modelcontextprotocol/protocolVersion", "v999.0.0"}});
  auto channel = send(request(301, "server/discover", {{"_meta", meta}}), nullptr, "v999.0.0");
  expect_error(channel->response(), kUnsupportedProtocolVersion, "Unsupported protocol version",
               301);
  EXPECT_EQ(channel->response()["error"]["data"],
            Json::parse(R"({"requested":"v999.0.0","supported":["2026-07-28"]})"));

  meta = stateless_meta({{"io.modelcontextprotocol/protocolVersion", "2025-11-25"}});
  auto legacy = send(request(303, "tools/list", {{"_meta", meta}}), nullptr, "2025-11-25");
  expect_error(legacy->response(), kUnsupportedProtocolVersion, "Unsupported", 303);
}

TEST_F(EngineTest, StatelessRemovedMethodsAreNotFound) {
  for (const char* method : {"initialize", "ping", "logging/setLevel", "resources/subscribe",
                             "resources/unsubscribe", "unknown/method", "subscriptions/listen"}) {
    expect_error(send_stateless(500, method)->response(), kMethodNotFound, method, 500);
  }
}

TEST_F(EngineTest, ServerDiscover) {
  add_catalog();
  const Json result = send_stateless(201, "server/discover")->response()["result"];
  EXPECT_EQ(result["supportedVersions"], Json::parse(R"(["2026-07-28"])"));
  EXPECT_EQ(result["capabilities"],
            Json::parse(R"({"tools":{},"resources":{},"prompts":{},"completions":{},
                            "logging":{}})"))
      << "no subscribe/listChanged: subscriptions/listen is not served";
  EXPECT_EQ(result["resultType"], "complete");
  EXPECT_EQ(result["ttlMs"], 5000);
  EXPECT_EQ(result["cacheScope"], "private");
  EXPECT_EQ(result["instructions"], "Use the tools.");
  EXPECT_EQ(result["_meta"]["io.modelcontextprotocol/serverInfo"],
            Json::parse(R"({"name":"shield-mcp","title":"shield-mcp","version":"1.2.3"})"));
}

TEST_F(EngineTest, StatelessListsCarryCacheHints) {
  add_catalog();
  for (const char* method :
       {"tools/list", "prompts/list", "resources/list", "resources/templates/list"}) {
    const Json result = send_stateless(1, method)->response()["result"];
    EXPECT_EQ(result["resultType"], "complete") << method;
    EXPECT_EQ(result["ttlMs"], 5000) << method;
    EXPECT_EQ(result["cacheScope"], "private") << method;
  }
  const Json read =
      send_stateless(2, "resources/read", {{"uri", "test://static-text"}})->response()["result"];
  EXPECT_EQ(read["contents"][0]["text"], "static content");
  EXPECT_EQ(read["resultType"], "complete");
  EXPECT_EQ(read["ttlMs"], 0) << "content may change at any time";
  EXPECT_EQ(read["cacheScope"], "private");
}

TEST_F(EngineTest, StatelessNonListResultsHaveResultTypeOnly) {
  add_catalog();
  const Json call = send_stateless(1, "tools/call", {{"name", "echo"}})->response()["result"];
  EXPECT_EQ(call["resultType"], "complete");
  EXPECT_EQ(call["content"][0]["text"], "echo:");
  EXPECT_FALSE(call.contains("ttlMs"));
  EXPECT_FALSE(call.contains("cacheScope"));
  const Json prompt =
      send_stateless(2, "prompts/get",
                     {{"name", "greet"}, {"arguments", {{"arg1", "a"}, {"arg2", "b"}}}})
          ->response()["result"];
  EXPECT_EQ(prompt["resultType"], "complete");
  EXPECT_FALSE(prompt.contains("ttlMs"));
  const Json completion = send_stateless(3, "completion/complete",
                                         {{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}},
                                          {"argument", {{"name", "arg1"}, {"value", "x"}}}})
                              ->response()["result"];
  EXPECT_EQ(completion["resultType"], "complete");
  EXPECT_TRUE(completion["completion"]["values"].is_array());
}

TEST_F(EngineTest, LegacyResultsCarryNoStatelessFields) {
  add_catalog();
  auto session = initialized_session();
  for (const char* method :
       {"tools/list", "prompts/list", "resources/list", "resources/templates/list"}) {
    const Json result = send(request(1, method), session)->response()["result"];
    EXPECT_FALSE(result.contains("resultType")) << method;
    EXPECT_FALSE(result.contains("ttlMs")) << method;
    EXPECT_FALSE(result.contains("cacheScope")) << method;
    EXPECT_FALSE(result.contains("_meta")) << method;
  }
  const Json call = call_tool(session, 2, "echo")->response()["result"];
  EXPECT_FALSE(call.contains("resultType"));
}

TEST_F(EngineTest, StatelessUnknownResourceIsMinus32602WithTheUri) {
  add_catalog();
  const std::string uri = "test://nonexistent-resource-for-conformance-testing";
  auto channel = send_stateless(9, "resources/read", {{"uri", uri}});
  expect_error(channel->response(), kInvalidParams, "Resource not found", 9);
  EXPECT_EQ(channel->response()["error"]["data"], (Json{{"uri", uri}}));
}

TEST_F(EngineTest, StatelessMissingClientCapabilityIsMinus32021) {
  bool ran = false;
  ToolDefinition tool;
  tool.name = "test_missing_capability";
  tool.description = "needs sampling";
  tool.input_schema = Json{{"type", "object"}};
  tool.required_client_capabilities = Json{{"sampling", Json::object()}};
  tool.handler = [&ran](Json, ToolContext) -> asio::awaitable<ToolResult> {
    ran = true;
    co_return ToolResult::text("sampling capability present");
  };
  ASSERT_TRUE(registry_.add_tool(std::move(tool)));

  auto refused = send_stateless(401, "tools/call", {{"name", "test_missing_capability"}});
  expect_error(refused->response(), kMissingRequiredClientCapability, "sampling", 401);
  EXPECT_EQ(refused->response()["error"]["data"],
            Json::parse(R"({"requiredCapabilities":{"sampling":{}}})"));
  EXPECT_FALSE(ran);

  auto allowed = send_stateless(
      402, "tools/call", {{"name", "test_missing_capability"}},
      {{"io.modelcontextprotocol/clientCapabilities", {{"sampling", Json::object()}}}});
  EXPECT_EQ(allowed->response()["result"]["content"][0]["text"], "sampling capability present");
  EXPECT_TRUE(ran);

  auto session = new_session();
  send(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}), session);
  const Json legacy = call_tool(session, 3, "test_missing_capability")->response();
  EXPECT_EQ(legacy["result"]["isError"], true) << legacy.dump();
}

TEST_F(EngineTest, StatelessProgressAndLogsNeedOptIn) {
  add_tool("noisy", R"({"type":"object"})",
           [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
             context.progress(1, 2, "");
             context.log(LogLevel::kInfo, "n", "info line");
             context.log(LogLevel::kDebug, "n", "debug line");
             co_return ToolResult::text("ok");
           });
  auto silent = send_stateless(1, "tools/call", {{"name", "noisy"}});
  EXPECT_TRUE(silent->notifications().empty()) << "no logLevel, no progressToken";
  EXPECT_EQ(silent->response()["result"]["resultType"], "complete");

  auto opted = send_stateless(
      2, "tools/call", {{"name", "noisy"}},
      {{"progressToken", "progress-test-1"}, {"io.modelcontextprotocol/logLevel", "info"}});
  const auto notes = opted->notifications();
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0]["method"], "notifications/progress");
  EXPECT_EQ(notes[0]["params"]["progressToken"], "progress-test-1");
  EXPECT_EQ(notes[1]["params"], Json::parse(R"({"level":"info","logger":"n","data":"info line"})"));

  expect_error(send_stateless(3, "tools/call", {{"name", "noisy"}},
                              {{"io.modelcontextprotocol/logLevel", "chatty"}})
                   ->response(),
               kInvalidParams, "Invalid log level", 3);
}

TEST_F(EngineTest, StatelessRequestsOnAnUninitializedSessionStayStateless) {
  // stdio hands every message its one implicit session; a 2026 client never initializes it.
  auto session = new_session();
  auto channel = send(request(1, "tools/list", {{"_meta", stateless_meta()}}), session, kStateless);
  EXPECT_EQ(channel->response()["result"]["resultType"], "complete");
  EXPECT_EQ(session->protocol_version(), "");
}

TEST_F(EngineTest, StatelessCallsCanBeCancelledThroughTheTransport) {
  bool saw_cancel = false;
  add_tool("slow", R"({"type":"object"})", [&saw_cancel](Json arguments, ToolContext context) {
    return wait_for_cancel(std::move(arguments), std::move(context), &saw_cancel);
  });
  CancellationSource stream;
  auto channel = send(request(1, "tools/call", {{"name", "slow"}, {"_meta", stateless_meta()}}),
                      nullptr, kStateless, stream.token());
  EXPECT_TRUE(channel->responses().empty());
  stream.cancel("stream closed");
  run();
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(channel->cancelled_count(), 1);
  EXPECT_TRUE(channel->responses().empty());
}

}  // namespace
}  // namespace shield::mcp::test_support
