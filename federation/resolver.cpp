#include "federation/resolver.hpp"

#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

#include "federation/fixed_addresses.hpp"

namespace wl::federation {
namespace {

DnsStatus status_of(int ares_status)
{
    switch (ares_status) {
    case ARES_SUCCESS:
        return DnsStatus::ok;
    case ARES_ENODATA:
    case ARES_ENOTFOUND:
        return DnsStatus::no_records;
    case ARES_ETIMEOUT:
        return DnsStatus::timeout;
    default:
        return DnsStatus::failed;
    }
}

// One c-ares callback turned into something a coroutine can wait for: the callback stores
// the result and cancels the timer the coroutine waits on.
template <typename T>
struct Pending {
    explicit Pending(asio::any_io_executor ex) : wake(std::move(ex)) {}
    asio::steady_timer wake;
    std::optional<T> result;
};

template <typename T>
asio::awaitable<T> wait_for(std::shared_ptr<Pending<T>> pending)
{
    while (!pending->result) {
        pending->wake.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ec;
        co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*pending->result);
}

}  // namespace

struct Resolver::Impl : std::enable_shared_from_this<Impl> {
    // A socket c-ares opened; polled for readiness but never owned (c-ares closes it).
    struct Watch {
        explicit Watch(asio::any_io_executor ex, int fd) : descriptor(std::move(ex), fd) {}
        asio::posix::stream_descriptor descriptor;
        bool want_read = false, want_write = false;
        bool reading = false, writing = false;
        bool alive = true;
    };

    asio::any_io_executor executor;
    ares_channel channel = nullptr;
    std::map<int, std::shared_ptr<Watch>> watches;
    asio::steady_timer timer;
    bool destroying = false;

    explicit Impl(asio::any_io_executor ex) : executor(ex), timer(ex) {}

    ~Impl()
    {
        destroying = true;
        for (auto& [fd, w] : watches) {
            w->alive = false;
            w->descriptor.release();
        }
        watches.clear();
        // Pending queries get ARES_EDESTRUCTION; their coroutines wake with `failed`.
        if (channel) ares_destroy(channel);
    }

    static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable)
    {
        auto* self = static_cast<Impl*>(data);
        if (self->destroying) return;
        if (!readable && !writable) {
            auto it = self->watches.find(fd);
            if (it != self->watches.end()) {
                it->second->alive = false;
                it->second->descriptor.release();  // c-ares closes the fd itself
                self->watches.erase(it);
            }
            return;
        }
        auto& w = self->watches[fd];
        if (!w) w = std::make_shared<Watch>(self->executor, fd);
        w->want_read = readable != 0;
        w->want_write = writable != 0;
        self->arm(w, fd);
    }

    void arm(const std::shared_ptr<Watch>& w, int fd)
    {
        std::weak_ptr<Impl> weak = weak_from_this();
        if (w->want_read && !w->reading) {
            w->reading = true;
            w->descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                     [weak, w, fd](boost::system::error_code ec) {
                                         w->reading = false;
                                         auto self = weak.lock();
                                         if (!self || !w->alive || ec) return;
                                         ares_process_fd(self->channel, fd, ARES_SOCKET_BAD);
                                         if (w->alive) self->arm(w, fd);
                                         self->schedule_timeout();
                                     });
        }
        if (w->want_write && !w->writing) {
            w->writing = true;
            w->descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                                     [weak, w, fd](boost::system::error_code ec) {
                                         w->writing = false;
                                         auto self = weak.lock();
                                         if (!self || !w->alive || ec) return;
                                         ares_process_fd(self->channel, ARES_SOCKET_BAD, fd);
                                         if (w->alive) self->arm(w, fd);
                                         self->schedule_timeout();
                                     });
        }
    }

    // c-ares retries and gives up on a clock of its own; ask it when it next needs to run.
    void schedule_timeout()
    {
        timeval tv{};
        if (!ares_timeout(channel, nullptr, &tv)) {
            timer.cancel();
            return;
        }
        timer.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
        std::weak_ptr<Impl> weak = weak_from_this();
        timer.async_wait([weak](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec) return;
            ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            self->schedule_timeout();
        });
    }
};

namespace {

struct LibraryInit {
    LibraryInit()
    {
        if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
            throw std::runtime_error("c-ares: library init failed");
    }
};

}  // namespace

