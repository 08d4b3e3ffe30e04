#include "shield/backend/qdrant_client.hpp"

#include <string>

#include <gtest/gtest.h>

#include "unit/backend/client_test_support.hpp"

namespace shield::backend {
namespace {

using testing::body_of;
using testing::Reply;

TEST(QdrantCollectionName, AcceptsOrdinaryNames) {
  EXPECT_TRUE(QdrantClient::validate_collection_name("shield-docs"));
  EXPECT_TRUE(QdrantClient::validate_collection_name("my docs.v2_ü"));
  EXPECT_TRUE(QdrantClient::validate_collection_name(std::string(255, 'a')));
}

TEST(QdrantCollectionName, RefusesWhatQdrantOrAUrlCannotTake) {
  const std::vector<std::string> bad_names = {"",
                                              ".",
                                              "..",
                                              "a/b",
                                              "a\\b",
                                              "a*",
                                              "a<b",
                                              "a>b",
                                              "a:b",
                                              "a|b",
                                              "a?b",
                                              "a\"b",
                                              std::string("a\0b", 3),
                                              "tab\there"};
  for (const std::string& bad : bad_names) {
    const auto result = QdrantClient::validate_collection_name(bad);
    ASSERT_FALSE(result) << "accepted '" << bad << "'";
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  }
  const auto too_long = QdrantClient::validate_collection_name(std::string(256, 'a'));
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("256 bytes"), std::string::npos);
}

TEST(QdrantPath, PercentEncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(QdrantClient::encode_segment("shield-docs_v1.2~x"), "shield-docs_v1.2~x");
  EXPECT_EQ(QdrantClient::encode_segment("my docs"), "my%20docs");
  EXPECT_EQ(QdrantClient::encode_segment("a#b%c&d=e+f"), "a%23b%25c%26d%3De%2Bf");
  EXPECT_EQ(QdrantClient::encode_segment("ü"), "%C3%BC");
}

TEST(QdrantDistance, IsCaseInsensitiveAndClosed) {
  EXPECT_EQ(QdrantClient::canonical_distance("cosine"), "Cosine");
  EXPECT_EQ(QdrantClient::canonical_distance("DOT"), "Dot");
  EXPECT_EQ(QdrantClient::canonical_distance("Euclid"), "Euclid");
  EXPECT_EQ(QdrantClient::canonical_distance("manhattan"), "Manhattan");
  EXPECT_FALSE(QdrantClient::canonical_distance("euclidean"));
  EXPECT_FALSE(QdrantClient::canonical_distance(""));
}

TEST(QdrantBodies, CreateNamedAndUnnamed) {
  EXPECT_EQ(QdrantClient::create_body(384, "Cosine", ""),
            Json::parse(R"({"vectors":{"size":384,"distance":"Cosine"}})"));
  EXPECT_EQ(QdrantClient::create_body(768, "Dot", "dense"),
            Json::parse(R"({"vectors":{"dense":{"size":768,"distance":"Dot"}}})"));
}

TEST(QdrantBodies, UpsertPutsNamedVectorsUnderTheirName) {
  std::vector<Point> points(2);
  points[0].id = "886313e1-3b8a-5372-9b90-0c9aee199e5d";
  points[0].vector = {1, 2};
  points[0].payload = Json{{"document", "a"}, {"metadata", Json::object()}};
  points[1].id = "11111111-2222-5333-8444-555555555555";
  points[1].vector_name = "dense";
  points[1].vector = {3, 4};
  EXPECT_EQ(QdrantClient::upsert_body(points), Json::parse(R"({"points":[
      {"id":"886313e1-3b8a-5372-9b90-0c9aee199e5d","vector":[1.0,2.0],
       "payload":{"document":"a","metadata":{}}},
      {"id":"11111111-2222-5333-8444-555555555555","vector":{"dense":[3.0,4.0]},"payload":{}}]})"));
}

TEST(QdrantBodies, QueryAsksForThePayloadAndOmitsDefaults) {
  PointQuery query;
  query.vector = {0.5F, 0.25F};
  query.limit = 5;
  EXPECT_EQ(QdrantClient::query_body(query),
            Json::parse(R"({"query":[0.5,0.25],"limit":5,"with_payload":true})"));

  query.vector_name = "dense";
  query.offset = 10;
  query.score_threshold = 0.5;
  query.filter = Json::parse(R"({"must":[{"key":"metadata.lang","match":{"value":"en"}}]})");
  EXPECT_EQ(QdrantClient::query_body(query), Json::parse(R"({"query":[0.5,0.25],"limit":5,
      "with_payload":true,"using":"dense","offset":10,"score_threshold":0.5,
      "filter":{"must":[{"key":"metadata.lang","match":{"value":"en"}}]}})"));
}

TEST(QdrantAnswers, CollectionInfoUnnamedAndNamed) {
  auto unnamed = QdrantClient::parse_collection_info(Json::parse(R"({"result":{"status":"green",
      "points_count":7,"config":{"params":{"vectors":{"size":384,"distance":"Cosine"}}}},
      "status":"ok","time":0.1})"));
  ASSERT_TRUE(unnamed) << unnamed.error();
  ASSERT_TRUE(unnamed->unnamed.has_value());
  EXPECT_EQ(unnamed->unnamed->size, 384U);
  EXPECT_EQ(unnamed->unnamed->distance, "Cosine");
  EXPECT_TRUE(unnamed->named.empty());
  EXPECT_EQ(unnamed->points_count, 7U);

  auto named = QdrantClient::parse_collection_info(Json::parse(R"({"result":{"points_count":null,
      "config":{"params":{"vectors":{"dense":{"size":768,"distance":"Dot"},
                                     "small":{"size":64,"distance":"Cosine"}}}}}})"));
  ASSERT_TRUE(named) << named.error();
  EXPECT_FALSE(named->unnamed.has_value());
  ASSERT_EQ(named->named.size(), 2U);
  EXPECT_EQ(named->named.at("dense").size, 768U);
  EXPECT_EQ(named->named.at("small").distance, "Cosine");

  EXPECT_FALSE(QdrantClient::parse_collection_info(Json::parse(R"({"result":{}})")));
}

