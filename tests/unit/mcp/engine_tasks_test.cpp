// Tasks through the engine on both wires: 2025-11-25 (params.task, tasks/get, tasks/result,
// tasks/list, tasks/cancel) and the 2026-07-28 extension io.modelcontextprotocol/tasks
// (server-directed creation, tasks/get with the outcome inlined, tasks/update, tasks/cancel).
#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "shield/mcp/in_memory_task_store.hpp"
#include "shield/mcp/json_rpc.hpp"
#include "task_test_support.hpp"

namespace shield::mcp::test_support {
namespace {

constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";
constexpr const char* kRelatedTask = "io.modelcontextprotocol/related-task";
// ManualClock's wall clock starts at 1'700'000'000'000 ms.
constexpr const char* kStart = "2023-11-14T22:13:20.000Z";

asio::awaitable<ToolResult> ask_to_confirm(ToolContext context) {
  Json questions = Json::object();
  questions["confirm"] =
      Json{{"method", "elicitation/create"},
           {"params",
            {{"mode", "form"},
             {"message", "Sure?"},
             {"requestedSchema",
              {{"type", "object"}, {"properties", {{"ok", {{"type", "boolean"}}}}}}}}}};
  Result<Json> answers = co_await context.request_input(std::move(questions));
  if (!answers) co_return ToolResult::error("no_answer", answers.error().message);
  co_return ToolResult::text("answer: " + (*answers)["confirm"].dump());
}

class EngineTasksTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    tasks_ = InMemoryTaskStore::create(io_.get_executor(), clock_);
    add_task_tool("slow", "optional", gate_.handler(ToolResult::text("slow done")));
    add_task_tool("must", "required", gate_.handler(ToolResult::text("must done")));
    add_task_tool("failing", "optional",
                  gate_.handler(ToolResult::error("backend_down", "the backend is down")));
    // Promises structuredContent and returns none: a protocol-level failure (-32603).
    add_task_tool("broken", "optional", gate_.handler(ToolResult::text("no structure")),
                  Json::parse(R"({"type":"object","properties":{"n":{"type":"number"}}})"));
    add_task_tool("ask", "optional", [](const Json&, ToolContext context) {
      return ask_to_confirm(std::move(context));
    });
    build_engine();
  }

  void TearDown() override {
    // Leaves no handler parked on a gate.
    gate_.open();
    tasks_->cancel_all("test over");
    run();
  }

  void build_engine() {
    EngineOptions options;
    options.identity.version = "1.2.3";
    options.page_size = page_size_;
    engine_ =
        std::make_unique<Engine>(options, registry_, store_, io_.get_executor(), nullptr, tasks_);
  }

  void add_task_tool(const std::string& name, const char* support, ToolHandler handler,
                     std::optional<Json> output_schema = std::nullopt,
                     std::shared_ptr<TaskStore> store = nullptr) {
    ToolDefinition tool;
    tool.name = name;
    tool.description = name + " description";
    tool.input_schema = Json{{"type", "object"}};
    tool.output_schema = std::move(output_schema);
    tool.execution = Json{{"taskSupport", support}};
    tool.handler = std::move(handler);
    tool.task_store = std::move(store);
    auto added = registry_.add_tool(std::move(tool));
    ASSERT_TRUE(added) << added.error().message;
  }

  // --- 2025-11-25 ---

  Json legacy(const std::shared_ptr<Session>& session, Json id, const std::string& method,
              Json params = Json::object()) {
    return send(request(std::move(id), method, std::move(params)), session)->response();
  }

  // A task-augmented tools/call; returns the new task's id.
  std::string start_legacy_task(const std::shared_ptr<Session>& session, const std::string& tool,
                                Json task = Json::object()) {
    const Json response = legacy(session, "create", "tools/call",
                                 {{"name", tool}, {"arguments", Json::object()}, {"task", task}});
    EXPECT_TRUE(response.contains("result")) << response.dump();
    return response["result"]["task"].value("taskId", std::string());
  }

