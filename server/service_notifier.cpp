#include "server/service_notifier.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>

#include "server/log.hpp"

#ifdef WAITLISTD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace wl::server {

namespace asio = boost::asio;

namespace {

void notify(const std::string& state)
{
#ifdef WAITLISTD_HAVE_SYSTEMD
    int rc = sd_notify(0, state.c_str());
    if (rc < 0) spdlog::warn("systemd notification failed: {}", std::strerror(-rc));
#else
    (void)state;
#endif
}

// The interval systemd expects pings at (WatchdogSec), or zero when it expects none.
std::chrono::microseconds watchdog_period()
{
#ifdef WAITLISTD_HAVE_SYSTEMD
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) return std::chrono::microseconds(usec);
#endif
    return std::chrono::microseconds(0);
}

}  // namespace

struct ServiceNotifier::Watchdog : std::enable_shared_from_this<Watchdog> {
    Watchdog(asio::io_context& io, std::chrono::microseconds period) : timer(asio::make_strand(io)), period(period) {}

    // Half the period, as sd_watchdog_enabled(3) advises: one late turn of the loop is no miss.
    void arm()
    {
        timer.expires_after(period / 2);
        timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec) return;
            notify("WATCHDOG=1");
            self->arm();
        });
    }

    asio::steady_timer timer;
    std::chrono::microseconds period;
};

ServiceNotifier::ServiceNotifier(asio::io_context& io) : io_(io) {}

ServiceNotifier::~ServiceNotifier()
{
    // The I/O threads have ended by now (the notifier lives inside Server::run's caller).
    if (watchdog_) watchdog_->timer.cancel();
}

void ServiceNotifier::ready_when_running(const std::string& status)
{
    asio::post(io_, [this, status]() {
        notify("READY=1\nSTATUS=" + status);
        if (auto period = watchdog_period(); period.count() > 0) {
            watchdog_ = std::make_shared<Watchdog>(io_, period);
            asio::post(watchdog_->timer.get_executor(), [w = watchdog_]() { w->arm(); });
        }
    });
}

// The watchdog keeps pinging through the graceful shutdown: the loop is still alive, and
// systemd bounds the stop by TimeoutStopSec.
void ServiceNotifier::stopping() { notify("STOPPING=1\nSTATUS=shutting down"); }

}  // namespace wl::server
