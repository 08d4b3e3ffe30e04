#pragma once
// One accepted TCP connection: reads pipelined requests, hands each to the server's handler
// with an Exchange, and writes the answers back in request order (full responses or chunked
// streams). All state lives on the connection's strand; the public entry points may be
// called from any thread and post to it.
//
// Lifetime: owned by its pending operations and by the unanswered Exchanges and open
// streams it handed out (shared_from_this); the server keeps only a weak reference. It
// holds its streams weakly, so no cycle outlives a close.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include "access_log.hpp"
#include "shield/http/exchange.hpp"
#include "shield/http/server.hpp"

namespace shield::http::detail {

class ServerCore;
class ChunkedResponseStream;
class PeerGoneSignal;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Strand>;

  // `registered`: counted by the server (false for connections refused at the cap).
  Connection(std::shared_ptr<ServerCore> core, Socket socket, bool registered);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  // Answers 503 with Retry-After and closes: the server is at its connection cap.
  void refuse();
  void drain();
  void close();

  // Called by the Exchange / ResponseStream of request `seq`, from any thread.
  void complete(std::uint64_t seq, Response response);
  void begin_stream(std::uint64_t seq, Response head,
                    std::shared_ptr<ChunkedResponseStream> stream);
  void stream_write(std::uint64_t seq, std::string data);
  void stream_close(std::uint64_t seq);

 private:
  enum class ReadPhase { kNone, kIdle, kHead, kBody };
  enum class State { kOpen, kLingering, kClosed };
  enum class SlotState { kAwaiting, kAnswered, kStreaming };

  // One request in flight, in arrival order; answers leave in the same order.
  struct Slot {
    std::uint64_t seq = 0;
    SlotState state = SlotState::kAwaiting;
    bool keep_alive = true;
    std::optional<AccessLogEntry> log;
    std::shared_ptr<PeerGoneSignal> peer_gone;  // null for answers the server made itself
    std::unique_ptr<Response> response;
    std::weak_ptr<ChunkedResponseStream> stream;
    std::unique_ptr<boost::beast::http::response<boost::beast::http::empty_body>> stream_head;
    std::unique_ptr<boost::beast::http::response_serializer<boost::beast::http::empty_body>>
        head_serializer;
    std::deque<std::string> chunks;
    std::size_t queued_bytes = 0;
    bool head_written = false;
    bool end_requested = false;
  };

  const ServerLimits& limits() const;

  void do_read();
  // True when the read step must not go on: the connection is closing, or `ec` is an
  // error (then handled here, in one place, for every read step).
  bool read_stopped(const boost::system::error_code& ec);
  void on_readable(const boost::system::error_code& ec);
  void read_head();
  void on_head(const boost::system::error_code& ec);
  void on_body(const boost::system::error_code& ec);
  void on_request();
  void on_read_error(const boost::system::error_code& ec);
  void answer_and_close(unsigned status, std::string body, bool retry_later = false);

  void do_write();
  void write_response(Slot& slot);
  void on_response_written(const boost::system::error_code& ec, bool close_after);
  void write_stream_head(Slot& slot);
  void write_chunk(Slot& slot);
  void write_last_chunk(Slot& slot);
  void on_last_chunk_written(const boost::system::error_code& ec, bool close_after);
  void write_continue();
  bool close_after(const Slot& slot) const;
  void after_slot();

  Slot* find(std::uint64_t seq);
  void on_complete(std::uint64_t seq, Response response);
  void on_begin_stream(std::uint64_t seq, Response head,
                       const std::shared_ptr<ChunkedResponseStream>& stream);
  void on_stream_write(std::uint64_t seq, std::string data);
  void on_stream_close(std::uint64_t seq);

  void arm_read_deadline(std::chrono::milliseconds after);
  void disarm_read_deadline();
  void on_read_deadline();
  void arm_write_deadline();
  void disarm_write_deadline();

  void fail(const boost::system::error_code& ec, const char* what);
  void close_now(const char* why);
  void close_gracefully();
  void linger_read();
  void abandon_slots();
  void finish();

  std::shared_ptr<ServerCore> core_;
  Strand strand_;
  Socket socket_;
  bool registered_;
  std::string peer_;
  std::shared_ptr<const std::string> shared_peer_;  // handed to every exchange
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::size_t body_limit_ = 0;  // of the request being read: the route may raise it
  std::string_view body_limit_setting_ = "server.max_body_bytes";  // named in the 413
  std::deque<Slot> slots_;
  std::uint64_t next_seq_ = 0;

  State state_ = State::kOpen;
  ReadPhase phase_ = ReadPhase::kNone;
  bool reading_ = false;
  bool read_stopped_ = false;  // no further requests on this connection
  bool writing_ = false;
  bool draining_ = false;
  bool finished_ = false;

  boost::asio::steady_timer read_timer_;
  std::uint64_t read_deadline_gen_ = 0;
  boost::asio::steady_timer write_timer_;
  std::uint64_t write_deadline_gen_ = 0;

  std::unique_ptr<Response> out_response_;
  std::string out_chunk_;
  std::unique_ptr<char[]> linger_buffer_;
};

}  // namespace shield::http::detail
