#include <doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dnsmasq.hpp"
#include "federation/resolver.hpp"
#include "net_helpers.hpp"

using namespace wl::federation;
namespace asio = boost::asio;

namespace {

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> op)
{
    std::optional<T> result;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e) result = std::move(value);
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return std::move(*result);
}

const std::vector<std::string> zone{
    "host-record=b.test,127.0.0.1",
    "host-record=six.test,::1",
    "srv-host=_xmpp-server._tcp.b.test,b.test,25269,0,5",
    "srv-host=_xmpps-server._tcp.tls.test,b.test,25270,0,5",
    "srv-host=_xmpp-server._tcp.tls.test,b.test,25269,5,5",
    "srv-host=_xmpp-server._tcp.none.test,.,0,0,0",
    "srv-host=_xmpp-server._tcp.loop.test,localhost,25271,0,5",
    "host-record=both.test,127.0.0.1",
};

// A hosts file of the test's own, which c-ares reads instead of /etc/hosts while it lives
// (CARES_HOSTS; the resolver asks c-ares to honour it).
class HostsFile {
public:
    explicit HostsFile(const std::string& lines)
    {
        char tmpl[] = "/tmp/wl-hosts.XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::ofstream(dir_ / "hosts") << lines;
        setenv("CARES_HOSTS", (dir_ / "hosts").c_str(), 1);
    }
    ~HostsFile()
    {
        unsetenv("CARES_HOSTS");
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    HostsFile(const HostsFile&) = delete;
    HostsFile& operator=(const HostsFile&) = delete;

private:
    std::filesystem::path dir_;
};

asio::ip::tcp::endpoint endpoint_at(const char* address, std::uint16_t port)
{
    return {asio::ip::make_address(address), port};
}

}  // namespace

