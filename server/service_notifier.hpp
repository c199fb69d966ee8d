#pragma once
// systemd's Type=notify protocol: READY=1 once the listeners accept and the schema is
// current (the unit's dependants may start then), STOPPING=1 when the shutdown begins, and
// WATCHDOG=1 from the I/O loop when the unit sets WatchdogSec (a wedged loop gets the
// process restarted). Without NOTIFY_SOCKET, or built without libsystemd, nothing is sent.
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace wl::server {

class ServiceNotifier {
public:
    explicit ServiceNotifier(boost::asio::io_context& io);
    ~ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    // Sends READY=1 (and STATUS) from the I/O loop's first turn, that is once Server::run()
    // has started every listener; starts the watchdog pings if systemd asked for them.
    void ready_when_running(const std::string& status);
    void stopping();

private:
    struct Watchdog;
    boost::asio::io_context& io_;
    std::shared_ptr<Watchdog> watchdog_;
};

}  // namespace wl::server