  // --- 2026-07-28 ---

  static Json tasks_meta() {
    return Json{{"io.modelcontextprotocol/clientCapabilities",
                 {{"extensions", {{kTasksExtension, Json::object()}}}}}};
  }

  Json stateless(Json id, const std::string& method, Json params = Json::object(),
                 bool declare_tasks = true, const std::string& caller = "tester") {
    params["_meta"] = stateless_meta(declare_tasks ? tasks_meta() : Json::object());
    auto channel = std::make_shared<RecordingChannel>();
    RequestScope scope;
    scope.protocol_version = kStateless;
    scope.caller = caller;
    scope.channel = channel;
    engine().handle(request(std::move(id), method, std::move(params)), std::move(scope));
    run();
    return channel->response();
  }

  std::string start_stateless_task(const std::string& tool, const std::string& caller = "tester") {
    const Json response = stateless("create", "tools/call", {{"name", tool}}, true, caller);
    EXPECT_EQ(response["result"].value("resultType", ""), "task") << response.dump();
    return response["result"].value("taskId", std::string());
  }

  Json stateless_get(const std::string& id) {
    return stateless("get", "tasks/get", {{"taskId", id}})["result"];
  }

  Gate gate_;
  std::shared_ptr<InMemoryTaskStore> tasks_;
};

// ---------------------------------------------------------------------------------------
// 2025-11-25

TEST_F(EngineTasksTest, InitializeAdvertisesTasksOnlyOn20251125) {
  auto current = new_session();
  const Json caps = send(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}), current)
                        ->response()["result"]["capabilities"];
  EXPECT_EQ(caps["tasks"],
            Json::parse(R"({"list":{},"cancel":{},"requests":{"tools":{"call":{}}}})"));
  EXPECT_FALSE(caps.contains("extensions"));

  auto older = new_session();
  const Json old_caps = send(request(0, "initialize", {{"protocolVersion", "2025-06-18"}}), older)
                            ->response()["result"]["capabilities"];
  EXPECT_FALSE(old_caps.contains("tasks"));

  const Json tools = legacy(current, 1, "tools/list")["result"]["tools"];
  std::map<std::string, Json> execution;
  for (const auto& tool : tools) execution[tool["name"]] = tool.value("execution", Json());
  EXPECT_EQ(execution["slow"], (Json{{"taskSupport", "optional"}}));
  EXPECT_EQ(execution["must"], (Json{{"taskSupport", "required"}}));
  EXPECT_TRUE(execution["echo"].is_null());
}

TEST_F(EngineTasksTest, WithoutTaskToolsThereIsNoTaskSurface) {
  Registry plain;
  ToolDefinition echo;
  echo.name = "echo";
  echo.input_schema = Json{{"type", "object"}};
  echo.handler = [](Json, ToolContext) -> asio::awaitable<ToolResult> {
    co_return ToolResult::text("e");
  };
  ASSERT_TRUE(plain.add_tool(std::move(echo)));
  engine_ =
      std::make_unique<Engine>(EngineOptions{}, plain, store_, io_.get_executor(), nullptr, tasks_);
  auto session = new_session();
  const Json caps = send(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}), session)
                        ->response()["result"]["capabilities"];
  EXPECT_FALSE(caps.contains("tasks"));
  expect_error(legacy(session, 1, "tasks/get", {{"taskId", "x"}}), kMethodNotFound, "tasks/get", 1);
  EXPECT_FALSE(stateless(2, "server/discover")["result"]["capabilities"].contains("extensions"));
  expect_error(stateless(3, "tasks/get", {{"taskId", "x"}}), kMethodNotFound, "tasks/get", 3);
  engine_.reset();  // it borrows `plain`
}

