#include "curl_multi_driver.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

namespace shield::http::detail {

namespace asio = boost::asio;

// One curl socket as Asio sees it: a private dup() registered with the reactor, so closing
// it can never touch a descriptor curl still uses or has already handed back to the OS.
struct CurlMultiDriver::SocketWatch {
  explicit SocketWatch(Strand& strand, curl_socket_t curl_socket)
      : descriptor(strand), socket(curl_socket) {}
  ~SocketWatch() { close(); }
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  // release() deregisters our copy from the reactor and aborts its waits; we close the copy
  // ourselves because Asio's close() skips deregistration, which is only right when no
  // other descriptor shares the open file.
  void close() {
    closed = true;
    if (descriptor.is_open()) ::close(descriptor.release());
  }

  asio::posix::stream_descriptor descriptor;
  curl_socket_t socket;
  int what = 0;  // CURL_POLL_IN / OUT / INOUT: what curl wants to hear about
  bool reading = false;
  bool writing = false;
  bool closed = false;  // set before any wait it aborts can run, so stale waits do nothing
};

namespace {

ClientResult cancelled(std::string message) {
  return tl::unexpected(ClientError{ClientErrorKind::kCancelled, std::move(message)});
}

void initialise_curl_once() {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) throw std::runtime_error("curl_global_init failed");
}

}  // namespace

CurlMultiDriver::CurlMultiDriver(asio::io_context& io, ClientOptions options)
    : io_(io), options_(std::move(options)), strand_(asio::make_strand(io)), timer_(strand_) {
  initialise_curl_once();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
  const auto per_host = static_cast<long>(options_.max_connections_per_host);
  const auto total = static_cast<long>(options_.max_total_connections);
  CURLMcode rc = CURLM_OK;
  auto set = [&](CURLMoption option, auto value) {
    if (rc == CURLM_OK) rc = curl_multi_setopt(multi_, option, value);
  };
  set(CURLMOPT_SOCKETFUNCTION, &CurlMultiDriver::on_socket);
  set(CURLMOPT_SOCKETDATA, static_cast<void*>(this));
  set(CURLMOPT_TIMERFUNCTION, &CurlMultiDriver::on_timer);
  set(CURLMOPT_TIMERDATA, static_cast<void*>(this));
  set(CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
  set(CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
  // Keep as many idle connections as we may open, so a burst's connections are reused by
  // the next burst instead of being closed once the in-flight count drops.
  set(CURLMOPT_MAXCONNECTS, total);
  if (rc != CURLM_OK) {
    curl_multi_cleanup(multi_);
    throw std::runtime_error(std::string("curl_multi_setopt failed: ") + curl_multi_strerror(rc));
  }
}

CurlMultiDriver::~CurlMultiDriver() {
  // Only reached with transfers left when the io_context is destroyed with our waits still
  // queued; their completions go with it, so they are dropped, not run.
  tearing_down_ = true;
  for (auto& [easy, transfer] : running_) curl_multi_remove_handle(multi_, easy);
  running_.clear();
  curl_multi_cleanup(multi_);
  sockets_.clear();
}

void CurlMultiDriver::submit(std::shared_ptr<Transfer> transfer) {
  std::weak_ptr<CurlMultiDriver> weak_self = weak_from_this();
  std::weak_ptr<Transfer> weak_transfer = transfer;
  auto slot = transfer->cancellation_slot();
  if (slot.is_connected()) {
    slot.assign([weak_self, weak_transfer](asio::cancellation_type type) {
      if (type == asio::cancellation_type::none) return;
      if (auto self = weak_self.lock()) self->cancel(weak_transfer, "operation cancelled");
    });
  }
  asio::post(strand_, [self = shared_from_this(), transfer = std::move(transfer)] {
    self->start(transfer);
  });
}

void CurlMultiDriver::cancel(const std::weak_ptr<Transfer>& transfer, std::string reason) {
  asio::post(strand_, [self = shared_from_this(), transfer, reason = std::move(reason)] {
    auto target = transfer.lock();
    if (!target || target->completed()) return;
    auto why = reason.empty() ? target->cancel_token().reason() : reason;
    self->finish(target, cancelled("request cancelled: " + (why.empty() ? "cancelled" : why)));
  });
}

void CurlMultiDriver::shutdown() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->shut_down_) return;
    self->shut_down_ = true;
    self->abort_all("the HTTP client is shut down");
    // Nothing of ours may keep the io_context busy any more: idle pooled connections are
    // closed when the driver goes.
    self->timer_.cancel();
    for (auto& [socket, watch] : self->sockets_) watch->close();
    self->sockets_.clear();
  });
}

void CurlMultiDriver::start(const std::shared_ptr<Transfer>& transfer) {
  if (transfer->completed()) return;  // cancelled before it got here
  if (shut_down_) {
    transfer->complete(cancelled("the HTTP client is shut down"));
    return;
  }
  const auto& token = transfer->cancel_token();
  if (token.cancelled()) {
    transfer->complete(cancelled("request cancelled: " + token.reason()));
    return;
  }
  if (auto rc = curl_multi_add_handle(multi_, transfer->easy()); rc != CURLM_OK) {
    transfer->complete(
        tl::unexpected(ClientError{ClientErrorKind::kOther, curl_multi_strerror(rc)}));
    return;
  }
  running_.emplace(transfer->easy(), transfer);
  // The callback runs on whichever thread trips the token (or right here if it already
  // was), so it only posts; weak references let a finished transfer and a dead driver go.
  std::weak_ptr<CurlMultiDriver> weak_self = weak_from_this();
  std::weak_ptr<Transfer> weak_transfer = transfer;
  transfer->set_cancel_registration(token.on_cancel([weak_self, weak_transfer] {
    if (auto self = weak_self.lock()) self->cancel(weak_transfer, {});
  }));
}

