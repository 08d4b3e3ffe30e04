#pragma once
// Transfer: one request in flight. It owns the easy handle and everything curl points into
// while the request runs (body, header lists, error buffer), collects the answer, and holds
// the caller's completion handler until the result is delivered.
//
// Threading: configured on the sending thread; once submitted, touched only on the
// CurlMultiDriver's strand. complete() hands the result to the completion's own executor,
// never running the caller's code on the strand.
// Ownership: the driver holds it while curl has the easy handle; cancellation callbacks
// hold it weakly.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include <curl/curl.h>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include "response_header_parser.hpp"
#include "shield/http/client.hpp"

namespace shield::http::detail {

class Transfer {
 public:
  using Completion = boost::asio::any_completion_handler<void(ClientResult)>;

  // `completion_executor` is where the completion runs: its associated executor.
  Transfer(ClientRequest request, CancellationToken cancel, Completion completion,
           const boost::asio::any_io_executor& completion_executor);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Sets every option on the easy handle. An error means the request cannot be sent.
  std::optional<ClientError> configure(const ClientOptions& options);

  [[nodiscard]] CURL* easy() const noexcept { return easy_; }
  [[nodiscard]] const CancellationToken& cancel_token() const noexcept { return cancel_; }
  [[nodiscard]] const ClientRequest& request() const noexcept { return request_; }
  void set_cancel_registration(std::size_t id) noexcept { cancel_registration_ = id; }
  // The caller's per-operation cancellation slot (asio's `||`, cancel_after, ...).
  [[nodiscard]] boost::asio::cancellation_slot cancellation_slot() const;

  // The result of a transfer curl reports finished with `code`.
  ClientResult outcome(CURLcode code);
  // Delivers `result` once, on the completion's executor; later calls do nothing.
  void complete(ClientResult result);
  [[nodiscard]] bool completed() const noexcept { return !completion_; }

 private:
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
  std::optional<ClientError> set_method();
  std::optional<ClientError> set_headers();
  std::optional<ClientError> set_pinned_address();

  ClientRequest request_;
  CancellationToken cancel_;
  std::size_t cancel_registration_ = 0;
  Completion completion_;
  // Keeps the completion's execution context alive (outstanding work) until delivery.
  boost::asio::any_io_executor completion_executor_;
  std::chrono::steady_clock::time_point started_;

  CURL* easy_ = nullptr;
  curl_slist* request_headers_ = nullptr;
  curl_slist* connect_to_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  ResponseHeaderParser header_parser_;
  std::string body_;
  bool body_over_limit_ = false;
};

}  // namespace shield::http::detail