TEST_F(EngineTasksTest, TaskAugmentedCallAnswersCreateTaskResultThenTheResult) {
  auto session = initialized_session();
  const Json created =
      legacy(session, 1, "tools/call", {{"name", "slow"}, {"task", {{"ttl", 60000}}}})["result"];
  ASSERT_TRUE(created.contains("task")) << created.dump();
  EXPECT_EQ(created.size(), 1u) << "a CreateTaskResult holds the task and nothing else";
  const Json& task = created["task"];
  const std::string id = task["taskId"];
  EXPECT_EQ(task, (Json{{"taskId", id},
                        {"status", "working"},
                        {"createdAt", kStart},
                        {"lastUpdatedAt", kStart},
                        {"ttl", 60000},
                        {"pollInterval", 1000}}));
  EXPECT_EQ(*gate_.runs, 1) << "the work starts right away";

  EXPECT_EQ(legacy(session, 2, "tasks/get", {{"taskId", id}})["result"], task)
      << "tasks/get finds the task as soon as it was created";

  clock_.advance(std::chrono::milliseconds(1500));
  gate_.open();
  run();
  const Json done = legacy(session, 3, "tasks/get", {{"taskId", id}})["result"];
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["lastUpdatedAt"], "2023-11-14T22:13:21.500Z");
  EXPECT_FALSE(done.contains("result")) << "2025-11-25 hands the result out by tasks/result only";

  EXPECT_EQ(legacy(session, 4, "tasks/result", {{"taskId", id}})["result"],
            (Json{{"content", Json::array({text_block("slow done")})},
                  {"_meta", {{kRelatedTask, {{"taskId", id}}}}}}));
}

TEST_F(EngineTasksTest, TasksResultBlocksUntilTheTaskEnds) {
  auto session = initialized_session();
  const std::string id = start_legacy_task(session, "slow");
  auto waiting = send(request(5, "tasks/result", {{"taskId", id}}), session);
  EXPECT_TRUE(waiting->responses().empty()) << "tasks/result must wait for a terminal status";
  gate_.open();
  run();
  const Json response = waiting->response();
  EXPECT_EQ(response["id"], 5);
  EXPECT_EQ(response["result"]["content"][0]["text"], "slow done");
}

TEST_F(EngineTasksTest, ToolErrorIsAFailedTaskWhoseResultIsTheErrorResult) {
  auto session = initialized_session();
  const std::string id = start_legacy_task(session, "failing");
  gate_.open();
  run();
  const Json task = legacy(session, 1, "tasks/get", {{"taskId", id}})["result"];
  EXPECT_EQ(task["status"], "failed");
  EXPECT_EQ(task["statusMessage"], "the backend is down");
  const Json result = legacy(session, 2, "tasks/result", {{"taskId", id}})["result"];
  EXPECT_EQ(result["isError"], true);
  EXPECT_EQ(result["structuredContent"]["error"]["code"], "backend_down");
  EXPECT_EQ(result["_meta"][kRelatedTask]["taskId"], id);
}

TEST_F(EngineTasksTest, ProtocolErrorFailsTheTaskAndTasksResultReturnsThatError) {
  auto session = initialized_session();
  const std::string id = start_legacy_task(session, "broken");
  gate_.open();
  run();
  EXPECT_EQ(legacy(session, 1, "tasks/get", {{"taskId", id}})["result"]["status"], "failed");
  expect_error(legacy(session, 2, "tasks/result", {{"taskId", id}}), kInternalError, "outputSchema",
               2);
}

TEST_F(EngineTasksTest, TaskSupportIsEnforcedWithMethodNotFound) {
  auto session = initialized_session();
  expect_error(legacy(session, 1, "tools/call", {{"name", "echo"}, {"task", Json::object()}}),
               kMethodNotFound, "'echo' does not run as a task", 1);
  expect_error(legacy(session, 2, "tools/call", {{"name", "must"}}), kMethodNotFound,
               "'must' runs only as a task", 2);
  EXPECT_EQ(*gate_.runs, 0) << "refused calls never reach the handler";
}

