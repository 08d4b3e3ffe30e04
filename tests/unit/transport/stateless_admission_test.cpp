#include "shield/transport/stateless_admission.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/verb.hpp>

namespace shield::transport {
namespace {

using mcp::Json;

const std::vector<std::string> kStateless = {"2026-07-28"};

Json meta() {
  return Json{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
              {"io.modelcontextprotocol/clientCapabilities", Json::object()}};
}

Json message(const std::string& method, Json params, Json id = 7) {
  if (!params.contains("_meta")) params["_meta"] = meta();
  return Json{{"jsonrpc", "2.0"}, {"id", std::move(id)}, {"method", method}, {"params", params}};
}

http::Request headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
  http::Request request{boost::beast::http::verb::post, "/mcp", 11};
  for (const auto& [name, value] : fields) request.set(name, value);
  return request;
}

class StatelessAdmission : public ::testing::Test {
 protected:
  StatelessAdmission() {
    mcp::ToolDefinition tool;
    tool.name = "regional";
    tool.description = "mirrors region";
    tool.input_schema = Json{{"type", "object"},
                             {"properties",
                              {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                               {"count", {{"type", "integer"}, {"x-mcp-header", "Count"}}}}}};
    tool.handler = [](Json, mcp::ToolContext) -> boost::asio::awaitable<mcp::ToolResult> {
      co_return mcp::ToolResult::text("ok");
    };
    EXPECT_TRUE(registry_.add_tool(std::move(tool)).has_value());
  }

  // The -32020 / -32602 / -32022 code (or 0 when admitted) and the HTTP status.
  std::pair<int, unsigned> admit(const http::Request& request, const Json& body) {
    auto admitted = admit_stateless(request, body, registry_, kStateless);
    if (admitted) {
      EXPECT_EQ(*admitted, "2026-07-28");
      return {0, 200};
    }
    last_ = admitted.error().response;
    EXPECT_EQ(last_["id"], body["id"]) << "errors must echo the request id";
    EXPECT_FALSE(last_["error"]["message"].get<std::string>().empty());
    return {last_["error"]["code"].get<int>(), admitted.error().status};
  }

  mcp::Registry registry_;
  Json last_;
};

using Outcome = std::pair<int, unsigned>;
const Outcome kAdmitted{0, 200};
const Outcome kHeaderMismatch{-32020, 400};

TEST_F(StatelessAdmission, AdmitsAWellFormedRequest) {
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/list"}}),
                  message("tools/list", Json::object())),
            kAdmitted);
}

TEST_F(StatelessAdmission, McpMethodMustBePresentAndEqual) {
  const auto body = message("tools/list", Json::object());
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"}}), body), kHeaderMismatch);
  EXPECT_NE(last_["error"]["message"].get<std::string>().find("Missing Mcp-Method"),
            std::string::npos);
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "prompts/list"}}),
                  body),
            kHeaderMismatch);
  // Values are case-sensitive; names are not; whitespace around values is not part of them.
  EXPECT_EQ(
      admit(headers({{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "TOOLS/LIST"}}), body),
      kHeaderMismatch);
  EXPECT_EQ(
      admit(headers({{"MCP-Protocol-Version", "2026-07-28"}, {"mcp-METHOD", " tools/list\t"}}),
            body),
      kAdmitted);
}

TEST_F(StatelessAdmission, McpNameMirrorsToolPromptAndResourceNames) {
  const auto call =
      message("tools/call", Json{{"name", "regional"}, {"arguments", Json::object()}});
  EXPECT_EQ(
      admit(headers({{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"}}), call),
      kHeaderMismatch);
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", "tools/call"},
                           {"Mcp-Name", "other"}}),
                  call),
            kHeaderMismatch);
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", "tools/call"},
                           {"Mcp-Name", "  regional  "}}),
                  call),
            kAdmitted);
  const auto read = message("resources/read", Json{{"uri", "test://a"}});
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", "resources/read"},
                           {"Mcp-Name", "test://b"}}),
                  read),
            kHeaderMismatch);
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", "resources/read"},
                           {"Mcp-Name", "test://a"}}),
                  read),
            kAdmitted);
  const auto prompt = message("prompts/get", Json{{"name", "p"}});
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "prompts/get"}}),
                  prompt),
            kHeaderMismatch);
}

TEST_F(StatelessAdmission, McpNameMirrorsTheTaskIdOfTaskCalls) {
  for (const char* method : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    const auto call = message(method, Json{{"taskId", "job_abc"}});
    EXPECT_EQ(
        admit(headers({{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", method}}), call),
        kHeaderMismatch)
        << method;
    EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"},
                             {"Mcp-Method", method},
                             {"Mcp-Name", "job_other"}}),
                    call),
              kHeaderMismatch)
        << method;
    EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"},
                             {"Mcp-Method", method},
                             {"Mcp-Name", "job_abc"}}),
                    call),
              kAdmitted)
        << method;
  }
}

