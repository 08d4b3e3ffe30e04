#pragma once
// CurlMultiDriver: one curl multi handle run by the daemon's io_context through the
// multi-socket API. curl says which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
// wake it (CURLMOPT_TIMERFUNCTION); Asio waits for readiness and calls
// curl_multi_socket_action, so no thread ever blocks in curl.
//
// Threading: the multi handle is not thread-safe, so every curl call runs on one strand;
// submit(), cancel() and shutdown() may be called from any thread and post to it.
// Ownership: shared. Every pending wait holds the driver, so it lives until the last one
// ends (or the io_context is destroyed). Client's destructor calls shutdown().
// Sockets: Asio watches a dup() of each curl socket and only ever closes its own copy,
// so it never closes a descriptor curl owns, and a number curl closes and reuses cannot
// be confused with the old one.
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include <curl/curl.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "shield/http/client.hpp"
#include "transfer.hpp"

namespace shield::http::detail {

class CurlMultiDriver : public std::enable_shared_from_this<CurlMultiDriver> {
 public:
  CurlMultiDriver(boost::asio::io_context& io, ClientOptions options);
  ~CurlMultiDriver();
  CurlMultiDriver(const CurlMultiDriver&) = delete;
  CurlMultiDriver& operator=(const CurlMultiDriver&) = delete;

  // Starts `transfer` (already configured); its completion runs exactly once.
  void submit(std::shared_ptr<Transfer> transfer);
  // Aborts the transfer if it is still running; it completes with kCancelled.
  void cancel(const std::weak_ptr<Transfer>& transfer, std::string reason);
  // Aborts every transfer; later submissions complete with kCancelled at once.
  void shutdown();

  [[nodiscard]] const ClientOptions& options() const noexcept { return options_; }
  [[nodiscard]] boost::asio::io_context& context() noexcept { return io_; }

 private:
  struct SocketWatch;
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  static int on_socket(CURL* easy, curl_socket_t socket, int what, void* self, void* watch);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);

  void start(const std::shared_ptr<Transfer>& transfer);
  boost::system::error_code watch_socket(curl_socket_t socket, int what, SocketWatch* known);
  void fail_soon(CURL* easy, std::string message);
  void arm(const std::shared_ptr<SocketWatch>& watch);
  void wait_for(const std::shared_ptr<SocketWatch>& watch, bool read);
  void schedule_timeout(long timeout_ms);
  void act(curl_socket_t socket, int events);
  void collect_finished();
  void finish(const std::shared_ptr<Transfer>& transfer, ClientResult result);
  void abort_all(const std::string& reason);

  boost::asio::io_context& io_;
  ClientOptions options_;
  Strand strand_;
  boost::asio::steady_timer timer_;
  CURLM* multi_ = nullptr;
  std::unordered_map<CURL*, std::shared_ptr<Transfer>> running_;
  std::map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets_;
  bool shut_down_ = false;
  bool tearing_down_ = false;
};

}  // namespace shield::http::detail