int CurlMultiDriver::on_socket(CURL* easy, curl_socket_t socket, int what, void* self,
                               void* watch) {
  auto* driver = static_cast<CurlMultiDriver*>(self);
  if (auto ec = driver->watch_socket(socket, what, static_cast<SocketWatch*>(watch))) {
    driver->fail_soon(easy, "cannot watch the connection's socket: " + ec.message());
  }
  return 0;
}

int CurlMultiDriver::on_timer(CURLM*, long timeout_ms, void* self) {
  static_cast<CurlMultiDriver*>(self)->schedule_timeout(timeout_ms);
  return 0;
}

boost::system::error_code CurlMultiDriver::watch_socket(curl_socket_t socket, int what,
                                                        SocketWatch* known) {
  auto it = sockets_.find(socket);
  if (what == CURL_POLL_REMOVE) {
    if (it != sockets_.end()) {
      it->second->close();
      sockets_.erase(it);
    }
    return {};
  }
  if (tearing_down_ || shut_down_) return {};
  if (it != sockets_.end() && it->second.get() != known) {
    // curl has a new socket under a number it closed without telling us: drop the old watch.
    it->second->close();
    sockets_.erase(it);
    it = sockets_.end();
  }
  std::shared_ptr<SocketWatch> watch;
  if (it != sockets_.end()) {
    watch = it->second;
  } else {
    watch = std::make_shared<SocketWatch>(strand_, socket);
    const int copy = ::fcntl(socket, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) return {errno, boost::system::system_category()};
    boost::system::error_code ec;
    watch->descriptor.assign(copy, ec);
    if (ec) {
      ::close(copy);
      return ec;
    }
    sockets_.emplace(socket, watch);
    curl_multi_assign(multi_, socket, watch.get());
  }
  watch->what = what;
  arm(watch);
  return {};
}

void CurlMultiDriver::fail_soon(CURL* easy, std::string message) {
  // Called from inside a curl call, which must not remove handles: finish on a later turn.
  auto it = easy != nullptr ? running_.find(easy) : running_.end();
  if (it == running_.end()) return;
  std::weak_ptr<Transfer> transfer = it->second;
  asio::post(strand_, [self = shared_from_this(), transfer, message = std::move(message)] {
    auto target = transfer.lock();
    if (!target || target->completed()) return;
    self->finish(target, tl::unexpected(ClientError{ClientErrorKind::kOther, message}));
  });
}

void CurlMultiDriver::arm(const std::shared_ptr<SocketWatch>& watch) {
  if (watch->closed) return;
  if ((watch->what & CURL_POLL_IN) != 0 && !watch->reading) wait_for(watch, true);
  if ((watch->what & CURL_POLL_OUT) != 0 && !watch->writing) wait_for(watch, false);
}

void CurlMultiDriver::wait_for(const std::shared_ptr<SocketWatch>& watch, bool read) {
  const int wanted = read ? CURL_POLL_IN : CURL_POLL_OUT;
  (read ? watch->reading : watch->writing) = true;
  watch->descriptor.async_wait(
      read ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write,
      [self = shared_from_this(), watch, read, wanted](boost::system::error_code ec) {
        (read ? watch->reading : watch->writing) = false;
        // A stale wait (socket closed, or curl lost interest meanwhile) must not reach curl.
        if (watch->closed || (watch->what & wanted) == 0) return;
        if (ec) {
          self->act(watch->socket, CURL_CSELECT_ERR);
          return;
        }
        self->act(watch->socket, read ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
        self->arm(watch);
      });
}

void CurlMultiDriver::schedule_timeout(long timeout_ms) {
  if (timeout_ms < 0 || tearing_down_ || shut_down_) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    self->act(CURL_SOCKET_TIMEOUT, 0);
  });
}

void CurlMultiDriver::act(curl_socket_t socket, int events) {
  if (shut_down_) return;
  int running = 0;
  curl_multi_socket_action(multi_, socket, events, &running);
  collect_finished();
}

void CurlMultiDriver::collect_finished() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    // The message dies with the handle's removal: copy what we need first.
    CURL* easy = message->easy_handle;
    const CURLcode code = message->data.result;
    auto it = running_.find(easy);
    if (it == running_.end()) {
      curl_multi_remove_handle(multi_, easy);
      continue;
    }
    auto transfer = it->second;
    finish(transfer, transfer->outcome(code));
  }
}

void CurlMultiDriver::finish(const std::shared_ptr<Transfer>& transfer, ClientResult result) {
  curl_multi_remove_handle(multi_, transfer->easy());
  running_.erase(transfer->easy());
  transfer->complete(std::move(result));
}

void CurlMultiDriver::abort_all(const std::string& reason) {
  std::vector<std::shared_ptr<Transfer>> transfers;
  transfers.reserve(running_.size());
  for (auto& [easy, transfer] : running_) transfers.push_back(transfer);
  for (auto& transfer : transfers) finish(transfer, cancelled(reason));
}

}  // namespace shield::http::detail
