#pragma once
// What every client session shares: configuration, router, database, TLS, and the set of
// live connections (for per-address caps and for shutdown).
#include <utility>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "proto/error.hpp"
#include "server/config.hpp"
#include "server/router.hpp"
#include "storage/db_executor.hpp"

namespace wl::server::c2s {

class Session;

// Live connections by source address, and every live session, bound or not.
class ConnectionSet {
public:
    // Counts a new connection from `address`; false if that address is at its cap (the
    // connection is then not counted).
    bool try_add(const std::string& address, int cap);
    void remove(const std::string& address);

    void track(const std::shared_ptr<Session>& session);
    void untrack(const Session* session);
    // Closes every live session with `condition`; returns how many there were.
    std::size_t close_all(proto::StreamCondition condition, const std::string& text);
    // Cuts every live connection without a word (after the shutdown grace).
    void abort_all();
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, int> per_address_;
    std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
};

struct SessionContext {
    const Config& config;
    Router& router;
    storage::DbExecutor& db;
    boost::asio::ssl::context& tls;
    ConnectionSet& connections;
    std::atomic<bool> stopping{false};  // shutdown has begun: new connections are refused
};

}  // namespace wl::server::c2s
