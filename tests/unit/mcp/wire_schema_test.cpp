// Everything the engine sends, checked against the official MCP schema of the revision it
// speaks (../shared/specs/mcp/<revision>/schema.json beside the repository), the way the
// conformance suite's wire-schema check does.
#include <filesystem>
#include <fstream>
#include <map>

#include "engine_fixture.hpp"
#include "shield/mcp/schema_validator.hpp"

namespace shield::mcp::test_support {
namespace {

std::filesystem::path specs_dir() {
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / ".." / "shared" /
         "specs" / "mcp";
}

// One compiled validator per (revision, definition).
class WireSchemas {
 public:
  bool available(const std::string& version) { return document(version) != nullptr; }

  std::optional<std::string> check(const std::string& version, const std::string& definition,
                                   const Json& value) {
    const std::string key = version + "#" + definition;
    auto it = validators_.find(key);
    if (it == validators_.end()) {
      const Json* doc = document(version);
      if (doc == nullptr) return "no schema for " + version;
      const std::string defs = doc->contains("$defs") ? "$defs" : "definitions";
      if (!(*doc)[defs].contains(definition)) return "no definition " + definition;
      Json wrapper{{defs, (*doc)[defs]}, {"$ref", "#/" + defs + "/" + definition}};
      auto compiled = SchemaValidator::compile(wrapper);
      if (!compiled) return "schema did not compile: " + compiled.error().message;
      it = validators_.emplace(key, *compiled).first;
    }
    if (auto violation = it->second->validate(value)) {
      return definition + " " + violation->to_string() + " in " + value.dump();
    }
    return std::nullopt;
  }

 private:
  const Json* document(const std::string& version) {
    auto it = documents_.find(version);
    if (it == documents_.end()) {
      std::ifstream in(specs_dir() / version / "schema.json");
      Json doc = in ? Json::parse(in, nullptr, false) : Json();
      it = documents_.emplace(version, std::move(doc)).first;
    }
    return it->second.is_object() ? &it->second : nullptr;
  }

  std::map<std::string, Json> documents_;
  std::map<std::string, std::shared_ptr<const SchemaValidator>> validators_;
};

WireSchemas& schemas() {
  static WireSchemas instance;
  return instance;
}

constexpr const char* kPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg"
    "==";

class WireSchemaTest : public EngineTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (!schemas().available(GetParam())) {
      GTEST_SKIP() << "no MCP schema at " << (specs_dir() / GetParam()).string();
    }
    add_catalog();
    add_tool(
        "mixed", R"({"type":"object"})",
        [](Json, ToolContext context) -> asio::awaitable<ToolResult> {
          context.progress(0, 100, "starting");
          context.progress(100, 100, "");
          context.log(LogLevel::kWarning, "mixed", Json{{"step", "done"}});
          ToolResult result;
          result.content = Json::array(
              {text_block("several kinds"),
               Json{{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}},
               Json{{"type", "resource"},
                    {"resource",
                     {{"uri", "test://embedded"}, {"mimeType", "text/plain"}, {"text", "x"}}}}});
          co_return result;
        });
    add_tool(
        "structured", R"({"type":"object","properties":{"n":{"type":"integer"}}})",
        [](Json arguments, ToolContext) -> asio::awaitable<ToolResult> {
          ToolResult result;
          result.structured = Json{{"n", arguments.value("n", 0)}};
          co_return result;
        },
        Json::parse(R"({"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]})"));
    add_tool("failing", R"({"type":"object"})",
             [](Json, ToolContext) -> asio::awaitable<ToolResult> {
               co_return ToolResult::error("backend_down", "the backend is down");
             });
  }

  bool stateless() const { return GetParam() == kStateless; }

  // Sends `method` on the revision under test and returns the channel.
  std::shared_ptr<RecordingChannel> ask(Json id, const std::string& method,
                                        Json params = Json::object(),
                                        Json meta_extra = Json::object()) {
    if (stateless()) return send_stateless(std::move(id), method, std::move(params), meta_extra);
    if (!session_) {
      session_ = new_session();
      auto init = send(request(0, "initialize",
                               {{"protocolVersion", GetParam()},
                                {"capabilities", Json::object()},
                                {"clientInfo", {{"name", "c"}, {"version", "1"}}}}),
                       session_);
      expect_valid("InitializeResult", init->response().value("result", Json()));
      send(request(1, "logging/setLevel", {{"level", "debug"}}), session_);
    }
    if (!meta_extra.empty()) params["_meta"] = meta_extra;
    return send(request(std::move(id), method, std::move(params)), session_);
  }

  void expect_valid(const std::string& definition, const Json& value) {
    const auto problem = schemas().check(GetParam(), definition, value);
    EXPECT_FALSE(problem) << GetParam() << ": " << *problem;
  }

  void expect_result(const std::shared_ptr<RecordingChannel>& channel,
                     const std::string& definition) {
    const Json response = channel->response();
    ASSERT_TRUE(response.contains("result")) << response.dump();
    expect_valid(definition, response["result"]);
    for (const auto& notification : channel->notifications()) {
      const std::string method = notification.value("method", "");
      expect_valid(method == "notifications/progress" ? "ProgressNotification"
                                                      : "LoggingMessageNotification",
                   notification);
    }
  }

  void expect_error_response(const std::shared_ptr<RecordingChannel>& channel) {
    const std::string definition =
        GetParam() >= "2025-11-25" ? "JSONRPCErrorResponse" : "JSONRPCError";
    expect_valid(definition, channel->response());
  }

  std::shared_ptr<Session> session_;
};

