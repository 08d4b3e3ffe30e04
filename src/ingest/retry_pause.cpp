#include "shield/ingest/retry_pause.hpp"

#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shield::ingest {
namespace {

namespace asio = boost::asio;

// The timer and the flag live on one strand: a cancel that trips on another thread is
// posted there, so it cannot slip in between the check and the start of the wait.
struct PauseState {
  PauseState(const asio::strand<asio::any_io_executor>& strand, Clock::Duration delay)
      : timer(strand, delay) {}

  static asio::awaitable<void> run(std::shared_ptr<PauseState> self) {
    if (self->cancelled) co_return;
    boost::system::error_code ignored;
    co_await self->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  asio::steady_timer timer;
  bool cancelled = false;
};

asio::awaitable<bool> pause_on_timer(Clock::Duration delay, CancellationToken cancel) {
  if (cancel.cancelled()) co_return false;
  const auto strand = asio::make_strand(co_await asio::this_coro::executor);
  auto state = std::make_shared<PauseState>(strand, delay);
  const std::size_t id = cancel.on_cancel([state, strand] {
    asio::post(strand, [state] {
      state->cancelled = true;
      state->timer.cancel();
    });
  });
  co_await asio::co_spawn(strand, PauseState::run(state), asio::use_awaitable);
  cancel.forget(id);
  co_return !cancel.cancelled();
}

}  // namespace

RetryPause timer_pause() {
  return [](Clock::Duration delay, CancellationToken cancel) {
    return pause_on_timer(delay, std::move(cancel));
  };
}

}  // namespace shield::ingest
