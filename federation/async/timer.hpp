#pragma once
// A pause in a coroutine that ends early, without an exception, when the timer is cancelled
// or its io_context stops.
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace wl::async {

// True when the whole delay passed; false when the wait was cut short.
template <class Duration>
boost::asio::awaitable<bool> sleep_for(boost::asio::steady_timer& timer, Duration delay)
{
    timer.expires_after(delay);
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return !ec;
}

// Waits until the timer expires or is cancelled, whichever comes first; never throws.
inline boost::asio::awaitable<void> wait_quietly(boost::asio::steady_timer& timer)
{
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace wl::async