TEST_F(StatelessAdmission, MetaMustCarryVersionAndCapabilities) {
  const auto request =
      headers({{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "server/discover"}});
  Json no_meta = message("server/discover", Json::object());
  no_meta["params"].erase("_meta");
  EXPECT_EQ(admit(request, no_meta), (Outcome{-32602, 400}));
  Json no_version = message("server/discover", Json::object());
  no_version["params"]["_meta"].erase("io.modelcontextprotocol/protocolVersion");
  EXPECT_EQ(admit(request, no_version), (Outcome{-32602, 400}));
  Json no_caps = message("server/discover", Json::object());
  no_caps["params"]["_meta"].erase("io.modelcontextprotocol/clientCapabilities");
  EXPECT_EQ(admit(request, no_caps), (Outcome{-32602, 400}));
  EXPECT_NE(last_["error"]["message"].get<std::string>().find("clientCapabilities"),
            std::string::npos);
}

TEST_F(StatelessAdmission, VersionHeaderMustMatchMetaThenBeSupported) {
  Json v999 = message("server/discover", Json::object());
  v999["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "v999.0.0";
  // Header 2026-07-28, body v999: a mismatch, reported before the version itself.
  EXPECT_EQ(
      admit(headers({{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "server/discover"}}),
            v999),
      kHeaderMismatch);
  EXPECT_EQ(
      admit(headers({{"MCP-Protocol-Version", "v999.0.0"}, {"Mcp-Method", "server/discover"}}),
            v999),
      (Outcome{-32022, 400}));
  EXPECT_EQ(last_["error"]["data"]["requested"], "v999.0.0");
  EXPECT_EQ(last_["error"]["data"]["supported"], Json::array({"2026-07-28"}));
  EXPECT_EQ(admit(headers({{"Mcp-Method", "server/discover"}}),
                  message("server/discover", Json::object())),
            kHeaderMismatch);
}

TEST_F(StatelessAdmission, McpParamHeadersMirrorMarkedArguments) {
  auto call = [](Json arguments) {
    return message("tools/call", Json{{"name", "regional"}, {"arguments", std::move(arguments)}});
  };
  auto with_param = [](const char* region) {
    return headers({{"MCP-Protocol-Version", "2026-07-28"},
                    {"Mcp-Method", "tools/call"},
                    {"Mcp-Name", "regional"},
                    {"Mcp-Param-Region", region}});
  };
  EXPECT_EQ(admit(with_param("Hello"), call(Json{{"region", "Hello"}})), kAdmitted);
  EXPECT_EQ(admit(with_param("=?base64?SGVsbG8=?="), call(Json{{"region", "Hello"}})), kAdmitted);
  EXPECT_EQ(admit(with_param("=?base64?SGVsbG8?="), call(Json{{"region", "Hello"}})),
            kHeaderMismatch);
  EXPECT_EQ(admit(with_param("=?base64?SGVs!!!bG8=?="), call(Json{{"region", "Hello"}})),
            kHeaderMismatch);
  // Without the complete wrapper the value is literal.
  EXPECT_EQ(admit(with_param("SGVsbG8="), call(Json{{"region", "SGVsbG8="}})), kAdmitted);
  EXPECT_EQ(admit(with_param("=?base64?SGVsbG8="), call(Json{{"region", "=?base64?SGVsbG8="}})),
            kAdmitted);
  EXPECT_EQ(admit(with_param("Hello"), call(Json{{"region", "Goodbye"}})), kHeaderMismatch);
  // Omitted although the body carries the value.
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", "tools/call"},
                           {"Mcp-Name", "regional"}}),
                  call(Json{{"region", "Hello"}})),
            kHeaderMismatch);
  EXPECT_NE(last_["error"]["message"].get<std::string>().find("Mcp-Param-Region"),
            std::string::npos);
  // Not in the body: nothing to mirror.
  EXPECT_EQ(admit(headers({{"MCP-Protocol-Version", "2026-07-28"},
                           {"Mcp-Method", "tools/call"},
                           {"Mcp-Name", "regional"}}),
                  call(Json::object())),
            kAdmitted);
  // Integers are spelled in decimal.
  auto counted = headers({{"MCP-Protocol-Version", "2026-07-28"},
                          {"Mcp-Method", "tools/call"},
                          {"Mcp-Name", "regional"},
                          {"Mcp-Param-Count", "42"}});
  EXPECT_EQ(admit(counted, call(Json{{"count", 42}})), kAdmitted);
  EXPECT_EQ(admit(counted, call(Json{{"count", 43}})), kHeaderMismatch);
}

TEST(StatelessHttpStatus, MapsTransportErrorsAndLeavesAnswersAt200) {
  auto error = [](int code) {
    return Json{{"jsonrpc", "2.0"}, {"id", 1}, {"error", {{"code", code}, {"message", "m"}}}};
  };
  EXPECT_EQ(stateless_http_status(error(-32601)), 404u);
  for (int code : {-32700, -32600, -32020, -32021, -32022}) {
    EXPECT_EQ(stateless_http_status(error(code)), 400u) << code;
  }
  // A tool or resource error is an answer, not a transport failure.
  EXPECT_EQ(stateless_http_status(error(-32602)), 200u);
  EXPECT_EQ(stateless_http_status(error(-32603)), 200u);
  EXPECT_EQ(stateless_http_status(Json{{"jsonrpc", "2.0"}, {"id", 1}, {"result", Json::object()}}),
            200u);
}

}  // namespace
}  // namespace shield::transport