TEST(QdrantAnswers, QueryPointsKeepIdsScoresAndPayloads) {
  auto points = QdrantClient::parse_query_answer(Json::parse(R"({"result":{"points":[
      {"id":"886313e1-3b8a-5372-9b90-0c9aee199e5d","version":3,"score":0.91,
       "payload":{"document":"d","metadata":{"a":1}}},
      {"id":42,"version":1,"score":0.5}]},"status":"ok","time":0.001})"));
  ASSERT_TRUE(points) << points.error();
  ASSERT_EQ(points->size(), 2U);
  EXPECT_EQ((*points)[0].id, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  EXPECT_DOUBLE_EQ((*points)[0].score, 0.91);
  EXPECT_EQ((*points)[0].payload["metadata"]["a"], 1);
  EXPECT_EQ((*points)[1].id, 42);
  EXPECT_TRUE((*points)[1].payload.empty());
  EXPECT_FALSE(QdrantClient::parse_query_answer(Json::parse(R"({"result":[]})")));
}

class QdrantClientWire : public testing::ClientFixture {};

TEST_F(QdrantClientWire, AMissingCollectionIsNulloptAndTheNameIsEncoded) {
  server_.always(Reply::json(
      404, R"({"status":{"error":"Not found: Collection `my docs` doesn't exist!"},"time":0})"));
  QdrantClient client(backend());
  auto info = run(client.collection_info("my docs"));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_FALSE(info->has_value());
  auto hits =
      run(client.query("my docs", PointQuery{{1.0F}, "", 3, 0, std::nullopt, std::nullopt}));
  ASSERT_TRUE(hits) << hits.error().message;
  EXPECT_FALSE(hits->has_value());
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/collections/my%20docs");
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/collections/my%20docs/points/query");
}

TEST_F(QdrantClientWire, AnInvalidNameNeverReachesQdrant) {
  QdrantClient client(backend());
  auto info = run(client.collection_info("a/b"));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, BackendErrorCode::kRejected);
  EXPECT_EQ(info.error().backend, "qdrant");
  EXPECT_EQ(server_.request_count(), 0U);
}

TEST_F(QdrantClientWire, CreateTreats409AsAlreadyThere) {
  server_.script([](const testing::SeenRequest&, std::size_t index) {
    if (index == 0) return Reply::json(200, R"({"result":true,"status":"ok","time":0})");
    return Reply::json(
        409, R"({"status":{"error":"Wrong input: Collection `kb` already exists!"},"time":0})");
  });
  QdrantClient client(backend());
  auto first = run(client.create_collection("kb", 4, "Cosine", ""));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = run(client.create_collection("kb", 4, "Cosine", ""));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(*second);
  const auto requests = server_.requests();
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/collections/kb");
  EXPECT_EQ(body_of(requests[0]), Json::parse(R"({"vectors":{"size":4,"distance":"Cosine"}})"));
}

TEST_F(QdrantClientWire, UpsertWaitsAndQueryParsesTheHits) {
  server_.script([](const testing::SeenRequest& request, std::size_t) {
    if (request.method == "PUT") {
      return Reply::json(
          200, R"({"result":{"operation_id":1,"status":"completed"},"status":"ok","time":0})");
    }
    return Reply::json(200, R"({"result":{"points":[{"id":"886313e1-3b8a-5372-9b90-0c9aee199e5d",
        "version":1,"score":0.75,"payload":{"document":"d","metadata":{}}}]},"status":"ok","time":0})");
  });
  QdrantClient client(backend());
  Point point;
  point.id = "886313e1-3b8a-5372-9b90-0c9aee199e5d";
  point.vector = {1, 0};
  auto stored = run(client.upsert("kb", {point}));
  ASSERT_TRUE(stored) << stored.error().message;
  auto hits =
      run(client.query("kb", PointQuery{{1.0F, 0.0F}, "", 2, 0, std::nullopt, std::nullopt}));
  ASSERT_TRUE(hits && hits->has_value());
  ASSERT_EQ((*hits)->size(), 1U);
  EXPECT_DOUBLE_EQ((**hits)[0].score, 0.75);
  EXPECT_EQ((**hits)[0].payload["document"], "d");
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].target, "/collections/kb/points?wait=true");
  EXPECT_EQ(body_of(requests[1])["with_payload"], true);
}

TEST_F(QdrantClientWire, OtherRefusalsAreErrorsWithQdrantsReason) {
  server_.always(Reply::json(
      400,
      R"({"status":{"error":"Wrong input: Vector dimension error: expected dim: 768, got 384"},"time":0})"));
  QdrantClient client(backend());
  auto hits = run(client.query("kb", PointQuery{{1.0F}, "", 2, 0, std::nullopt, std::nullopt}));
  ASSERT_FALSE(hits);
  EXPECT_EQ(hits.error().code, BackendErrorCode::kRejected);
  EXPECT_EQ(hits.error().http_status, 400U);
  EXPECT_FALSE(QdrantClient::is_missing_collection(hits.error()));
}

}  // namespace
}  // namespace shield::backend
