#include "shield/http/client.hpp"

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "curl_multi_driver.hpp"
#include "transfer.hpp"

namespace shield::http {

namespace asio = boost::asio;

std::optional<std::string> ClientResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

const char* to_string(ClientErrorKind kind) noexcept {
  switch (kind) {
    case ClientErrorKind::kConnect:
      return "connect";
    case ClientErrorKind::kTimeout:
      return "timeout";
    case ClientErrorKind::kTls:
      return "tls";
    case ClientErrorKind::kTooLarge:
      return "too_large";
    case ClientErrorKind::kReset:
      return "reset";
    case ClientErrorKind::kCancelled:
      return "cancelled";
    case ClientErrorKind::kInvalid:
      return "invalid";
    case ClientErrorKind::kOther:
      return "other";
  }
  return "other";
}

struct Client::Impl {
  std::shared_ptr<detail::CurlMultiDriver> driver;
};

Client::Client(asio::io_context& io, ClientOptions options)
    : impl_(std::make_shared<Impl>(
          Impl{std::make_shared<detail::CurlMultiDriver>(io, std::move(options))})) {}

Client::~Client() {
  if (impl_) impl_->driver->shutdown();
}

void Client::shutdown() {
  impl_->driver->shutdown();
}

asio::awaitable<ClientResult> Client::send(ClientRequest request, CancellationToken cancel) {
  auto driver = impl_->driver;
  auto initiate = [driver](auto handler, ClientRequest req, CancellationToken token) {
    asio::any_io_executor executor =
        asio::get_associated_executor(handler, driver->context().get_executor());
    auto transfer = std::make_shared<detail::Transfer>(
        std::move(req), std::move(token), detail::Transfer::Completion(std::move(handler)),
        executor);
    if (auto error = transfer->configure(driver->options())) {
      transfer->complete(tl::unexpected(std::move(*error)));
      return;
    }
    driver->submit(std::move(transfer));
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(ClientResult)>(
      std::move(initiate), asio::use_awaitable, std::move(request), std::move(cancel));
}

}  // namespace shield::http
