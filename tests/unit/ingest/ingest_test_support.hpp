#pragma once
// What the ingest tests share: a temporary directory removed afterwards, a blocking pool
// like the daemon's, an Embedder fake, a scripted Sink, a loop to run coroutines to
// completion with a bound, and documents to deliver.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include "shield/backend/embedder.hpp"
#include "shield/ingest/document.hpp"
#include "shield/ingest/document_id.hpp"
#include "shield/ingest/sink.hpp"

namespace shield::ingest::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "shield-ingest-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::vector<std::string> file_names(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  for (const auto& item : std::filesystem::directory_iterator(directory)) {
    names.push_back(item.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline Document make_document(const std::string& source, const std::string& markdown,
                              const std::string& job_id = "job_test") {
  Document document;
  document.source = source;
  document.id = document_id(source);
  document.title = "Title of " + source;
  document.content_type = "text/html";
  document.markdown = markdown;
  document.job_id = job_id;
  return document;
}

// One io_context on a thread of its own, plus a one-thread pool for blocking work.
class Loop {
 public:
  Loop() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~Loop() {
    work_.reset();
    io_.stop();
    thread_.join();
    pool_.join();
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  boost::asio::io_context& io() { return io_; }
  boost::asio::any_io_executor blocking() { return pool_.get_executor(); }

  // The value `work` completes with, or a test failure (not a hang) after 10 s.
  template <class T>
  T run(boost::asio::awaitable<T> work) {
    auto future = boost::asio::co_spawn(io_, std::move(work), boost::asio::use_future);
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "no result within 10 s";
      std::abort();
    }
    return future.get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  boost::asio::thread_pool pool_{1};
};

// Records every call; answers with `dims`-sized vectors (the first element is the text's
// length, so tests can tell vectors apart), or with `failure` when set.
class FakeEmbedder final : public backend::Embedder {
 public:
  explicit FakeEmbedder(std::size_t dims = 4) : dims_(dims) {}

  boost::asio::awaitable<backend::CallResult<backend::Embeddings>> embed(
      std::vector<std::string> texts, CancellationToken) override {
    {
      const std::lock_guard lock(mutex_);
      calls_.push_back(texts);
    }
    if (failure) co_return tl::unexpected(*failure);
    backend::Embeddings out;
    for (const auto& text : texts) {
      backend::Embedding vector(dims_, 0.5F);
      vector[0] = static_cast<float>(text.size());
      out.push_back(std::move(vector));
    }
    co_return out;
  }
  [[nodiscard]] std::optional<std::size_t> dimensions() const override { return dims_; }
  [[nodiscard]] const std::string& provider() const override { return provider_; }
  [[nodiscard]] const std::string& model() const override { return model_; }

  std::vector<std::vector<std::string>> calls() {
    const std::lock_guard lock(mutex_);
    return calls_;
  }

  std::optional<backend::BackendError> failure;

 private:
  std::size_t dims_;
  std::string provider_ = "fake";
  std::string model_ = "fake-model";
  std::mutex mutex_;
  std::vector<std::vector<std::string>> calls_;
};

// A Sink that answers each deliver() as the test's script says, and records the batches.
class ScriptedSink final : public Sink {
 public:
  using Script = std::function<backend::CallResult<SinkReceipt>(
      const std::vector<Document>& documents, std::size_t call)>;

  explicit ScriptedSink(Script script = {}) : script_(std::move(script)) {}

  [[nodiscard]] std::string_view name() const override { return "scripted"; }

  boost::asio::awaitable<backend::CallResult<SinkReceipt>> deliver(std::vector<Document> documents,
                                                                   CancellationToken) override {
    std::size_t call = 0;
    {
      const std::lock_guard lock(mutex_);
      call = batches_.size();
      batches_.push_back(documents);
    }
    if (script_) co_return script_(documents, call);
    SinkReceipt receipt;
    receipt.accepted = documents.size();
    co_return receipt;
  }
  boost::asio::awaitable<backend::CallResult<Json>> remote_status(std::string id,
                                                                  CancellationToken) override {
    co_return Json{{"remote_job_id", id}, {"state", "done"}, {"detail", Json::object()}};
  }

  std::vector<std::vector<Document>> batches() {
    const std::lock_guard lock(mutex_);
    return batches_;
  }
  void set_script(Script script) { script_ = std::move(script); }

 private:
  Script script_;
  std::mutex mutex_;
  std::vector<std::vector<Document>> batches_;
};

inline backend::BackendError sink_error(backend::BackendErrorCode code, std::string message,
                                        std::optional<int> retry_after_s = std::nullopt) {
  backend::BackendError error;
  error.code = code;
  error.backend = "scripted";
  error.message = std::move(message);
  error.retry_after_s = retry_after_s;
  return error;
}

}  // namespace shield::ingest::testing
