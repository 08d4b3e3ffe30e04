// The task messages the engine sends, checked against the official schemas: the 2025-11-25
// tasks types, and on 2026-07-28 (whose schema has no task types: they belong to the
// extension) the shared shapes the extension builds on (Result, CallToolResult, Error,
// InputRequests) plus the fields SEP-2663 names.
#include <filesystem>
#include <fstream>
#include <map>

#include "engine_fixture.hpp"
#include "shield/mcp/in_memory_task_store.hpp"
#include "shield/mcp/schema_validator.hpp"
#include "task_test_support.hpp"

namespace shield::mcp::test_support {
namespace {

std::filesystem::path schema_path(const std::string& version) {
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / ".." / "shared" /
         "specs" / "mcp" / version / "schema.json";
}

class TaskWireSchemaTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    for (const char* version : {"2025-11-25", "2026-07-28"}) {
      std::ifstream in(schema_path(version));
      if (!in) GTEST_SKIP() << "no MCP schema at " << schema_path(version).string();
      documents_[version] = Json::parse(in);
    }
    tasks_ = InMemoryTaskStore::create(io_.get_executor(), clock_);
    add("slow", gate_.handler(ToolResult::text("done")));
    add("failing", gate_.handler(ToolResult::error("backend_down", "the backend is down")));
    add("ask", [](const Json&, ToolContext context) { return ask(std::move(context)); });
    engine_ = std::make_unique<Engine>(EngineOptions{}, registry_, store_, io_.get_executor(),
                                       nullptr, tasks_);
  }

  void TearDown() override {
    gate_.open();
    tasks_->cancel_all("test over");
    run();
  }