TEST_SUITE("unit")
{
    TEST_CASE("SRV records come back from a real DNS server on a private port")
    {
        wl::test::Dnsmasq dns(zone);
        asio::io_context io;
        Resolver r(io.get_executor(), {dns.address()});
        auto srv = run(io, r.srv("_xmpp-server._tcp.b.test"));
        REQUIRE(srv.status == DnsStatus::ok);
        REQUIRE(srv.records.size() == 1);
        CHECK(srv.records[0].port == 25269);
        CHECK(srv.records[0].target == "b.test");
        CHECK(srv.records[0].weight == 5);
    }

    TEST_CASE("a name without records is no_records, not a failure")
    {
        wl::test::Dnsmasq dns(zone);
        asio::io_context io;
        Resolver r(io.get_executor(), {dns.address()});
        CHECK(run(io, r.srv("_xmpps-server._tcp.b.test")).status == DnsStatus::no_records);
        CHECK(run(io, r.addresses("nosuch.test", 5269)).status == DnsStatus::no_records);
    }

    TEST_CASE("targets merge direct TLS and STARTTLS records, and fall back to the domain on 5269")
    {
        wl::test::Dnsmasq dns(zone);
        asio::io_context io;
        Resolver r(io.get_executor(), {dns.address()});
        auto tls = run(io, r.targets("tls.test"));
        CHECK(tls.targets == std::vector<Target>{{"b.test", 25270, true}, {"b.test", 25269, false}});
        auto plain = run(io, r.targets("b.test"));
        CHECK(plain.targets == std::vector<Target>{{"b.test", 25269, false}});
        auto fallback = run(io, r.targets("six.test"));
        CHECK(fallback.targets == std::vector<Target>{{"six.test", 5269, false}});
        CHECK(run(io, r.targets("none.test")).targets.empty());
    }

    TEST_CASE("host names resolve to IPv4 and IPv6 endpoints with the port given")
    {
        wl::test::Dnsmasq dns(zone);
        asio::io_context io;
        Resolver r(io.get_executor(), {dns.address()});
        auto v4 = run(io, r.addresses("b.test", 25269));
        REQUIRE(v4.status == DnsStatus::ok);
        REQUIRE_FALSE(v4.endpoints.empty());
        CHECK(v4.endpoints[0] == asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 25269));
        auto v6 = run(io, r.addresses("six.test", 1));
        REQUIRE(v6.status == DnsStatus::ok);
        CHECK(v6.endpoints[0].address() == asio::ip::make_address("::1"));
        auto literal = run(io, r.addresses("10.1.2.3", 7));
        CHECK(literal.endpoints == std::vector<asio::ip::tcp::endpoint>{{asio::ip::make_address("10.1.2.3"), 7}});
    }

    TEST_CASE("an SRV target of localhost is the loopback address, though the private DNS does not know the name")
    {
        wl::test::Dnsmasq dns(zone);
        asio::io_context io;
        for (bool hosts_file : {true, false}) {
            CAPTURE(hosts_file);
            Resolver r(io.get_executor(), {dns.address(), std::chrono::milliseconds(1500), 2, hosts_file});
            auto targets = run(io, r.targets("loop.test"));
            REQUIRE(targets.targets == std::vector<Target>{{"localhost", 25271, false}});
            auto loop = run(io, r.addresses(targets.targets[0].host, targets.targets[0].port));
            REQUIRE(loop.status == DnsStatus::ok);
            CHECK(loop.endpoints ==
                  std::vector<asio::ip::tcp::endpoint>{endpoint_at("127.0.0.1", 25271), endpoint_at("::1", 25271)});
        }
    }

    TEST_CASE("with a private nameserver, a name in the hosts file resolves, and the hosts file answers first")
    {
        wl::test::Dnsmasq dns(zone);
        HostsFile hosts("127.0.0.42 peer.private\n127.0.0.43 both.test\n");
        asio::io_context io;
        Resolver r(io.get_executor(), {dns.address()});
        auto peer = run(io, r.addresses("peer.private", 5269));
        REQUIRE(peer.status == DnsStatus::ok);
        CHECK(peer.endpoints == std::vector<asio::ip::tcp::endpoint>{endpoint_at("127.0.0.42", 5269)});
        auto both = run(io, r.addresses("both.test", 5269));
        REQUIRE(both.status == DnsStatus::ok);
        CHECK(both.endpoints == std::vector<asio::ip::tcp::endpoint>{endpoint_at("127.0.0.43", 5269)});
        auto dns_only_name = run(io, r.addresses("b.test", 25269));  // not in the file: DNS still answers
        REQUIRE(dns_only_name.status == DnsStatus::ok);
        CHECK(dns_only_name.endpoints[0] == endpoint_at("127.0.0.1", 25269));
    }

    TEST_CASE("DNS only: the hosts file is not read, and localhost is still the loopback address")
    {
        wl::test::Dnsmasq dns(zone);
        HostsFile hosts("127.0.0.42 peer.private\n127.0.0.43 both.test\n");
        asio::io_context io;
        Resolver r(io.get_executor(), {dns.address(), std::chrono::milliseconds(1500), 2, false});
        CHECK(run(io, r.addresses("peer.private", 5269)).endpoints.empty());
        auto both = run(io, r.addresses("both.test", 5269));
        REQUIRE(both.status == DnsStatus::ok);
        CHECK(both.endpoints == std::vector<asio::ip::tcp::endpoint>{endpoint_at("127.0.0.1", 5269)});
        CHECK(run(io, r.addresses("localhost", 5269)).endpoints.size() == 2);
    }

    TEST_CASE("a failed lookup is not remembered: the name resolves as soon as DNS has it")
    {
        const auto port = wl::test::free_port();
        asio::io_context io;
        Resolver r(io.get_executor(), {"127.0.0.1:" + std::to_string(port)});
        {
            wl::test::Dnsmasq dns(zone, port);
            CHECK(run(io, r.addresses("late.test", 5269)).status == DnsStatus::no_records);
        }
        auto with_late = zone;
        with_late.push_back("host-record=late.test,127.0.0.7");
        wl::test::Dnsmasq dns(with_late, port);
        auto again = run(io, r.addresses("late.test", 5269));
        REQUIRE(again.status == DnsStatus::ok);
        CHECK(again.endpoints[0].address() == asio::ip::make_address("127.0.0.7"));
    }

    TEST_CASE("a nameserver that does not answer gives a failure, not records")
    {
        const auto port = wl::test::free_port();
        asio::io_context io;
        Resolver r(io.get_executor(), {"127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(200), 1});
        auto srv = run(io, r.srv("_xmpp-server._tcp.b.test"));
        CHECK(srv.status != DnsStatus::ok);
        CHECK(srv.records.empty());
    }

    TEST_CASE("localhost resolves without asking the nameserver, even one that does not answer")
    {
        const auto port = wl::test::free_port();
        asio::io_context io;
        Resolver r(io.get_executor(), {"127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(200), 1});
        auto loop = run(io, r.addresses("localhost.", 5269));
        REQUIRE(loop.status == DnsStatus::ok);
        CHECK(loop.endpoints ==
              std::vector<asio::ip::tcp::endpoint>{endpoint_at("127.0.0.1", 5269), endpoint_at("::1", 5269)});
    }

    TEST_CASE("a malformed nameserver setting is refused at construction")
    {
        asio::io_context io;
        CHECK_THROWS_AS(Resolver(io.get_executor(), {"not an address"}), std::runtime_error);
    }
}