TEST_P(WireSchemaTest, ListsMatchTheSchema) {
  expect_result(ask(10, "tools/list"), "ListToolsResult");
  expect_result(ask(11, "resources/list"), "ListResourcesResult");
  expect_result(ask(12, "resources/templates/list"), "ListResourceTemplatesResult");
  expect_result(ask(13, "prompts/list"), "ListPromptsResult");
}

TEST_P(WireSchemaTest, CallsMatchTheSchema) {
  expect_result(ask(20, "tools/call", {{"name", "mixed"}}, {{"progressToken", "p-1"}}),
                "CallToolResult");
  expect_result(ask(21, "tools/call", {{"name", "structured"}, {"arguments", {{"n", 3}}}}),
                "CallToolResult");
  expect_result(ask(22, "tools/call", {{"name", "failing"}}), "CallToolResult");
  expect_result(ask(23, "tools/call", {{"name", "structured"}, {"arguments", {{"n", "x"}}}}),
                "CallToolResult");
}

TEST_P(WireSchemaTest, NotificationsMatchTheSchema) {
  auto channel = ask(25, "tools/call", {{"name", "mixed"}},
                     {{"progressToken", 25}, {"io.modelcontextprotocol/logLevel", "debug"}});
  EXPECT_EQ(channel->notifications().size(), 3u);
  expect_result(channel, "CallToolResult");
}

TEST_P(WireSchemaTest, CatalogCallsMatchTheSchema) {
  expect_result(ask(30, "resources/read", {{"uri", "test://static-text"}}), "ReadResourceResult");
  expect_result(ask(31, "resources/read", {{"uri", "test://template/7/data"}}),
                "ReadResourceResult");
  expect_result(
      ask(32, "prompts/get", {{"name", "greet"}, {"arguments", {{"arg1", "a"}, {"arg2", "b"}}}}),
      "GetPromptResult");
  expect_result(ask(33, "completion/complete",
                    {{"ref", {{"type", "ref/prompt"}, {"name", "greet"}}},
                     {"argument", {{"name", "arg1"}, {"value", "x"}}}}),
                "CompleteResult");
}

TEST_P(WireSchemaTest, SessionOnlyMethodsMatchTheSchema) {
  if (stateless()) {
    expect_result(ask(40, "server/discover"), "DiscoverResult");
    return;
  }
  expect_result(ask(40, "ping"), "EmptyResult");
  expect_result(ask(41, "logging/setLevel", {{"level", "info"}}), "EmptyResult");
  expect_result(ask(42, "resources/subscribe", {{"uri", "test://static-text"}}), "EmptyResult");
}

TEST_P(WireSchemaTest, ErrorsMatchTheSchema) {
  expect_error_response(ask(50, "no/such/method"));
  expect_error_response(ask(51, "tools/call", {{"name", "no_such_tool"}}));
  expect_error_response(ask(52, "resources/read", {{"uri", "test://missing"}}));
  expect_error_response(ask(53, "tools/list", {{"cursor", "bogus"}}));
}

// The errors only the stateless revision has.
class StatelessWireSchemaTest : public WireSchemaTest {};

TEST_P(StatelessWireSchemaTest, ProtocolErrorsMatchTheSchema) {
  Json meta = stateless_meta({{"io.modelcontextprotocol/protocolVersion", "v999.0.0"}});
  auto unsupported = send(request(60, "server/discover", {{"_meta", meta}}), nullptr, "v999.0.0");
  expect_valid("UnsupportedProtocolVersionError", unsupported->response());

  auto mismatch = send(request(61, "server/discover", {{"_meta", meta}}), nullptr, kStateless);
  expect_valid("HeaderMismatchError", mismatch->response());

  ToolDefinition tool;
  tool.name = "needs_sampling";
  tool.description = "needs sampling";
  tool.input_schema = Json{{"type", "object"}};
  tool.required_client_capabilities = Json{{"sampling", Json::object()}};
  tool.handler = [](Json, ToolContext) -> asio::awaitable<ToolResult> {
    co_return ToolResult::text("never");
  };
  ASSERT_TRUE(registry_.add_tool(std::move(tool)));
  expect_valid("MissingRequiredClientCapabilityError",
               send_stateless(62, "tools/call", {{"name", "needs_sampling"}})->response());
}

INSTANTIATE_TEST_SUITE_P(Revisions, WireSchemaTest,
                         ::testing::Values("2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = "v" + param.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

INSTANTIATE_TEST_SUITE_P(Revisions, StatelessWireSchemaTest, ::testing::Values("2026-07-28"),
                         [](const ::testing::TestParamInfo<std::string>&) {
                           return std::string("v2026_07_28");
                         });

}  // namespace
}  // namespace shield::mcp::test_support
