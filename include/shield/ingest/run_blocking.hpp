#pragma once
// run_blocking: runs a blocking function (disk I/O, a big parse) on another executor, such as
// an asio::thread_pool's, and resumes the awaiting coroutine on its own executor with the
// result. This is how the ingest module keeps disk I/O off the io_context.
//
// Threading: `work` runs on `executor`'s thread; it must be safe to run there. It cannot be
// interrupted once started. Ownership: `work` is moved along; anything it references must
// outlive the co_await. Capture by reference what the awaiting coroutine's frame owns: with
// GCC 12, moving a coroutine parameter into an init-capture inside the co_await expression
// crashes at destruction. Errors: `work` should return a Result; an exception it throws is
// rethrown into the awaiting coroutine.
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shield::ingest {

namespace detail {

// A coroutine function rather than a capturing lambda: its parameter lives in the coroutine
// frame, while a lambda's captures die with the lambda object, which co_spawn does not keep
// alive while the coroutine runs.
template <class Work>
boost::asio::awaitable<std::invoke_result_t<Work&>> call_blocking(Work work) {
  co_return work();
}

}  // namespace detail

template <class Work>
boost::asio::awaitable<std::invoke_result_t<Work&>> run_blocking(
    boost::asio::any_io_executor executor, Work work) {
  co_return co_await boost::asio::co_spawn(
      std::move(executor), detail::call_blocking(std::move(work)), boost::asio::use_awaitable);
}

}  // namespace shield::ingest