TEST_F(EngineTasksTest, MalformedTaskParamsAreInvalidParams) {
  auto session = initialized_session();
  expect_error(legacy(session, 1, "tools/call", {{"name", "slow"}, {"task", 5}}), kInvalidParams,
               "task must be an object", 1);
  expect_error(legacy(session, 2, "tools/call", {{"name", "slow"}, {"task", {{"ttl", "soon"}}}}),
               kInvalidParams, "task.ttl", 2);
  expect_error(legacy(session, 3, "tasks/get"), kInvalidParams, "taskId", 3);
  EXPECT_EQ(tasks_->size(), 0u);
}

TEST_F(EngineTasksTest, InvalidArgumentsOfATaskRequestAreAnErrorNotATask) {
  ToolDefinition strict;
  strict.name = "strict";
  strict.input_schema = Json::parse(R"({"type":"object","required":["n"]})");
  strict.execution = Json{{"taskSupport", "optional"}};
  strict.handler = gate_.handler(ToolResult::text("never"));
  ASSERT_TRUE(registry_.add_tool(std::move(strict)));
  auto session = initialized_session();
  const Json response =
      legacy(session, 1, "tools/call", {{"name", "strict"}, {"task", Json::object()}});
  expect_error(response, kInvalidParams, "Invalid arguments for tool 'strict'", 1);
  EXPECT_EQ(response["error"]["data"]["code"], "invalid_arguments");
  EXPECT_EQ(tasks_->size(), 0u);
}

TEST_F(EngineTasksTest, CancelEndsTheTaskAndACancelledTaskHasNoResult) {
  auto session = initialized_session();
  const std::string id = start_legacy_task(session, "slow");
  const Json cancelled = legacy(session, 1, "tasks/cancel", {{"taskId", id}})["result"];
  EXPECT_EQ(cancelled["taskId"], id);
  EXPECT_EQ(cancelled["status"], "cancelled");
  run();
  EXPECT_TRUE(*gate_.saw_cancel);
  expect_error(legacy(session, 2, "tasks/cancel", {{"taskId", id}}), kInvalidParams,
               "already in terminal status 'cancelled'", 2);
  expect_error(legacy(session, 3, "tasks/result", {{"taskId", id}}), kInvalidParams,
               "was cancelled", 3);
}

TEST_F(EngineTasksTest, UnknownTaskIdsAreInvalidParams) {
  auto session = initialized_session();
  for (const char* method : {"tasks/get", "tasks/result", "tasks/cancel"}) {
    expect_error(legacy(session, method, method, {{"taskId", "task-nope"}}), kInvalidParams,
                 "Task not found: task-nope", method);
  }
}

TEST_F(EngineTasksTest, ListPagesThroughThisSessionsTasksOnly) {
  page_size_ = 2;
  build_engine();
  auto mine = initialized_session();
  auto theirs = initialized_session();
  std::vector<std::string> created(3);
  for (auto& id : created) id = start_legacy_task(mine, "slow");
  const std::string other = start_legacy_task(theirs, "slow");

  std::vector<std::string> seen;
  Json params = Json::object();
  for (int page = 0; page < 5; ++page) {
    const Json result = legacy(mine, page, "tasks/list", params)["result"];
    ASSERT_LE(result["tasks"].size(), 2u);
    for (const auto& task : result["tasks"]) {
      seen.push_back(task["taskId"]);
      EXPECT_EQ(task["status"], "working");
    }
    if (!result.contains("nextCursor")) break;
    params["cursor"] = result["nextCursor"];
  }
  EXPECT_EQ(seen, created);

  const Json their_list = legacy(theirs, 9, "tasks/list")["result"]["tasks"];
  ASSERT_EQ(their_list.size(), 1u);
  EXPECT_EQ(their_list[0]["taskId"], other);
  expect_error(legacy(theirs, 10, "tasks/get", {{"taskId", created[0]}}), kInvalidParams,
               "Task not found", 10);
  expect_error(legacy(theirs, 11, "tasks/cancel", {{"taskId", created[0]}}), kInvalidParams,
               "Task not found", 11);
  expect_error(legacy(mine, 12, "tasks/list", {{"cursor", "garbage"}}), kInvalidParams,
               "Invalid cursor", 12);
}

