#pragma once
// An io_context run by several threads: the calling thread and threads - 1 others, joined
// before returning (once the io_context runs out of work or is stopped).
#include <utility>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace wl::async {

// `threads` 0: one per hardware thread.
inline void run_on_threads(boost::asio::io_context& io, std::size_t threads)
{
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (std::size_t i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
}

}  // namespace wl::async
