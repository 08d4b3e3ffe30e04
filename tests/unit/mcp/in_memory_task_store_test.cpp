#include "shield/mcp/in_memory_task_store.hpp"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "task_test_support.hpp"

namespace shield::mcp::test_support {
namespace {

using std::chrono::milliseconds;

class InMemoryTaskStoreTest : public ::testing::Test {
 protected:
  std::shared_ptr<InMemoryTaskStore> store(InMemoryTaskStoreOptions options = {}) {
    if (!store_) store_ = InMemoryTaskStore::create(io_.get_executor(), clock_, options);
    return store_;
  }

  TaskRequest request(TaskWork work, TaskOwner who = owner("alice")) {
    TaskRequest r;
    r.owner = std::move(who);
    r.tool = "work";
    r.run = std::move(work);
    r.context.executor = io_.get_executor();
    r.on_status = [this](const Task& task) { notices_.push_back(task); };
    return r;
  }

  Task create(TaskRequest r) {
    auto created = run_now(io_, store()->create(std::move(r)));
    EXPECT_TRUE(created && *created) << (created && !*created ? created->error().message : "");
    return created && *created ? **created : Task{};
  }

  Result<Task> get(const std::string& id, TaskOwner who = owner("alice")) {
    return *run_now(io_, store()->get(std::move(who), id));
  }

