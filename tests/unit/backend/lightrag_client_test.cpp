#include "shield/backend/lightrag_client.hpp"

#include <gtest/gtest.h>

#include "unit/backend/client_test_support.hpp"

namespace shield::backend {
namespace {

using testing::body_of;
using testing::Reply;

LightragQuery full_query() {
  LightragQuery query;
  query.query = "When does the breaker open?";
  query.mode = "hybrid";
  query.top_k = 5;
  query.only_need_context = false;
  query.response_type = "Bullet Points";
  query.conversation_history = {{"user", "hi"}, {"assistant", "hello"}};
  return query;
}

TEST(LightragBody, OrchestratorGetsExactlyTheContractFields) {
  EXPECT_EQ(LightragClient::request_body(full_query(), LightragRoute::kOrchestrator),
            Json::parse(R"({"query":"When does the breaker open?","mode":"hybrid","top_k":5,
                "only_need_context":false,"response_type":"Bullet Points",
                "conversation_history":[{"role":"user","content":"hi"},
                                        {"role":"assistant","content":"hello"}]})"));
}

TEST(LightragBody, DirectAsksForReferencesAndOmitsUnsetFields) {
  LightragQuery query;
  query.query = "q";
  EXPECT_EQ(LightragClient::request_body(query, LightragRoute::kDirect),
            Json::parse(R"({"query":"q","mode":"mix","include_references":true})"));
}

TEST(LightragAnswer, ParsesReferencesWithAndWithoutTitles) {
  auto answer = LightragClient::parse_answer(Json::parse(R"({"response":"It opens after 5 [1].",
      "references":[{"reference_id":"1","file_path":"https://d/breakers","title":"Breakers"},
                    {"reference_id":2,"file_path":"notes.md","content":["..."]}]})"));
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(answer->response, "It opens after 5 [1].");
  ASSERT_EQ(answer->references.size(), 2U);
  EXPECT_EQ(answer->references[0].title, "Breakers");
  EXPECT_EQ(answer->references[1].reference_id, "2");
  EXPECT_FALSE(answer->references[1].title.has_value());
}

TEST(LightragAnswer, NullReferencesAreNoneAndAMissingResponseIsAnError) {
  auto answer = LightragClient::parse_answer(Json::parse(R"({"response":"x","references":null})"));
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->references.empty());
  EXPECT_FALSE(LightragClient::parse_answer(Json::parse(R"({"answer":"x"})")));
  EXPECT_FALSE(LightragClient::parse_answer(Json::parse(R"({"response":"x","references":{}})")));
}

class LightragClientWire : public testing::ClientFixture {};

TEST_F(LightragClientWire, EachRouteUsesItsPath) {
  server_.always(Reply::json(200, R"({"response":"r","references":[]})"));
  LightragClient orchestrator(backend("orchestrator"), LightragRoute::kOrchestrator);
  ASSERT_TRUE(run(orchestrator.query(full_query())));
  LightragClient direct(backend("lightrag"), LightragRoute::kDirect);
  ASSERT_TRUE(run(direct.query(full_query())));
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].target, "/lightrag/query");
  EXPECT_FALSE(body_of(requests[0]).contains("include_references"));
  EXPECT_EQ(requests[1].target, "/query");
  EXPECT_EQ(body_of(requests[1])["include_references"], true);
}

TEST_F(LightragClientWire, AnUnusableAnswerIsABackendError) {
  server_.always(Reply::json(200, R"({"unexpected":true})"));
  LightragClient client(backend("orchestrator"), LightragRoute::kOrchestrator);
  auto answer = run(client.query(full_query()));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().backend, "orchestrator");
  EXPECT_NE(answer.error().message.find("unusable query answer"), std::string::npos);
}

}  // namespace
}  // namespace shield::backend