Resolver::Resolver(asio::any_io_executor executor, ResolverOptions options)
    : impl_(std::make_shared<Impl>(executor)),
      random_(system_random())
{
    static LibraryInit init;
    ares_options opts{};
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB;
    opts.flags = ARES_FLAG_NOSEARCH;
    opts.timeout = static_cast<int>(options.timeout.count());
    opts.tries = options.tries;
    // "f": the hosts file, "b": DNS. Only address lookups consult it; ares_query (SRV) is DNS.
    std::string lookups = options.hosts_file ? "fb" : "b";
    opts.lookups = lookups.data();
    opts.sock_state_cb = &Impl::on_sock_state;
    opts.sock_state_cb_data = impl_.get();
    if (int rc = ares_init_options(&impl_->channel, &opts, mask); rc != ARES_SUCCESS)
        throw std::runtime_error(std::string("c-ares: init failed: ") + ares_strerror(rc));
    if (!options.nameserver.empty()) {
        if (int rc = ares_set_servers_ports_csv(impl_->channel, options.nameserver.c_str()); rc != ARES_SUCCESS)
            throw std::runtime_error("s2s.nameserver: not a list of ip:port (" + options.nameserver +
                                     "): " + ares_strerror(rc));
    }
}

Resolver::~Resolver() = default;

asio::awaitable<SrvLookup> Resolver::srv(std::string name)
{
    auto pending = std::make_shared<Pending<SrvLookup>>(co_await asio::this_coro::executor);
    auto* arg = new std::shared_ptr<Pending<SrvLookup>>(pending);
    ares_query(
        impl_->channel, name.c_str(), ns_c_in, ns_t_srv,
        [](void* a, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
            std::unique_ptr<std::shared_ptr<Pending<SrvLookup>>> p(
                static_cast<std::shared_ptr<Pending<SrvLookup>>*>(a));
            SrvLookup out;
            out.status = status_of(status);
            if (status == ARES_SUCCESS) {
                ares_srv_reply* reply = nullptr;
                int rc = ares_parse_srv_reply(abuf, alen, &reply);
                if (rc == ARES_SUCCESS) {
                    for (auto* r = reply; r; r = r->next)
                        out.records.push_back(SrvRecord{r->priority, r->weight, r->port, r->host ? r->host : ""});
                    ares_free_data(reply);
                } else {
                    out.status = status_of(rc);
                }
                if (out.records.empty() && out.status == DnsStatus::ok) out.status = DnsStatus::no_records;
            }
            (*p)->result = std::move(out);
            (*p)->wake.cancel();
        },
        arg);
    impl_->schedule_timeout();
    co_return co_await wait_for(pending);
}

asio::awaitable<AddressLookup> Resolver::addresses(std::string host, std::uint16_t port)
{
    if (auto fixed = fixed_addresses(host, port)) co_return AddressLookup{DnsStatus::ok, std::move(*fixed)};

    auto pending = std::make_shared<Pending<AddressLookup>>(co_await asio::this_coro::executor);
    auto* arg = new std::shared_ptr<Pending<AddressLookup>>(pending);
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = ARES_AI_ENVHOSTS;  // CARES_HOSTS, when set, names the hosts file
    const std::string service = std::to_string(port);
    ares_getaddrinfo(
        impl_->channel, host.c_str(), service.c_str(), &hints,
        [](void* a, int status, int /*timeouts*/, ares_addrinfo* res) {
            std::unique_ptr<std::shared_ptr<Pending<AddressLookup>>> p(
                static_cast<std::shared_ptr<Pending<AddressLookup>>*>(a));
            AddressLookup out;
            out.status = status_of(status);
            if (res) {
                for (auto* n = res->nodes; n; n = n->ai_next) {
                    asio::ip::tcp::endpoint ep;
                    if (n->ai_family == AF_INET || n->ai_family == AF_INET6) {
                        std::memcpy(ep.data(), n->ai_addr, static_cast<std::size_t>(n->ai_addrlen));
                        out.endpoints.push_back(ep);
                    }
                }
                ares_freeaddrinfo(res);
            }
            if (out.endpoints.empty() && out.status == DnsStatus::ok) out.status = DnsStatus::no_records;
            (*p)->result = std::move(out);
            (*p)->wake.cancel();
        },
        arg);
    impl_->schedule_timeout();
    co_return co_await wait_for(pending);
}

asio::awaitable<TargetsLookup> Resolver::targets(std::string domain)
{
    // Sequential: the second query is cheap next to connecting, and the order of the two
    // answers must not matter anyway.
    const std::string xmpps_name = "_xmpps-server._tcp." + domain;
    const std::string xmpp_name = "_xmpp-server._tcp." + domain;
    auto xmpps = co_await srv(xmpps_name);
    auto xmpp = co_await srv(xmpp_name);
    auto answer = [](const SrvLookup& l) -> SrvAnswer {
        if (l.status != DnsStatus::ok) return std::nullopt;
        return l.records;
    };
    TargetsLookup out;
    out.targets = make_targets(domain, answer(xmpps), answer(xmpp), random_);
    // Only a timeout is worth reporting separately: it turns into remote-server-timeout.
    if (xmpps.status == DnsStatus::timeout || xmpp.status == DnsStatus::timeout) out.status = DnsStatus::timeout;
    co_return out;
}

}  // namespace wl::federation