  ManualClock clock_;
  asio::io_context io_;
  std::shared_ptr<InMemoryTaskStore> store_;
  std::vector<Task> notices_;
};

TEST_F(InMemoryTaskStoreTest, CreatedTaskIsWorkingAndFoundAtOnce) {
  Gate gate;
  const Task task = create(request(gate.work(ToolResult::text("done"))));
  EXPECT_EQ(task.id.rfind("task-", 0), 0u);
  EXPECT_EQ(task.id.size(), 5u + 32u);  // 128 random bits in hex
  EXPECT_EQ(task.status, TaskStatus::kWorking);
  EXPECT_EQ(task.created_at_ms, clock_.unix_millis());
  EXPECT_EQ(task.ttl_ms, 3'600'000);
  EXPECT_EQ(task.poll_interval_ms, 1'000);
  EXPECT_EQ(*gate.runs, 1);

  auto found = get(task.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, task.id);
  EXPECT_EQ(found->status, TaskStatus::kWorking);
  EXPECT_FALSE(found->result);
  gate.open();
}

TEST_F(InMemoryTaskStoreTest, CompletesWithTheToolsResult) {
  Gate gate;
  const Task task = create(request(gate.work(ToolResult::text("the answer"))));
  clock_.advance(milliseconds(250));
  gate.open();
  poll(io_);
  auto done = get(task.id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, TaskStatus::kCompleted);
  ASSERT_TRUE(done->result);
  EXPECT_EQ(first_text(*done->result), "the answer");
  EXPECT_EQ(done->updated_at_ms, task.created_at_ms + 250);
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_EQ(notices_[0].status, TaskStatus::kCompleted);
}

TEST_F(InMemoryTaskStoreTest, ToolErrorIsFailedWithTheResult) {
  Gate gate;
  const Task task =
      create(request(gate.work(ToolResult::error("backend_down", "Qdrant is unreachable"))));
  gate.open();
  poll(io_);
  auto done = get(task.id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, TaskStatus::kFailed);
  ASSERT_TRUE(done->result);
  EXPECT_TRUE(done->result->is_error);
  EXPECT_FALSE(done->error);
  EXPECT_EQ(done->status_message, "Qdrant is unreachable");
}

TEST_F(InMemoryTaskStoreTest, ProtocolErrorIsFailedWithTheError) {
  Gate gate;
  const Task task =
      create(request(gate.work(tl::unexpected(TaskError{-32603, "broken promise", nullptr}))));
  gate.open();
  poll(io_);
  auto done = get(task.id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, TaskStatus::kFailed);
  EXPECT_FALSE(done->result);
  ASSERT_TRUE(done->error);
  EXPECT_EQ(done->error->code, -32603);
  EXPECT_EQ(done->status_message, "broken promise");
}

TEST_F(InMemoryTaskStoreTest, ResultWaitsForTheEnd) {
  Gate gate;
  const Task task = create(request(gate.work(ToolResult::text("late"))));
  auto waiting = spawn(io_, store()->result(owner("alice"), task.id, {}));
  poll(io_);
  EXPECT_FALSE(*waiting) << "tasks/result must block while the task works";
  gate.open();
  poll(io_);
  ASSERT_TRUE(*waiting);
  ASSERT_TRUE(**waiting);
  EXPECT_EQ((**waiting)->status, TaskStatus::kCompleted);
  EXPECT_EQ(first_text(*(**waiting)->result), "late");
}

TEST_F(InMemoryTaskStoreTest, ResultWaitEndsWhenItsCallerGivesUp) {
  Gate gate;
  const Task task = create(request(gate.work(ToolResult::text("late"))));
  CancellationSource caller_gone;
  auto waiting = spawn(io_, store()->result(owner("alice"), task.id, caller_gone.token()));
  poll(io_);
  EXPECT_FALSE(*waiting);
  caller_gone.cancel("stream closed");
  poll(io_);
  ASSERT_TRUE(*waiting);
  ASSERT_FALSE(**waiting);
  EXPECT_EQ((**waiting).error().code, ErrorCode::kCancelled);
  auto still = get(task.id);
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, TaskStatus::kWorking) << "giving up on a wait is no cancel";
  gate.open();
  poll(io_);
}

TEST_F(InMemoryTaskStoreTest, CancelStopsTheWorkAndTheTaskStaysCancelled) {
  Gate gate;
  const Task task = create(request(gate.work(ToolResult::text("finished anyway"))));
  auto waiting = spawn(io_, store()->result(owner("alice"), task.id, {}));
  auto cancelled = run_now(io_, store()->cancel(owner("alice"), task.id));
  ASSERT_TRUE(cancelled && *cancelled);
  EXPECT_EQ((*cancelled)->status, TaskStatus::kCancelled);
  poll(io_);
  EXPECT_TRUE(*gate.saw_cancel) << "the work's token must trip";
  ASSERT_TRUE(*waiting && **waiting);
  EXPECT_EQ((**waiting)->status, TaskStatus::kCancelled);
  auto after = get(task.id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, TaskStatus::kCancelled);
  EXPECT_FALSE(after->result) << "work that ends after the cancel changes nothing";
}

TEST_F(InMemoryTaskStoreTest, CancellingAFinishedTaskIsRefused) {
  Gate gate;
  const Task task = create(request(gate.work(ToolResult::text("done"))));
  gate.open();
  poll(io_);
  auto again = run_now(io_, store()->cancel(owner("alice"), task.id));
  ASSERT_TRUE(again);
  ASSERT_FALSE(*again);
  EXPECT_EQ(again->error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(again->error().message.find("'completed'"), std::string::npos);
}

TEST_F(InMemoryTaskStoreTest, UnknownIdsAreNotFoundEverywhere) {
  const std::string id = "task-00000000000000000000000000000000";
  EXPECT_EQ(get(id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(run_now(io_, store()->result(owner("alice"), id, {}))->error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(run_now(io_, store()->cancel(owner("alice"), id))->error().code, ErrorCode::kNotFound);
  EXPECT_EQ(run_now(io_, store()->update(owner("alice"), id, Json::object()))->error().code,
            ErrorCode::kNotFound);
}

TEST_F(InMemoryTaskStoreTest, AnotherCallerOrSessionCannotSeeOrTouchATask) {
  Gate gate;
  const Task task = create(request(gate.work(ToolResult::text("mine")), owner("alice", "s1")));
  for (const TaskOwner& stranger : {owner("bob", "s1"), owner("alice", "s2"), owner("alice")}) {
    EXPECT_EQ(get(task.id, stranger).error().code, ErrorCode::kNotFound) << stranger.caller;
    EXPECT_EQ(run_now(io_, store()->cancel(stranger, task.id))->error().code, ErrorCode::kNotFound);
    EXPECT_EQ(run_now(io_, store()->result(stranger, task.id, {}))->error().code,
              ErrorCode::kNotFound);
    auto listed = run_now(io_, store()->list(stranger, "", 0));
    ASSERT_TRUE(listed && *listed);
    EXPECT_TRUE((*listed)->tasks.empty());
  }
  EXPECT_TRUE(get(task.id, owner("alice", "s1")));
  EXPECT_FALSE(*gate.saw_cancel);
  gate.open();
  poll(io_);
}

TEST_F(InMemoryTaskStoreTest, ListPagesThroughTheOwnersTasksInCreationOrder) {
  Gate gate;
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    mine.push_back(create(request(gate.work(ToolResult::text("a")))).id);
    create(request(gate.work(ToolResult::text("b")), owner("bob")));
  }
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = run_now(io_, store()->list(owner("alice"), cursor, 2));
    ASSERT_TRUE(page && *page);
    EXPECT_LE((*page)->tasks.size(), 2u);
    for (const auto& task : (*page)->tasks) seen.push_back(task.id);
    cursor = (*page)->next_cursor;
    ASSERT_LT(++pages, 10);
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, mine);

  auto bad = run_now(io_, store()->list(owner("alice"), "not-a-cursor", 2));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->error().code, ErrorCode::kInvalidArgument);
  gate.open();
  poll(io_);
}

TEST_F(InMemoryTaskStoreTest, ATaskLivesExactlyItsTtl) {
  Gate gate;
  TaskRequest r = request(gate.work(ToolResult::text("done")));
  r.requested_ttl_ms = 5'000;
  const Task task = create(std::move(r));
  EXPECT_EQ(task.ttl_ms, 5'000);
  gate.open();
  poll(io_);
  clock_.advance(milliseconds(4'999));
  ASSERT_TRUE(get(task.id)) << "a task must stay readable for its whole ttl";
  clock_.advance(milliseconds(1));
  EXPECT_EQ(get(task.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store()->size(), 0u);
}

TEST_F(InMemoryTaskStoreTest, ExpiryCancelsWorkStillRunningAndReleasesWaiters) {
  Gate gate;
  TaskRequest r = request(gate.work(ToolResult::text("too late")));
  r.requested_ttl_ms = 2'000;
  const Task task = create(std::move(r));
  auto waiting = spawn(io_, store()->result(owner("alice"), task.id, {}));
  poll(io_);
  clock_.advance(milliseconds(2'000));
  EXPECT_EQ(get(task.id).error().code, ErrorCode::kNotFound);
  poll(io_);
  EXPECT_TRUE(*gate.saw_cancel);
  ASSERT_TRUE(*waiting);
  EXPECT_EQ((**waiting).error().code, ErrorCode::kNotFound);
}

TEST_F(InMemoryTaskStoreTest, RequestedTtlIsClampedToTheStoresBounds) {
  InMemoryTaskStoreOptions options;
  options.min_ttl = milliseconds(1'000);
  options.max_ttl = milliseconds(60'000);
  store(options);
  Gate gate;
  TaskRequest tiny = request(gate.work(ToolResult::text("x")));
  tiny.requested_ttl_ms = 10;
  EXPECT_EQ(create(std::move(tiny)).ttl_ms, 1'000);
  TaskRequest huge = request(gate.work(ToolResult::text("x")));
  huge.requested_ttl_ms = 86'400'000;
  EXPECT_EQ(create(std::move(huge)).ttl_ms, 60'000);
  gate.open();
  poll(io_);
}

TEST_F(InMemoryTaskStoreTest, AFullOwnerMakesRoomOnlyFromFinishedTasks) {
  InMemoryTaskStoreOptions options;
  options.max_tasks_per_owner = 2;
  store(options);
  Gate slow;
  Gate fast;
  const Task first = create(request(slow.work(ToolResult::text("1"))));
  create(request(slow.work(ToolResult::text("2"))));
  auto refused = run_now(io_, store()->create(request(fast.work(ToolResult::text("3")))));
  ASSERT_TRUE(refused);
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, ErrorCode::kResourceExhausted);
  // Someone else is not affected by alice's bound.
  create(request(fast.work(ToolResult::text("b")), owner("bob")));

  slow.open();
  poll(io_);
  const Task third = create(request(fast.work(ToolResult::text("3"))));
  EXPECT_EQ(get(first.id).error().code, ErrorCode::kNotFound) << "the oldest finished task goes";
  EXPECT_TRUE(get(third.id));
  fast.open();
  poll(io_);
}

// A work function that asks the client for input, as confirm-style tools do.
TaskWork asking(const Json& requests, const std::shared_ptr<std::optional<Result<Json>>>& answers) {
  return [requests, answers](Json, ToolContext context) -> asio::awaitable<TaskOutcome> {
    *answers = co_await context.request_input(requests);
    co_return ToolResult::text("asked");
  };
}

Json elicitation(const std::string& message) {
  return Json{{"method", "elicitation/create"},
              {"params",
               {{"mode", "form"},
                {"message", message},
                {"requestedSchema", Json{{"type", "object"}, {"properties", Json::object()}}}}}};
}

TEST_F(InMemoryTaskStoreTest, InputRequestsParkTheTaskUntilEveryAnswerIsIn) {
  auto answers = std::make_shared<std::optional<Result<Json>>>();
  TaskRequest r = request(
      asking(Json{{"name", elicitation("Name?")}, {"confirm", elicitation("Sure?")}}, answers));
  r.client_input = true;
  const Task task = create(std::move(r));

  auto asked = get(task.id);
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->status, TaskStatus::kInputRequired);
  ASSERT_EQ(asked->input_requests.size(), 2u);
  std::string name_key;
  std::string confirm_key;
  for (const auto& [key, value] : asked->input_requests.items()) {
    (key.rfind("name", 0) == 0 ? name_key : confirm_key) = key;
    EXPECT_EQ(value["method"], "elicitation/create");
  }
  ASSERT_FALSE(name_key.empty());
  ASSERT_FALSE(confirm_key.empty());

  // Unknown keys are ignored; a partial answer leaves only the other request outstanding.
  auto partial = run_now(
      io_,
      store()->update(owner("alice"), task.id,
                      Json{{"nope", {{"action", "accept"}}},
                           {name_key, {{"action", "accept"}, {"content", {{"name", "Ada"}}}}}}));
  ASSERT_TRUE(partial && *partial);
  EXPECT_EQ((*partial)->status, TaskStatus::kInputRequired);
  EXPECT_EQ((*partial)->input_requests.size(), 1u);
  EXPECT_TRUE((*partial)->input_requests.contains(confirm_key));
  EXPECT_FALSE(*answers);

  auto rest = run_now(
      io_, store()->update(owner("alice"), task.id, Json{{confirm_key, {{"action", "decline"}}}}));
  ASSERT_TRUE(rest && *rest);
  EXPECT_NE((*rest)->status, TaskStatus::kInputRequired);
  poll(io_);
  ASSERT_TRUE(*answers);
  ASSERT_TRUE(**answers);
  EXPECT_EQ((***answers)["name"]["content"]["name"], "Ada");
  EXPECT_EQ((***answers)["confirm"]["action"], "decline");
  EXPECT_EQ(get(task.id)->status, TaskStatus::kCompleted);

  std::vector<TaskStatus> seen;
  for (const auto& notice : notices_) seen.push_back(notice.status);
  EXPECT_EQ(seen, (std::vector<TaskStatus>{TaskStatus::kInputRequired, TaskStatus::kWorking,
                                           TaskStatus::kCompleted}));
}

TEST_F(InMemoryTaskStoreTest, KeysAreNeverReusedWithinATask) {
  auto first = std::make_shared<std::optional<Result<Json>>>();
  auto second = std::make_shared<std::optional<Result<Json>>>();
  TaskRequest r =
      request([first, second](Json, ToolContext context) -> asio::awaitable<TaskOutcome> {
        // Built before the co_await: GCC 12 cannot keep an initializer list across one.
        Json one = Json::object();
        one["q"] = elicitation("one");
        Json two = Json::object();
        two["q"] = elicitation("two");
        *first = co_await context.request_input(std::move(one));
        *second = co_await context.request_input(std::move(two));
        co_return ToolResult::text("two rounds");
      });
  r.client_input = true;
  const Task task = create(std::move(r));
  const std::string key1 = get(task.id)->input_requests.begin().key();
  run_now(io_, store()->update(owner("alice"), task.id, Json{{key1, {{"action", "accept"}}}}));
  poll(io_);
  const Json round2 = get(task.id)->input_requests;
  ASSERT_EQ(round2.size(), 1u);
  const std::string key2 = round2.begin().key();
  EXPECT_NE(key1, key2);
  // A late answer to the first key must not satisfy the second request.
  run_now(io_, store()->update(owner("alice"), task.id, Json{{key1, {{"action", "accept"}}}}));
  EXPECT_EQ(get(task.id)->status, TaskStatus::kInputRequired);
  run_now(io_, store()->update(owner("alice"), task.id, Json{{key2, {{"action", "accept"}}}}));
  poll(io_);
  EXPECT_EQ(get(task.id)->status, TaskStatus::kCompleted);
}

TEST_F(InMemoryTaskStoreTest, AnswersMustBeObjects) {
  auto answers = std::make_shared<std::optional<Result<Json>>>();
  TaskRequest r = request(asking(Json{{"q", elicitation("?")}}, answers));
  r.client_input = true;
  const Task task = create(std::move(r));
  const std::string key = get(task.id)->input_requests.begin().key();
  auto bad = run_now(io_, store()->update(owner("alice"), task.id, Json{{key, 12345}}));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(get(task.id)->status, TaskStatus::kInputRequired);
  run_now(io_, store()->cancel(owner("alice"), task.id));
}

TEST_F(InMemoryTaskStoreTest, WithoutAClientThatAnswersInputFailsAtOnce) {
  auto answers = std::make_shared<std::optional<Result<Json>>>();
  const Task task = create(request(asking(Json{{"q", elicitation("?")}}, answers)));
  ASSERT_TRUE(*answers);
  ASSERT_FALSE(**answers);
  EXPECT_EQ((**answers).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(get(task.id)->status, TaskStatus::kCompleted);
}

TEST_F(InMemoryTaskStoreTest, CancelWhileWaitingForInputEndsTheWait) {
  auto answers = std::make_shared<std::optional<Result<Json>>>();
  TaskRequest r = request(asking(Json{{"q", elicitation("?")}}, answers));
  r.client_input = true;
  const Task task = create(std::move(r));
  ASSERT_EQ(get(task.id)->status, TaskStatus::kInputRequired);
  run_now(io_, store()->cancel(owner("alice"), task.id));
  poll(io_);
  ASSERT_TRUE(*answers);
  ASSERT_FALSE(**answers);
  EXPECT_EQ((**answers).error().code, ErrorCode::kCancelled);
  const auto after = get(task.id);
  EXPECT_EQ(after->status, TaskStatus::kCancelled);
  EXPECT_TRUE(after->input_requests.empty());
}

TEST_F(InMemoryTaskStoreTest, CancelAllStopsEveryRunningTask) {
  Gate gate;
  const Task a = create(request(gate.work(ToolResult::text("a"))));
  const Task b = create(request(gate.work(ToolResult::text("b")), owner("bob")));
  store()->cancel_all("shutting down");
  poll(io_);
  EXPECT_TRUE(*gate.saw_cancel);
  EXPECT_EQ(get(a.id)->status, TaskStatus::kCancelled);
  EXPECT_EQ(get(a.id)->status_message, "shutting down");
  EXPECT_EQ(get(b.id, owner("bob"))->status, TaskStatus::kCancelled);
}

TEST_F(InMemoryTaskStoreTest, AStoreWithoutWorkRefusesTheTask) {
  auto refused = run_now(io_, store()->create(request(nullptr)));
  ASSERT_TRUE(refused);
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store()->size(), 0u);
}

TEST(TaskTimeTest, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(format_task_time(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_task_time(1'764'066'600'123), "2025-11-25T10:30:00.123Z");
  EXPECT_EQ(format_task_time(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace shield::mcp::test_support