  static asio::awaitable<ToolResult> ask(ToolContext context) {
    Json questions = Json::object();
    questions["name"] =
        Json{{"method", "elicitation/create"},
             {"params",
              {{"mode", "form"},
               {"message", "Name?"},
               {"requestedSchema",
                {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}}}};
    Result<Json> answers = co_await context.request_input(std::move(questions));
    co_return ToolResult::text(answers ? answers->dump() : answers.error().message);
  }

  void add(const std::string& name, ToolHandler handler) {
    ToolDefinition tool;
    tool.name = name;
    tool.input_schema = Json{{"type", "object"}};
    tool.execution = Json{{"taskSupport", "optional"}};
    tool.handler = std::move(handler);
    ASSERT_TRUE(registry_.add_tool(std::move(tool)));
  }

  void expect_valid(const std::string& version, const std::string& definition, const Json& value) {
    const Json& doc = documents_.at(version);
    Json wrapper{{"$defs", doc["$defs"]}, {"$ref", "#/$defs/" + definition}};
    auto compiled = SchemaValidator::compile(wrapper);
    ASSERT_TRUE(compiled) << compiled.error().message;
    const auto violation = (*compiled)->validate(value);
    EXPECT_FALSE(violation) << version << " " << definition << ": " << violation->to_string()
                            << " in " << value.dump();
  }

  Json stateless(Json id, const std::string& method, Json params) {
    return send_stateless(
               std::move(id), method, std::move(params),
               Json{{"io.modelcontextprotocol/clientCapabilities",
                     {{"extensions", {{"io.modelcontextprotocol/tasks", Json::object()}}}}}})
        ->response()["result"];
  }

  std::map<std::string, Json> documents_;
  Gate gate_;
  std::shared_ptr<InMemoryTaskStore> tasks_;
};

TEST_F(TaskWireSchemaTest, Revision20251125) {
  const std::string v = "2025-11-25";
  auto session = new_session();
  expect_valid(
      v, "InitializeResult",
      send(request(0, "initialize", {{"protocolVersion", v}}), session)->response()["result"]);
  std::vector<Json> pushed;
  session->set_standalone_sink([&pushed](const Json& message) {
    pushed.push_back(message);
    return true;
  });
  auto call = [&](Json id, const std::string& method, Json params) {
    return send(request(std::move(id), method, std::move(params)), session)->response();
  };

  const Json created =
      call(1, "tools/call", {{"name", "slow"}, {"task", {{"ttl", 60000}}}})["result"];
  expect_valid(v, "CreateTaskResult", created);
  const std::string id = created["task"]["taskId"];
  const Json failing_created =
      call(2, "tools/call", {{"name", "failing"}, {"task", Json::object()}})["result"];
  const std::string failing = failing_created["task"]["taskId"];
  expect_valid(v, "GetTaskResult", call(3, "tasks/get", {{"taskId", id}})["result"]);

  gate_.open();
  run();
  expect_valid(v, "GetTaskResult", call(4, "tasks/get", {{"taskId", failing}})["result"]);
  const Json payload = call(5, "tasks/result", {{"taskId", id}})["result"];
  expect_valid(v, "GetTaskPayloadResult", payload);
  expect_valid(v, "CallToolResult", payload);
  expect_valid(v, "CallToolResult", call(6, "tasks/result", {{"taskId", failing}})["result"]);
  expect_valid(v, "ListTasksResult", call(7, "tasks/list", Json::object())["result"]);

  Gate parked;
  ToolDefinition waits;
  waits.name = "waits";
  waits.input_schema = Json{{"type", "object"}};
  waits.execution = Json{{"taskSupport", "required"}};
  waits.handler = parked.handler(ToolResult::text("late"));
  ASSERT_TRUE(registry_.add_tool(std::move(waits)));
  const std::string to_cancel = call(
      8, "tools/call", {{"name", "waits"}, {"task", Json::object()}})["result"]["task"]["taskId"];
  expect_valid(v, "CancelTaskResult", call(9, "tasks/cancel", {{"taskId", to_cancel}})["result"]);
  run();

  ASSERT_FALSE(pushed.empty());
  for (const auto& message : pushed) expect_valid(v, "TaskStatusNotification", message);
}

TEST_F(TaskWireSchemaTest, Revision20260728Extension) {
  const std::string v = "2026-07-28";
  expect_valid(v, "DiscoverResult", stateless(0, "server/discover", Json::object()));

  const Json created = stateless(1, "tools/call", {{"name", "slow"}});
  expect_valid(v, "Result", created);
  const std::string id = created["taskId"];
  const std::string failing = stateless(2, "tools/call", {{"name", "failing"}})["taskId"];
  const std::string asking = stateless(3, "tools/call", {{"name", "ask"}})["taskId"];

  const Json waiting = stateless(4, "tasks/get", {{"taskId", asking}});
  expect_valid(v, "Result", waiting);
  ASSERT_EQ(waiting["status"], "input_required");
  expect_valid(v, "InputRequests", waiting["inputRequests"]);

  gate_.open();
  run();
  const Json done = stateless(5, "tasks/get", {{"taskId", id}});
  expect_valid(v, "Result", done);
  expect_valid(v, "CallToolResult", done["result"]);
  const Json tool_error = stateless(6, "tasks/get", {{"taskId", failing}});
  expect_valid(v, "CallToolResult", tool_error["result"]);

  const std::string key = waiting["inputRequests"].begin().key();
  expect_valid(v, "Result",
               stateless(7, "tasks/update",
                         {{"taskId", asking},
                          {"inputResponses",
                           {{key, {{"action", "accept"}, {"content", {{"name", "Ada"}}}}}}}}));
  expect_valid(v, "Result", stateless(8, "tasks/cancel", {{"taskId", id}}));

  // The extension's own fields, which no schema here describes: durations are integer
  // milliseconds with the unit in the name, times are ISO 8601.
  for (const Json& task : {created, done, tool_error}) {
    EXPECT_TRUE(task["ttlMs"].is_number_integer()) << task.dump();
    EXPECT_TRUE(task["pollIntervalMs"].is_number_integer()) << task.dump();
    EXPECT_FALSE(task.contains("ttl"));
    EXPECT_FALSE(task.contains("pollInterval"));
    EXPECT_EQ(task["createdAt"].get<std::string>().size(), 24u) << task.dump();
  }
}

}  // namespace
}  // namespace shield::mcp::test_support
