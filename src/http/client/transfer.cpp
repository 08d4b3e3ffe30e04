#include "transfer.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <system_error>
#include <utility>

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include "curl_error_kind.hpp"

namespace shield::http::detail {

namespace {

namespace asio = boost::asio;

ClientError invalid(std::string message) {
  return ClientError{ClientErrorKind::kInvalid, std::move(message)};
}

bool is_token(std::string_view text) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_ip_literal(const std::string& address) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, address.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, address.c_str(), buffer) == 1;
}

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

struct CurlTextDeleter {
  void operator()(char* text) const { curl_free(text); }
};

using CurlText = std::unique_ptr<char, CurlTextDeleter>;

std::optional<std::string> url_part(CURLU* url, CURLUPart part, unsigned flags) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK) return std::nullopt;
  CurlText text(raw);
  return std::string(text.get());
}

}  // namespace

Transfer::Transfer(ClientRequest request, CancellationToken cancel, Completion completion,
                   const asio::any_io_executor& completion_executor)
    : request_(std::move(request)),
      cancel_(std::move(cancel)),
      completion_(std::move(completion)),
      completion_executor_(
          asio::prefer(completion_executor, asio::execution::outstanding_work.tracked)),
      started_(std::chrono::steady_clock::now()) {}

Transfer::~Transfer() {
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  curl_slist_free_all(request_headers_);
  curl_slist_free_all(connect_to_);
}

asio::cancellation_slot Transfer::cancellation_slot() const {
  return completion_ ? completion_.get_cancellation_slot() : asio::cancellation_slot();
}

std::optional<ClientError> Transfer::configure(const ClientOptions& options) {
  if (request_.url.empty()) return invalid("the request has no URL");
  easy_ = curl_easy_init();
  if (easy_ == nullptr) return ClientError{ClientErrorKind::kOther, "curl_easy_init failed"};

  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy_, option, value);
  };
  set(CURLOPT_PRIVATE, static_cast<void*>(this));
  set(CURLOPT_URL, request_.url.c_str());
  // Only the web: no file://, gopher://, dict://, ... not even through a redirect.
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_ERRORBUFFER, error_buffer_);
  set(CURLOPT_WRITEFUNCTION, &Transfer::on_body);
  set(CURLOPT_WRITEDATA, static_cast<void*>(this));
  set(CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  set(CURLOPT_HEADERDATA, static_cast<void*>(this));
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request_.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(request_.total_timeout.count()));
  // An empty list asks for every encoding this libcurl can decode (gzip, deflate, br, zstd).
  set(CURLOPT_ACCEPT_ENCODING, "");
  set(CURLOPT_FOLLOWLOCATION, request_.follow_redirects ? 1L : 0L);
  if (request_.fresh_connection) set(CURLOPT_FRESH_CONNECT, 1L);
  set(CURLOPT_MAXREDIRS, 10L);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  // Replaces the default bundle only; the default CA directory stays, so the system's
  // roots are still trusted.
  if (!options.ca_file.empty()) set(CURLOPT_CAINFO, options.ca_file.c_str());
  set(CURLOPT_USERAGENT, options.user_agent.c_str());
  // Refuses early when Content-Length announces too much; the write callback enforces the
  // cap on the decoded body either way. A HEAD answer's Content-Length is not a body.
  if (request_.max_response_bytes > 0 && request_.method != "HEAD") {
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request_.max_response_bytes));
  }
  if (rc != CURLE_OK) return ClientError{ClientErrorKind::kOther, curl_easy_strerror(rc)};

  if (auto error = set_method()) return error;
  if (auto error = set_headers()) return error;
  if (auto error = set_pinned_address()) return error;
  return std::nullopt;
}

std::optional<ClientError> Transfer::set_method() {
  const auto& method = request_.method;
  if (!is_token(method)) return invalid("invalid HTTP method '" + method + "'");
  const bool has_body = !request_.body.empty();
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy_, option, value);
  };
  auto set_body = [&] {
    // The body lives in request_ until the easy handle is gone, so curl needs no copy.
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_.body.size()));
    set(CURLOPT_POSTFIELDS, request_.body.data());
  };
  if (method == "HEAD") {
    if (has_body) return invalid("a HEAD request cannot carry a body");
    set(CURLOPT_NOBODY, 1L);
  } else if (method == "GET" && !has_body) {
    set(CURLOPT_HTTPGET, 1L);
  } else if (method == "POST") {
    set_body();
  } else {
    set(CURLOPT_CUSTOMREQUEST, method.c_str());
    // PUT and PATCH always send a Content-Length, even for an empty body.
    if (has_body || method == "PUT" || method == "PATCH") set_body();
  }
  if (rc != CURLE_OK) return ClientError{ClientErrorKind::kOther, curl_easy_strerror(rc)};
  return std::nullopt;
}

