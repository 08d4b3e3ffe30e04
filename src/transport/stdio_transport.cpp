#include "shield/transport/stdio_transport.hpp"

#include <poll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "shield/mcp/json_rpc.hpp"
#include "shield/util/clock.hpp"
#include "shield/util/secure_token.hpp"

namespace shield::transport {
namespace {

namespace asio = boost::asio;
using mcp::Json;

std::string serialise(const Json& message) {
  return message.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Lines bigger than this are refused whole: a client that never sends a newline must not
// grow our buffer without bound.
std::size_t line_limit(const config::Config& config) {
  return config.mcp.max_message_bytes;
}

}  // namespace

struct StdioTransport::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, mcp::Engine& mcp_engine, const config::Config& cfg,
       std::function<void()> eof_callback, int in, int out)
      : io(io_context),
        engine(mcp_engine),
        config(cfg),
        on_eof(std::move(eof_callback)),
        in_fd(in),
        out_fd(out),
        strand(asio::make_strand(io_context)),
        session(std::make_shared<mcp::Session>("stdio-" + random_hex(8),
                                               SystemClock::instance().now())) {}

  asio::io_context& io;
  mcp::Engine& engine;
  const config::Config config;
  std::function<void()> on_eof;
  const int in_fd;
  const int out_fd;
  asio::strand<asio::io_context::executor_type> strand;
  // The one implicit session: initialize negotiates on it; stateless (2026-07-28) requests
  // travel on it too, so notifications/cancelled reaches them.
  std::shared_ptr<mcp::Session> session;

  std::atomic<bool> stopped{false};
  int wake[2] = {-1, -1};
  std::thread reader;

  // Lines posted or requests dispatched but not yet answered; EOF is reported once this
  // drops to zero, so `echo request | shield-mcp --stdio` still gets its answer.
  std::mutex progress_mutex;
  std::size_t outstanding = 0;
  bool eof_seen = false;
  bool eof_reported = false;

  // One writer thread owns stdout, so lines never interleave and a slow reader on the
  // other end never blocks the io_context.
  std::mutex out_mutex;
  std::condition_variable out_ready;
  std::deque<std::string> out_queue;
  bool out_broken = false;
  bool writer_done = false;
  std::thread writer;

  // ---- output ----------------------------------------------------------------------

  void write_line(const Json& message) {
    std::string line = serialise(message);
    line.push_back('\n');
    {
      std::lock_guard lock(out_mutex);
      if (out_broken || writer_done) return;
      out_queue.push_back(std::move(line));
    }
    out_ready.notify_one();
  }

