#pragma once
// The one way federation/ includes Asio: <utility> first (Boost 1.74's Asio misses it) and a
// short alias. Asio's out-of-line code is compiled once in server/asio_impl.cpp (asio_dep).
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace wl::federation {
namespace asio = boost::asio;
}  // namespace wl::federation