std::optional<ClientError> Transfer::set_headers() {
  bool has_content_type = false;
  bool has_expect = false;
  auto append = [this](const std::string& line) {
    auto* grown = curl_slist_append(request_headers_, line.c_str());
    if (grown == nullptr) return false;
    request_headers_ = grown;
    return true;
  };
  for (const auto& [name, value] : request_.headers) {
    if (!is_token(name)) return invalid("invalid header name '" + name + "'");
    if (has_line_break(value)) return invalid("header '" + name + "' contains a line break");
    has_content_type = has_content_type || same_name(name, "content-type");
    has_expect = has_expect || same_name(name, "expect");
    // curl drops "Name:" (it means "remove this header"); "Name;" sends it empty.
    if (!append(value.empty() ? name + ";" : name + ": " + value)) {
      return ClientError{ClientErrorKind::kOther, "out of memory building request headers"};
    }
  }
  bool ok = true;
  // curl would wait up to a second for "100 Continue" before sending a larger body; our
  // peers answer directly, so that wait is pure latency.
  if (!has_expect) ok = ok && append("Expect:");
  // The client speaks JSON. Left alone, curl would label every POST form-urlencoded, even
  // an empty one; "Content-Type:" with no value tells curl to send none.
  if (!has_content_type) {
    ok = ok && append(request_.body.empty() ? "Content-Type:" : "Content-Type: application/json");
  }
  if (!ok) return ClientError{ClientErrorKind::kOther, "out of memory building request headers"};
  if (curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, request_headers_) != CURLE_OK) {
    return ClientError{ClientErrorKind::kOther, "cannot set request headers"};
  }
  return std::nullopt;
}

std::optional<ClientError> Transfer::set_pinned_address() {
  if (!request_.pinned_address) return std::nullopt;
  const auto& address = *request_.pinned_address;
  if (!is_ip_literal(address)) {
    return invalid("pinned_address '" + address + "' is not an IP address");
  }
  std::unique_ptr<CURLU, CurlUrlDeleter> url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, request_.url.c_str(), 0) != CURLUE_OK) {
    return invalid("invalid URL '" + request_.url + "'");
  }
  auto host = url_part(url.get(), CURLUPART_HOST, 0);
  auto port = url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!host || !port) return invalid("URL '" + request_.url + "' has no host or port");
  // CONNECT_TO rather than RESOLVE: it adds nothing to the multi handle's shared DNS cache,
  // and curl reuses a connection only for requests pinned to the same address.
  const auto target = address.find(':') == std::string::npos ? address : "[" + address + "]";
  const auto entry = *host + ":" + *port + ":" + target + ":" + *port;
  connect_to_ = curl_slist_append(nullptr, entry.c_str());
  if (connect_to_ == nullptr ||
      curl_easy_setopt(easy_, CURLOPT_CONNECT_TO, connect_to_) != CURLE_OK) {
    return ClientError{ClientErrorKind::kOther, "cannot pin the connection address"};
  }
  return std::nullopt;
}

std::size_t Transfer::on_body(char* data, std::size_t size, std::size_t count, void* self) {
  auto* transfer = static_cast<Transfer*>(self);
  const auto bytes = size * count;
  if (transfer->body_.size() + bytes > transfer->request_.max_response_bytes) {
    transfer->body_over_limit_ = true;
    return 0;
  }
  transfer->body_.append(data, bytes);
  return bytes;
}

std::size_t Transfer::on_header(char* data, std::size_t size, std::size_t count, void* self) {
  const auto bytes = size * count;
  static_cast<Transfer*>(self)->header_parser_.on_line(std::string_view(data, bytes));
  return bytes;
}

ClientResult Transfer::outcome(CURLcode code) {
  if (code != CURLE_OK) {
    const auto kind = classify_curl_error(code, body_over_limit_);
    std::string message = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(code);
    // curl's text says "Couldn't connect to server"; the OS says why ("Connection refused").
    long os_error = 0;
    curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &os_error);
    if (os_error != 0 && (kind == ClientErrorKind::kConnect || kind == ClientErrorKind::kReset)) {
      message += " (" + std::system_category().message(static_cast<int>(os_error)) + ")";
    }
    if (kind == ClientErrorKind::kTooLarge) {
      message = "response body exceeds " + std::to_string(request_.max_response_bytes) +
                " bytes (" + message + ")";
    }
    return tl::unexpected(ClientError{kind, std::move(message)});
  }
  ClientResponse response;
  long status = 0;
  char* effective_url = nullptr;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &effective_url);
  response.status = static_cast<unsigned>(status);
  response.effective_url = effective_url != nullptr ? effective_url : request_.url;
  response.headers = header_parser_.take();
  response.body = std::move(body_);
  response.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started_);
  return response;
}

void Transfer::complete(ClientResult result) {
  if (!completion_) return;
  cancel_.forget(cancel_registration_);
  cancel_registration_ = 0;
  auto executor = std::move(completion_executor_);
  asio::post(executor,
             [completion = Completion(std::move(completion_)),
              result = std::move(result)]() mutable { std::move(completion)(std::move(result)); });
}

}  // namespace shield::http::detail