TEST_F(EngineTasksTest, ATaskIsGoneOnceItsTtlRanOut) {
  auto session = initialized_session();
  const std::string id = start_legacy_task(session, "slow", {{"ttl", 2000}});
  clock_.advance(std::chrono::milliseconds(1999));
  EXPECT_EQ(legacy(session, 1, "tasks/get", {{"taskId", id}})["result"]["ttl"], 2000);
  clock_.advance(std::chrono::milliseconds(1));
  expect_error(legacy(session, 2, "tasks/get", {{"taskId", id}}), kInvalidParams, "Task not found",
               2);
  run();
  EXPECT_TRUE(*gate_.saw_cancel) << "expiry stops work still running";
}

TEST_F(EngineTasksTest, StatusChangesAreNotifiedOnTheStandaloneStream) {
  auto session = initialized_session();
  std::vector<Json> pushed;
  session->set_standalone_sink([&pushed](const Json& message) {
    pushed.push_back(message);
    return true;
  });
  const std::string id = start_legacy_task(session, "slow");
  gate_.open();
  run();
  ASSERT_EQ(pushed.size(), 1u);
  EXPECT_EQ(pushed[0]["method"], "notifications/tasks/status");
  EXPECT_EQ(pushed[0]["params"]["taskId"], id);
  EXPECT_EQ(pushed[0]["params"]["status"], "completed");
  EXPECT_FALSE(pushed[0]["params"].contains("_meta"));
}

TEST_F(EngineTasksTest, WithoutTaskTheOptionalToolAnswersDirectly) {
  auto session = initialized_session();
  auto channel = send(request(1, "tools/call", {{"name", "slow"}}), session);
  gate_.open();
  run();
  EXPECT_EQ(channel->response()["result"],
            (Json{{"content", Json::array({text_block("slow done")})}}));
  EXPECT_EQ(tasks_->size(), 0u);
}

TEST_F(EngineTasksTest, OlderSessionsKnowNoTasks) {
  auto session = initialized_session("2025-06-18");
  auto channel =
      send(request(1, "tools/call", {{"name", "slow"}, {"task", Json::object()}}), session);
  gate_.open();
  run();
  EXPECT_EQ(channel->response()["result"]["content"][0]["text"], "slow done")
      << "before 2025-11-25 params.task means nothing";
  expect_error(legacy(session, 2, "tasks/get", {{"taskId", "x"}}), kMethodNotFound, "tasks/get", 2);
  // A client that cannot make tasks still reaches a task-only tool, directly.
  EXPECT_EQ(legacy(session, 3, "tools/call", {{"name", "must"}})["result"]["content"][0]["text"],
            "must done");
}

// ---------------------------------------------------------------------------------------
// 2026-07-28 (io.modelcontextprotocol/tasks)

TEST_F(EngineTasksTest, DiscoverAdvertisesTheExtensionNotTheLegacyCapability) {
  const Json caps = stateless(1, "server/discover")["result"]["capabilities"];
  EXPECT_EQ(caps["extensions"], (Json{{kTasksExtension, Json::object()}}));
  EXPECT_FALSE(caps.contains("tasks"));
}

TEST_F(EngineTasksTest, ADeclaringClientGetsAFlatCreateTaskResult) {
  const Json result = stateless(1, "tools/call", {{"name", "slow"}})["result"];
  const std::string id = result.value("taskId", "");
  ASSERT_FALSE(id.empty()) << result.dump();
  Json expected{{"resultType", "task"},    {"taskId", id},
                {"status", "working"},     {"createdAt", kStart},
                {"lastUpdatedAt", kStart}, {"ttlMs", 3'600'000},
                {"pollIntervalMs", 1000},  {"_meta", result["_meta"]}};
  EXPECT_EQ(result, expected);
  EXPECT_TRUE(result["_meta"].contains("io.modelcontextprotocol/serverInfo"));
}