  void writer_loop() {
    // A closed stdout must end output quietly, not kill the process: block SIGPIPE on this
    // thread so write() reports EPIPE instead.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    for (;;) {
      std::string line;
      {
        std::unique_lock lock(out_mutex);
        out_ready.wait(lock, [&] { return !out_queue.empty() || writer_done; });
        if (out_queue.empty()) return;
        line = std::move(out_queue.front());
        out_queue.pop_front();
      }
      std::size_t written = 0;
      while (written < line.size()) {
        const ssize_t n = ::write(out_fd, line.data() + written, line.size() - written);
        if (n >= 0) {
          written += static_cast<std::size_t>(n);
          continue;
        }
        if (errno == EINTR) continue;
        spdlog::info("stdio: stdout closed ({}); no further output", std::strerror(errno));
        std::lock_guard lock(out_mutex);
        out_broken = true;
        out_queue.clear();
        return;
      }
    }
  }

  // ---- input -----------------------------------------------------------------------

  void reader_loop() {
    std::string pending;
    bool discarding = false;  // inside a line that outgrew the limit
    char buffer[64 * 1024];
    for (;;) {
      pollfd fds[2] = {{in_fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
      const int ready = ::poll(fds, 2, -1);
      if (ready < 0) {
        if (errno == EINTR) continue;
        spdlog::error("stdio: poll failed: {}", std::strerror(errno));
        break;
      }
      if (fds[1].revents != 0) return;  // stop()
      const ssize_t n = ::read(in_fd, buffer, sizeof buffer);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        spdlog::error("stdio: reading stdin failed: {}", std::strerror(errno));
        break;
      }
      if (n == 0) break;
      std::string_view chunk(buffer, static_cast<std::size_t>(n));
      while (!chunk.empty()) {
        const auto newline = chunk.find('\n');
        const auto piece = chunk.substr(0, newline);
        if (!discarding) pending.append(piece);
        if (pending.size() > line_limit(config)) {
          pending.clear();
          if (!discarding) {
            discarding = true;
            post_error(mcp::make_error(nullptr, mcp::kInvalidRequest,
                                       "Invalid Request: message exceeds the limit of " +
                                           std::to_string(line_limit(config)) + " bytes"));
          }
        }
        if (newline == std::string_view::npos) break;
        chunk.remove_prefix(newline + 1);
        if (!discarding) post_line(std::move(pending));
        pending.clear();
        discarding = false;
      }
    }
    if (!discarding && !pending.empty()) post_line(std::move(pending));
    {
      std::lock_guard lock(progress_mutex);
      eof_seen = true;
    }
    maybe_report_eof();
  }

  void post_error(Json error) { write_line(error); }

  void post_line(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    begin_work();
    asio::post(strand, [weak_self = weak_from_this(), line = std::move(line)] {
      if (auto self = weak_self.lock()) {
        self->on_line(line);
        self->end_work();
      }
    });
  }

  void begin_work() {
    std::lock_guard lock(progress_mutex);
    ++outstanding;
  }

  void end_work() {
    {
      std::lock_guard lock(progress_mutex);
      if (outstanding > 0) --outstanding;
    }
    maybe_report_eof();
  }

  void maybe_report_eof() {
    {
      std::lock_guard lock(progress_mutex);
      if (!eof_seen || outstanding > 0 || eof_reported) return;
      eof_reported = true;
    }
    if (on_eof) asio::post(io, on_eof);
  }

  // ---- dispatch --------------------------------------------------------------------

  // Collects the answers of one 2025-03-26 batch into one output line.
  struct Batch {
    std::mutex mutex;
    std::size_t outstanding = 0;
    Json responses = Json::array();
  };

  class LineChannel final : public mcp::RequestChannel {
   public:
    LineChannel(std::weak_ptr<Impl> impl, std::shared_ptr<Batch> batch)
        : impl_(std::move(impl)), batch_(std::move(batch)) {}
    void notify(Json notification) override {
      if (auto impl = impl_.lock()) impl->write_line(notification);
    }
    void respond(Json response) override { finish(std::move(response)); }
    void cancelled() override { finish(std::nullopt); }

   private:
    void finish(std::optional<Json> response) {
      auto impl = impl_.lock();
      if (!impl) return;
      if (!batch_) {
        if (response) impl->write_line(*response);
      } else {
        Json complete;
        {
          std::lock_guard lock(batch_->mutex);
          if (response) batch_->responses.push_back(std::move(*response));
          if (batch_->outstanding > 0) --batch_->outstanding;
          if (batch_->outstanding == 0 && !batch_->responses.empty()) {
            complete = std::exchange(batch_->responses, Json::array());
          }
        }
        if (!complete.is_null()) impl->write_line(complete);
      }
      impl->end_work();
    }

    std::weak_ptr<Impl> impl_;
    std::shared_ptr<Batch> batch_;
  };

  void dispatch(Json message, const std::shared_ptr<Batch>& batch) {
    const auto kind = mcp::classify(message).kind;
    mcp::RequestScope scope;
    scope.session = session;
    scope.protocol_version = session->protocol_version();
    scope.caller = "stdio";
    if (kind == mcp::MessageKind::kRequest) {
      begin_work();
      scope.channel = std::make_shared<LineChannel>(weak_from_this(), batch);
    } else if (kind == mcp::MessageKind::kInvalid && !batch) {
      // The engine answers an invalid message itself (-32600), outside any count.
      scope.channel = std::make_shared<LineChannel>(weak_from_this(), nullptr);
      begin_work();
    }
    engine.handle(std::move(message), std::move(scope));
  }

  void on_line(const std::string& line) {
    if (stopped.load()) return;
    auto parsed = mcp::parse_json(line, config.mcp.max_message_bytes, config.mcp.max_json_depth);
    if (!parsed) {
      write_line(mcp::error_response_for(parsed.error()));
      return;
    }
    Json body = std::move(*parsed);
    if (!body.is_array()) {
      dispatch(std::move(body), nullptr);
      return;
    }
    const std::string version = session->protocol_version();
    if (version != "2025-03-26") {
      write_line(mcp::make_error(nullptr, mcp::kInvalidRequest,
                                 "Invalid Request: batches are only part of 2025-03-26" +
                                     (version.empty() ? std::string("; initialize first")
                                                      : "; this session negotiated " + version)));
      return;
    }
    if (body.empty()) {
      write_line(mcp::make_error(nullptr, mcp::kInvalidRequest, "Invalid Request: an empty batch"));
      return;
    }
    auto batch = std::make_shared<Batch>();
    std::vector<Json> valid;
    for (auto& item : body) {
      const auto classified = mcp::classify(item);
      if (classified.kind == mcp::MessageKind::kInvalid) {
        batch->responses.push_back(mcp::make_error(classified.id, mcp::kInvalidRequest,
                                                   "Invalid Request: " + classified.problem));
        continue;
      }
      if (classified.kind == mcp::MessageKind::kRequest) ++batch->outstanding;
      if (item.is_object() && item.value("method", std::string()) == "initialize") {
        --batch->outstanding;
        batch->responses.push_back(mcp::make_error(
            classified.id, mcp::kInvalidRequest,
            "Invalid Request: initialize must be sent on its own, not inside a batch"));
        continue;
      }
      valid.push_back(std::move(item));
    }
    if (batch->outstanding == 0) {
      for (auto& item : valid) dispatch(std::move(item), nullptr);
      if (!batch->responses.empty()) write_line(batch->responses);
      return;
    }
    for (auto& item : valid) dispatch(std::move(item), batch);
  }

  // ---- lifecycle -------------------------------------------------------------------

  void start() {
    if (::pipe(wake) != 0) {
      throw std::runtime_error(std::string("stdio: cannot create the wake-up pipe: ") +
                               std::strerror(errno));
    }
    writer = std::thread([self = shared_from_this()] { self->writer_loop(); });
    reader = std::thread([self = shared_from_this()] { self->reader_loop(); });
  }

  void stop() {
    if (stopped.exchange(true)) return;
    if (wake[1] >= 0) {
      const char byte = 1;
      while (::write(wake[1], &byte, 1) < 0 && errno == EINTR) {
      }
    }
    session->cancel_all("the stdio transport stopped");
  }

  void join() {
    stop();
    if (reader.joinable() && reader.get_id() != std::this_thread::get_id()) reader.join();
    {
      std::lock_guard lock(out_mutex);
      writer_done = true;
    }
    out_ready.notify_all();
    if (writer.joinable() && writer.get_id() != std::this_thread::get_id()) writer.join();
    for (int& fd : wake) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }
};

StdioTransport::StdioTransport(asio::io_context& io, mcp::Engine& engine,
                               const config::Config& config, std::function<void()> on_eof,
                               int in_fd, int out_fd)
    : impl_(std::make_shared<Impl>(io, engine, config, std::move(on_eof), in_fd, out_fd)) {}

StdioTransport::~StdioTransport() {
  impl_->join();
}

void StdioTransport::start() {
  impl_->start();
}

void StdioTransport::stop() {
  impl_->stop();
}

}  // namespace shield::transport
