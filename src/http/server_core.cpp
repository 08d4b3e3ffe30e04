#include "server_core.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "connection.hpp"

namespace shield::http::detail {
namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;

namespace {

// Accept errors (EMFILE, ENOBUFS) are usually about the whole process; retrying at once
// would spin.
constexpr std::chrono::milliseconds kAcceptRetry{50};

}  // namespace

ServerCore::ServerCore(net::io_context& io, std::string name, ServerLimits limits, Handler handler)
    : io_(io),
      name_(std::move(name)),
      limits_(limits),
      handler_(std::move(handler)),
      acceptor_(net::make_strand(io)),
      accept_retry_(acceptor_.get_executor()) {}

ServerCore::~ServerCore() = default;

Result<HostPort> ServerCore::start(const HostPort& listen) {
  error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(listen.host, std::to_string(listen.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return fail(ErrorCode::kUnavailable, "cannot resolve listen host '" + listen.host + "': " +
                                             (ec ? ec.message() : std::string("no address")));
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  std::lock_guard lock(acceptor_mutex_);
  auto refuse = [&](const char* step) {
    error_code ignored;
    acceptor_.close(ignored);
    return fail(ErrorCode::kUnavailable,
                "cannot listen on " + listen.to_string() + " (" + step + "): " + ec.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return refuse("open");
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) {
    return refuse("reuse_address");
  }
  if (acceptor_.bind(endpoint, ec); ec) return refuse("bind");
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) return refuse("listen");
  const auto local = acceptor_.local_endpoint(ec);
  if (ec) return refuse("local_endpoint");
  HostPort bound{local.address().to_string(), local.port()};
  accepting_ = true;
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  spdlog::info("[{}] listening on {}", name_, bound.to_string());
  return bound;
}

void ServerCore::do_accept() {
  std::lock_guard lock(acceptor_mutex_);
  if (!accepting_) return;
  acceptor_.async_accept(net::make_strand(io_),
                         [self = shared_from_this()](const error_code& ec,
                                                     net::basic_stream_socket<tcp, Strand> socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void ServerCore::on_accept(const error_code& ec, net::basic_stream_socket<tcp, Strand> socket) {
  if (ec == net::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("[{}] accept failed: {}; retrying in {} ms", name_, ec.message(),
                 kAcceptRetry.count());
    std::lock_guard lock(acceptor_mutex_);
    if (!accepting_) return;
    accept_retry_.expires_after(kAcceptRetry);
    accept_retry_.async_wait([self = shared_from_this()](const error_code& e) {
      if (!e) self->do_accept();
    });
    return;
  }
  bool admitted = false;
  {
    std::lock_guard lock(mutex_);
    admitted = connections_.size() < limits_.max_connections;
  }
  if (!admitted) {
    spdlog::warn("[{}] connection limit of {} reached; answering 503", name_,
                 limits_.max_connections);
    std::make_shared<Connection>(shared_from_this(), std::move(socket), false)->refuse();
    do_accept();
    return;
  }
  auto connection = std::make_shared<Connection>(shared_from_this(), std::move(socket), true);
  {
    std::lock_guard lock(mutex_);
    connections_.emplace(connection.get(), connection);
    count_.store(connections_.size());
  }
  connection->start();
  do_accept();
}

void ServerCore::stop_accepting() {
  std::lock_guard lock(acceptor_mutex_);
  if (!accepting_) return;
  accepting_ = false;
  error_code ignored;
  accept_retry_.cancel();
  acceptor_.close(ignored);
  spdlog::info("[{}] stopped accepting connections", name_);
}

std::vector<std::shared_ptr<Connection>> ServerCore::snapshot() const {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard lock(mutex_);
  out.reserve(connections_.size());
  for (const auto& [key, weak] : connections_) {
    if (auto connection = weak.lock()) out.push_back(std::move(connection));
  }
  return out;
}

void ServerCore::drain(std::function<void()> done) {
  stop_accepting();
  draining_.store(true);
  {
    std::lock_guard lock(mutex_);
    if (!connections_.empty()) {
      drain_done_ = std::move(done);
      done = nullptr;
    }
  }
  if (done) {
    done();
    return;
  }
  for (auto& connection : snapshot()) connection->drain();
}

void ServerCore::close_all() {
  stop_accepting();
  for (auto& connection : snapshot()) connection->close();
}

std::size_t ServerCore::connection_count() const {
  return count_.load();
}

void ServerCore::forget(const Connection* connection) {
  std::function<void()> done;
  {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
    count_.store(connections_.size());
    if (connections_.empty() && drain_done_) done.swap(drain_done_);
  }
  if (done) done();
}

}  // namespace shield::http::detail