TEST_F(EngineTasksTest, TasksGetInlinesTheResultOnceCompleted) {
  const std::string id = start_stateless_task("slow");
  const Json working = stateless_get(id);
  EXPECT_EQ(working["resultType"], "complete");
  EXPECT_EQ(working["status"], "working");
  EXPECT_FALSE(working.contains("result"));
  EXPECT_FALSE(working.contains("error"));
  gate_.open();
  run();
  const Json done = stateless_get(id);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["result"],
            (Json{{"content", Json::array({text_block("slow done")})}, {"resultType", "complete"}}))
      << "no related-task _meta: the taskId is at the root";
}

TEST_F(EngineTasksTest, AToolErrorIsCompletedWithIsErrorOnTheExtension) {
  const std::string id = start_stateless_task("failing");
  gate_.open();
  run();
  const Json done = stateless_get(id);
  EXPECT_EQ(done["status"], "completed") << "failed is for protocol errors only";
  EXPECT_EQ(done["result"]["isError"], true);
  EXPECT_FALSE(done.contains("error"));
}

TEST_F(EngineTasksTest, AProtocolErrorIsFailedWithTheErrorInlined) {
  const std::string id = start_stateless_task("broken");
  gate_.open();
  run();
  const Json done = stateless_get(id);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_EQ(done["error"]["code"], kInternalError);
  EXPECT_NE(done["error"]["message"].get<std::string>().find("outputSchema"), std::string::npos);
  EXPECT_FALSE(done.contains("result"));
}

TEST_F(EngineTasksTest, ANonDeclaringClientGetsNoTasks) {
  auto direct = std::make_shared<RecordingChannel>();
  Json params{{"name", "slow"}, {"_meta", stateless_meta()}};
  RequestScope scope;
  scope.protocol_version = kStateless;
  scope.channel = direct;
  engine().handle(request(1, "tools/call", params), std::move(scope));
  gate_.open();
  run();
  const Json result = direct->response()["result"];
  EXPECT_EQ(result["resultType"], "complete");
  EXPECT_FALSE(result.contains("taskId"));
  EXPECT_EQ(result["content"][0]["text"], "slow done");

  const Json refused = stateless(2, "tools/call", {{"name", "must"}}, false);
  expect_error(refused, kMissingRequiredClientCapability, "runs only as a task", 2);
  EXPECT_EQ(refused["error"]["data"]["requiredCapabilities"],
            (Json{{"extensions", {{kTasksExtension, Json::object()}}}}));

  for (const char* method : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    const Json gated =
        stateless(method, method, {{"taskId", "t"}, {"inputResponses", Json::object()}}, false);
    expect_error(gated, kMissingRequiredClientCapability, kTasksExtension, method);
  }
}

TEST_F(EngineTasksTest, TasksResultAndTasksListAreGoneFromTheExtension) {
  expect_error(stateless(1, "tasks/result", {{"taskId", "t"}}), kMethodNotFound, "tasks/result", 1);
  expect_error(stateless(2, "tasks/list"), kMethodNotFound, "tasks/list", 2);
}

TEST_F(EngineTasksTest, CancelIsAnIdempotentEmptyAck) {
  const std::string id = start_stateless_task("slow");
  const Json ack = stateless(1, "tasks/cancel", {{"taskId", id}})["result"];
  EXPECT_EQ(ack["resultType"], "complete");
  for (const char* field : {"taskId", "status", "result", "error", "inputRequests"}) {
    EXPECT_FALSE(ack.contains(field)) << field;
  }
  EXPECT_EQ(stateless_get(id)["status"], "cancelled");
  EXPECT_EQ(stateless(2, "tasks/cancel", {{"taskId", id}})["result"]["resultType"], "complete");
  expect_error(stateless(3, "tasks/cancel", {{"taskId", "task-nope"}}), kInvalidParams,
               "Task not found", 3);
  expect_error(stateless(4, "tasks/get", {{"taskId", "task-nope"}}), kInvalidParams,
               "Task not found", 4);
}

