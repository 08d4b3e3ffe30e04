#include "shield/ingest/make_sink.hpp"

#include <gtest/gtest.h>

#include "shield/ingest/directory_sink.hpp"
#include "shield/ingest/qdrant_sink.hpp"
#include "shield/metrics/metrics.hpp"
#include "unit/backend/backend_test_harness.hpp"
#include "unit/ingest/ingest_test_support.hpp"

namespace shield::ingest {
namespace {

// Backends that are never called: make_sink only wires them.
class MakeSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<backend::Backend> backend(const std::string& name) {
    backend::BackendSettings settings;
    settings.name = name;
    settings.display_name = name;
    settings.base_url = "http://127.0.0.1:9";
    return std::make_unique<backend::Backend>(std::move(settings), loop_.client(), metrics_,
                                              SystemClock::instance());
  }
  SinkDependencies all() {
    SinkDependencies dependencies;
    dependencies.orchestrator = orchestrator_.get();
    dependencies.qdrant = qdrant_.get();
    dependencies.embedder = &embedder_;
    dependencies.lightrag = lightrag_.get();
    dependencies.blocking = pool_.blocking();
    return dependencies;
  }
  static config::Config with_kind(const std::string& kind) {
    config::Config config;
    config.sink.kind = kind;
    return config;
  }

  backend::testing::CallerLoop loop_;
  metrics::Metrics metrics_{"test"};
  std::unique_ptr<backend::Backend> orchestrator_ = backend("orchestrator");
  std::unique_ptr<backend::Backend> qdrant_ = backend("qdrant");
  std::unique_ptr<backend::Backend> lightrag_ = backend("lightrag");
  testing::FakeEmbedder embedder_;
  testing::Loop pool_;
};

TEST_F(MakeSinkTest, BuildsTheKindTheConfigNames) {
  const config::Config defaults;
  EXPECT_EQ(defaults.sink.kind, "orchestrator");
  for (const char* kind : {"orchestrator", "qdrant", "lightrag", "directory"}) {
    const auto sink = make_sink(with_kind(kind), all());
    ASSERT_TRUE(sink) << kind << ": " << sink.error().message;
    EXPECT_EQ((*sink)->name(), kind);
  }
}

TEST_F(MakeSinkTest, SaysWhichDependencyIsMissing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"orchestrator", "orchestrator backend"},
      {"qdrant", "Qdrant backend"},
      {"lightrag", "LightRAG backend"},
      {"directory", "executor for disk I/O"}};
  for (const auto& [kind, what] : cases) {
    const auto sink = make_sink(with_kind(kind), SinkDependencies{});
    ASSERT_FALSE(sink) << kind;
    EXPECT_EQ(sink.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(sink.error().message.find(what), std::string::npos) << sink.error().message;
  }
  SinkDependencies no_embedder = all();
  no_embedder.embedder = nullptr;
  const auto sink = make_sink(with_kind("qdrant"), no_embedder);
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().message.find("embedder"), std::string::npos);
}

TEST_F(MakeSinkTest, RefusesAnUnknownKind) {
  const auto sink = make_sink(with_kind("s3"), all());
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().message.find("\"s3\" is unknown"), std::string::npos);
  EXPECT_NE(sink.error().message.find("orchestrator, qdrant, lightrag or directory"),
            std::string::npos);
}

TEST_F(MakeSinkTest, TheQdrantSinkTakesItsSettingsFromSinkAndQdrant) {
  config::Config config = with_kind("qdrant");
  config.qdrant.collection = "from-qdrant";
  config.qdrant.distance = "dot";
  config.qdrant.vector_name = "dense";
  config.sink.chunk_tokens = 256;
  config.sink.chunk_overlap_tokens = 32;
  auto sink = make_sink(config, all());
  ASSERT_TRUE(sink);
  const auto& settings = dynamic_cast<QdrantSink&>(**sink).settings();
  EXPECT_EQ(settings.collection, "from-qdrant");
  EXPECT_EQ(settings.distance, "Dot");
  EXPECT_EQ(settings.vector_name, "dense");
  EXPECT_EQ(settings.chunking.chunk_tokens, 256U);
  EXPECT_EQ(settings.chunking.overlap_tokens, 32U);

  config.sink.collection = "from-sink";
  sink = make_sink(config, all());
  ASSERT_TRUE(sink);
  EXPECT_EQ(dynamic_cast<QdrantSink&>(**sink).settings().collection, "from-sink");
}

TEST_F(MakeSinkTest, RefusesQdrantSettingsThatCannotWork) {
  config::Config config = with_kind("qdrant");
  config.sink.collection = "a/b";
  EXPECT_NE(make_sink(config, all()).error().message.find("[sink] collection 'a/b'"),
            std::string::npos);
  config.sink.collection.clear();
  config.qdrant.distance = "euclidean";
  EXPECT_NE(make_sink(config, all()).error().message.find("distance 'euclidean'"),
            std::string::npos);
  config.qdrant.distance = "Cosine";
  config.sink.chunk_tokens = 8;
  EXPECT_NE(make_sink(config, all()).error().message.find("chunk_tokens"), std::string::npos);
  config.sink.chunk_tokens = 100;
  config.sink.chunk_overlap_tokens = 60;
  EXPECT_NE(make_sink(config, all()).error().message.find("chunk_overlap_tokens"),
            std::string::npos);
}

TEST_F(MakeSinkTest, TheDirectorySinkWritesWhereConfigSays) {
  config::Config config = with_kind("directory");
  config.sink.directory = "/var/lib/shield-mcp/documents";
  const auto sink = make_sink(config, all());
  ASSERT_TRUE(sink);
  EXPECT_EQ(dynamic_cast<DirectorySink&>(**sink).directory(), "/var/lib/shield-mcp/documents");
  config.sink.directory.clear();
  EXPECT_FALSE(make_sink(config, all()));
}

}  // namespace
}  // namespace shield::ingest
