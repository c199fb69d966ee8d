#pragma once
// The usual way to include Asio: <utility> first (Boost 1.74's Asio misses it) and the short
// alias wl::asio, which every namespace below wl sees. Asio's out-of-line code is compiled
// once, in asio_impl.cpp beside this header (async_dep).
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace wl {
namespace asio = boost::asio;
}  // namespace wl