TEST_F(EngineTasksTest, InputRequestsAreAnsweredThroughTasksUpdate) {
  const std::string id = start_stateless_task("ask");
  const Json asking = stateless_get(id);
  ASSERT_EQ(asking["status"], "input_required") << asking.dump();
  ASSERT_EQ(asking["inputRequests"].size(), 1u);
  const std::string key = asking["inputRequests"].begin().key();
  EXPECT_EQ(asking["inputRequests"][key]["method"], "elicitation/create");

  const Json ignored = stateless(
      1, "tasks/update", {{"taskId", id}, {"inputResponses", {{"unknown", Json::object()}}}});
  EXPECT_EQ(ignored["result"],
            (Json{{"resultType", "complete"}, {"_meta", ignored["result"]["_meta"]}}));
  EXPECT_EQ(stateless_get(id)["status"], "input_required");

  const Json answer{{"action", "accept"}, {"content", {{"ok", true}}}};
  EXPECT_EQ(
      stateless(2, "tasks/update",
                {{"taskId", id}, {"inputResponses", {{key, answer}}}})["result"]["resultType"],
      "complete");
  run();
  const Json done = stateless_get(id);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["result"]["content"][0]["text"], "answer: " + answer.dump());

  expect_error(stateless(3, "tasks/update", {{"taskId", id}}), kInvalidParams, "inputResponses", 3);
}

TEST_F(EngineTasksTest, ALegacyTaskHintNeverMakesASyncToolATask) {
  const Json result = stateless(
      1, "tools/call",
      {{"name", "echo"}, {"arguments", {{"text", "hi"}}}, {"task", {{"ttl", 60000}}}})["result"];
  EXPECT_EQ(result["resultType"], "complete");
  EXPECT_EQ(result["content"][0]["text"], "echo:hi");
  EXPECT_EQ(tasks_->size(), 0u);
}

TEST_F(EngineTasksTest, AnotherCallerCannotReachATask) {
  const std::string id = start_stateless_task("slow", "alice");
  for (const char* method : {"tasks/get", "tasks/cancel"}) {
    expect_error(stateless(method, method, {{"taskId", id}}, true, "mallory"), kInvalidParams,
                 "Task not found", method);
  }
  EXPECT_EQ(stateless("mine", "tasks/get", {{"taskId", id}}, true, "alice")["result"]["status"],
            "working");
}

// A tool whose tasks live in a store of its own (as the daemon's jobs do): tasks/* find them
// there, and tasks/list pages on into that store.
TEST_F(EngineTasksTest, ToolsWithTheirOwnStoreAreServedFromIt) {
  auto elsewhere = InMemoryTaskStore::create(io_.get_executor(), clock_);
  add_task_tool("remote", "optional", gate_.handler(ToolResult::text("remote done")), std::nullopt,
                elsewhere);
  auto session = initialized_session();
  const std::string local = start_legacy_task(session, "slow");
  const std::string remote = start_legacy_task(session, "remote");
  EXPECT_EQ(tasks_->size(), 1u);
  EXPECT_EQ(elsewhere->size(), 1u);
  gate_.open();
  run();
  EXPECT_EQ(
      legacy(session, 1, "tasks/result", {{"taskId", remote}})["result"]["content"][0]["text"],
      "remote done");

  const Json first = legacy(session, 2, "tasks/list")["result"];
  ASSERT_EQ(first["tasks"].size(), 1u);
  EXPECT_EQ(first["tasks"][0]["taskId"], local);
  ASSERT_TRUE(first.contains("nextCursor"));
  const Json second = legacy(session, 3, "tasks/list", {{"cursor", first["nextCursor"]}})["result"];
  ASSERT_EQ(second["tasks"].size(), 1u);
  EXPECT_EQ(second["tasks"][0]["taskId"], remote);
  EXPECT_FALSE(second.contains("nextCursor"));
}

}  // namespace
}  // namespace shield::mcp::test_support
