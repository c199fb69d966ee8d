#include <doctest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "certs.hpp"
#include "dnsmasq.hpp"
#include "federation/context.hpp"
#include "federation/federation.hpp"
#include "federation/s2s_out.hpp"
#include "net_helpers.hpp"
#include "proto/dialback_key.hpp"
#include "proto/error.hpp"
#include "proto/ns.hpp"

using namespace wl::federation;
namespace asio = boost::asio;
namespace xml = wl::proto::xml;
namespace ns = wl::proto::ns;
using namespace std::chrono_literals;

namespace {

const std::string secret_a = "secret of a.test, shared by its nodes";
const std::string secret_b = "secret of b.test";

// One io_context on a thread of its own, as in the server; the test thread waits on results.
class Loop {
public:
    Loop() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
    ~Loop()
    {
        guard_.reset();
        io_.stop();
        thread_.join();
    }
    asio::io_context& io() { return io_; }

    template <typename T>
    T run(std::function<asio::awaitable<T>()> op)
    {
        std::promise<T> p;
        auto f = p.get_future();
        asio::co_spawn(
            io_,
            [op, &p]() -> asio::awaitable<void> {
                try {
                    p.set_value(co_await op());
                } catch (...) {
                    p.set_exception(std::current_exception());
                }
            },
            asio::detached);
        return f.get();
    }

private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::thread thread_;
};

class Node {
public:
    Node(Loop& loop, FederationConfig config) : config_(config)
    {
        fed_ = std::make_unique<Federation>(loop.io().get_executor(), std::move(config), [this](xml::Element e) {
            std::lock_guard lock(m_);
            received_.push_back(std::move(e));
            cv_.notify_all();
        });
        fed_->start();
    }
    ~Node() { stop(); }
    void stop()
    {
        if (!fed_) return;
        std::promise<void> done;
        fed_->stop([&] { done.set_value(); });
        done.get_future().wait_for(10s);
        fed_.reset();
    }
    Federation& fed() { return *fed_; }
    const FederationConfig& config() const { return config_; }

    // The first stanza received that matches, waiting up to 15 s for it.
    std::optional<xml::Element> wait_for(std::function<bool(const xml::Element&)> match,
                                         std::chrono::milliseconds limit = 15s)
    {
        std::unique_lock lock(m_);
        std::optional<xml::Element> found;
        cv_.wait_for(lock, limit, [&] {
            for (auto& e : received_)
                if (match(e)) {
                    found = e;
                    return true;
                }
            return false;
        });
        return found;
    }
    std::size_t received_count()
    {
        std::lock_guard lock(m_);
        return received_.size();
    }

private:
    FederationConfig config_;
    std::unique_ptr<Federation> fed_;
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<xml::Element> received_;
};

bool eventually(std::function<bool()> pred, std::chrono::milliseconds limit = 15s)
{
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

struct Ports {
    unsigned short a = wl::test::free_port(), b = wl::test::free_port();
    std::string route_a() const { return "127.0.0.1:" + std::to_string(a); }
    std::string route_b() const { return "127.0.0.1:" + std::to_string(b); }
};

FederationConfig config_for(const std::string& domain, unsigned short port, const wl::test::CertDir& certs,
                            const std::map<std::string, std::string>& routes, const std::string& secret)
{
    FederationConfig c;
    c.local_domains = {domain, "waitlist." + domain};
    c.dialback_secret = secret;
    c.routes = routes;
    c.tls_cert_file = certs.cert(domain);
    c.tls_key_file = certs.key(domain);
    c.use_system_ca = false;
    c.listen = {"127.0.0.1:" + std::to_string(port)};
    c.connect_timeout = 3s;
    c.negotiation_timeout = 10s;
    c.backoff_initial = 200ms;
    c.backoff_max = 1s;
    c.shutdown_grace = 1s;
    return c;
}

xml::Element message(const std::string& from, const std::string& to, const std::string& body)
{
    xml::Element m("message", std::string(ns::client));
    m.set_attr("from", from);
    m.set_attr("to", to);
    m.set_attr("type", "chat");
    m.set_attr("id", "m-" + body);
    m.add_child("body", std::string(ns::client)).add_text(body);
    return m;
}

xml::Element iq_get(const std::string& from, const std::string& to, const std::string& id)
{
    xml::Element iq("iq", std::string(ns::client));
    iq.set_attr("from", from);
    iq.set_attr("to", to);
    iq.set_attr("type", "get");
    iq.set_attr("id", id);
    iq.add_child("ping", std::string(ns::ping));
    return iq;
}

auto with_id(const std::string& id)
{
    return [id](const xml::Element& e) { return e.attr_or("id") == id; };
}

std::string error_condition(const xml::Element& reply)
{
    const auto* err = reply.child("error", ns::client);
    if (!err) return "";
    auto parsed = wl::proto::parse_stanza_error(*err);
    return parsed ? std::string(wl::proto::name(parsed->condition)) : "";
}

}  // namespace

TEST_SUITE("unit")
{
    TEST_CASE("stanzas travel both ways between two domains that authenticate by dialback")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        certs.self_signed("b.test");
        Ports p;
        Loop loop;
        Node a(loop,
               config_for("a.test", p.a, certs, {{"b.test", p.route_b()}, {"waitlist.b.test", p.route_b()}}, secret_a));
        Node b(loop,
               config_for("b.test", p.b, certs, {{"a.test", p.route_a()}, {"waitlist.a.test", p.route_a()}}, secret_b));

        REQUIRE(a.fed().send(message("alice@a.test/phone", "bob@b.test", "hello")));
        auto got = b.wait_for(with_id("m-hello"));
        REQUIRE(got);
        CHECK(got->ns() == ns::client);
        CHECK(got->attr_or("from") == "alice@a.test/phone");
        CHECK(got->attr_or("to") == "bob@b.test");
        CHECK(got->child_text("body", ns::client) == "hello");

        REQUIRE(b.fed().send(message("bob@b.test", "alice@a.test", "back")));
        REQUIRE(a.wait_for(with_id("m-back")));

        // The service subdomain is a domain of its own for dialback: its own stream pair.
        REQUIRE(a.fed().send(iq_get("waitlist.a.test", "waitlist.b.test", "svc-1")));
        auto svc = b.wait_for(with_id("svc-1"));
        REQUIRE(svc);
        CHECK(svc->child("ping", ns::ping));

        CHECK(b.fed().stats().dialback_ok >= 2);
        CHECK(a.fed().stats().dialback_ok >= 1);
        CHECK(a.fed().stats().sasl_external_ok == 0);
        CHECK(a.fed().stats().streams_out == 2);
        CHECK(a.fed().stats().stanzas_out == 2);
    }

    TEST_CASE("the stream is reused: many stanzas to one domain open one outgoing stream")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        certs.self_signed("b.test");
        Ports p;
        Loop loop;
        Node a(loop, config_for("a.test", p.a, certs, {{"b.test", p.route_b()}}, secret_a));
        Node b(loop, config_for("b.test", p.b, certs, {{"a.test", p.route_a()}}, secret_b));
        for (int i = 0; i < 50; ++i) a.fed().send(message("alice@a.test", "bob@b.test", std::to_string(i)));
        REQUIRE(b.wait_for(with_id("m-49")));
        CHECK(eventually([&] { return b.received_count() == 50; }));
        CHECK(a.fed().stats().streams_out == 1);
        CHECK(b.fed().stats().dialback_ok == 1);
        CHECK(a.fed().stats().queued == 0);
    }

    TEST_CASE("certificates from a trusted CA authenticate by SASL EXTERNAL, without dialback")
    {
        wl::test::CertDir certs;
        certs.ca_signed("a.test");
        certs.ca_signed("b.test");
        Ports p;
        Loop loop;
        auto ca = config_for("a.test", p.a, certs, {{"b.test", p.route_b()}}, secret_a);
        auto cb = config_for("b.test", p.b, certs, {{"a.test", p.route_a()}}, secret_b);
        ca.tls_ca_file = cb.tls_ca_file = certs.ca();
        // Demanding a valid certificate proves dialback was not the way in.
        ca.peers["b.test"].require_valid_certificate = true;
        cb.peers["a.test"].require_valid_certificate = true;
        Node a(loop, ca);
        Node b(loop, cb);
        REQUIRE(a.fed().send(message("alice@a.test", "bob@b.test", "tls")));
        REQUIRE(b.wait_for(with_id("m-tls")));
        REQUIRE(b.fed().send(message("bob@b.test", "alice@a.test", "tls-back")));
        REQUIRE(a.wait_for(with_id("m-tls-back")));
        CHECK(b.fed().stats().sasl_external_ok == 1);
        CHECK(a.fed().stats().sasl_external_ok == 1);
        CHECK(a.fed().stats().dialback_ok == 0);
        CHECK(b.fed().stats().dialback_ok == 0);
    }

    TEST_CASE("a peer that demands a valid certificate gets no stanza over dialback, and the sender gets a bounce")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        certs.self_signed("b.test");
        Ports p;
        Loop loop;
        auto ca = config_for("a.test", p.a, certs, {{"b.test", p.route_b()}}, secret_a);
        ca.peers["b.test"].require_valid_certificate = true;
        Node a(loop, ca);
        Node b(loop, config_for("b.test", p.b, certs, {{"a.test", p.route_a()}}, secret_b));
        REQUIRE(a.fed().send(iq_get("alice@a.test/x", "b.test", "strict")));
        auto bounce = a.wait_for(with_id("strict"));
        REQUIRE(bounce);
        CHECK(bounce->attr_or("type") == "error");
        CHECK(error_condition(*bounce) == "remote-server-not-found");
        CHECK(b.received_count() == 0);
    }

    TEST_CASE("stanzas for a peer that is down are bounced with remote-server-not-found, errors and results are not")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        Ports p;  // nothing listens on p.b
        Loop loop;
        Node a(loop, config_for("a.test", p.a, certs, {{"down.test", p.route_b()}}, secret_a));
        xml::Element result("iq", std::string(ns::client));
        result.set_attr("from", "alice@a.test/x");
        result.set_attr("to", "down.test");
        result.set_attr("type", "result");
        result.set_attr("id", "no-bounce-result");
        xml::Element presence("presence", std::string(ns::client));
        presence.set_attr("from", "alice@a.test/x");
        presence.set_attr("to", "bob@down.test");
        presence.set_attr("id", "no-bounce-presence");
        a.fed().send(result);
        a.fed().send(presence);
        REQUIRE(a.fed().send(iq_get("alice@a.test/x", "down.test", "q1")));
        REQUIRE(a.fed().send(message("alice@a.test/x", "bob@down.test", "lost")));
        auto b1 = a.wait_for(with_id("q1"));
        auto b2 = a.wait_for(with_id("m-lost"));
        REQUIRE(b1);
        REQUIRE(b2);
        CHECK(error_condition(*b1) == "remote-server-not-found");
        CHECK(b1->attr_or("from") == "down.test");
        CHECK(b1->attr_or("to") == "alice@a.test/x");
        CHECK(error_condition(*b2) == "remote-server-not-found");
        CHECK(a.received_count() == 2);
        CHECK(a.fed().stats().bounced == 2);
        CHECK(a.fed().stats().queued == 0);

        // In back-off the next stanza is bounced at once, without a new connection attempt.
        const auto failures = a.fed().stats().connect_failures;
        REQUIRE(a.fed().send(iq_get("alice@a.test/x", "down.test", "q2")));
        auto b3 = a.wait_for(with_id("q2"));
        REQUIRE(b3);
        CHECK(error_condition(*b3) == "remote-server-not-found");
        CHECK(a.fed().stats().connect_failures == failures);
    }

    TEST_CASE("a peer that accepts but never speaks makes queued stanzas bounce with remote-server-timeout")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        Ports p;
        Loop loop;
        // A listener that accepts connections and never answers.
        asio::ip::tcp::acceptor mute(loop.io(), {asio::ip::make_address("127.0.0.1"), p.b});
        std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;
        std::function<void()> accept = [&] {
            auto s = std::make_shared<asio::ip::tcp::socket>(loop.io());
            mute.async_accept(*s, [&, s](boost::system::error_code ec) {
                if (ec) return;
                held.push_back(s);
                accept();
            });
        };
        asio::post(loop.io(), accept);
        auto cfg = config_for("a.test", p.a, certs, {{"mute.test", p.route_b()}}, secret_a);
        cfg.negotiation_timeout = 500ms;
        cfg.max_queued_per_peer = 2;
        Node a(loop, cfg);
        REQUIRE(a.fed().send(iq_get("alice@a.test/x", "mute.test", "slow")));
        REQUIRE(a.fed().send(iq_get("alice@a.test/x", "mute.test", "slow-2")));
        // The queue holds two: the third is refused at once rather than held without bound.
        REQUIRE(a.fed().send(iq_get("alice@a.test/x", "mute.test", "over")));
        auto over = a.wait_for(with_id("over"));
        REQUIRE(over);
        CHECK(error_condition(*over) == "resource-constraint");
        CHECK(a.received_count() == 1);
        auto bounce = a.wait_for(with_id("slow"));
        REQUIRE(bounce);
        CHECK(error_condition(*bounce) == "remote-server-timeout");
        auto bounce2 = a.wait_for(with_id("slow-2"));
        REQUIRE(bounce2);
        CHECK(error_condition(*bounce2) == "remote-server-timeout");
        asio::post(loop.io(), [&] { mute.close(); });
    }

    TEST_CASE("a stanza whose from is not the domain the stream authenticated ends the stream with invalid-from")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        certs.self_signed("b.test");
        Ports p;
        Loop loop;
        Node a(loop, config_for("a.test", p.a, certs, {{"b.test", p.route_b()}}, secret_a));
        Node b(loop, config_for("b.test", p.b, certs, {{"a.test", p.route_a()}}, secret_b));
        // A stream authenticated for a.test (dialback checked with the real a.test) that then lies.
        auto ctx = std::make_shared<Context>(asio::make_strand(loop.io()), a.config());
        auto condition = loop.run<std::string>([ctx]() -> asio::awaitable<std::string> {
            auto out = co_await open_outgoing(*ctx, "a.test", "b.test", OutPurpose::authenticate);
            xml::Element spoof("message", std::string(ns::server));
            spoof.set_attr("from", "mallory@c.test");
            spoof.set_attr("to", "bob@b.test");
            spoof.set_attr("id", "spoofed");
            out.stream->send(spoof);
            for (;;) {
                auto ev = co_await out.stream->read();
                if (ev.kind != xml::StreamEvent::Kind::stanza) co_return "no stream error";
                if (ev.element.is("error", ns::stream)) {
                    auto err = wl::proto::parse_stream_error(ev.element);
                    co_return err ? std::string(wl::proto::name(err->condition)) : "unknown";
                }
            }
        });
        CHECK(condition == "invalid-from");
        CHECK(b.received_count() == 0);
        CHECK(b.fed().stats().rejected_in == 1);
        // The honest stanza still gets through on a new stream.
        REQUIRE(a.fed().send(message("alice@a.test", "bob@b.test", "honest")));
        CHECK(b.wait_for(with_id("m-honest")));
        CHECK(b.received_count() == 1);
    }

    TEST_CASE(
        "we answer dialback verify requests for our domain and our service subdomain, and only with the right key")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        certs.self_signed("b.test");
        Ports p;
        Loop loop;
        Node b(loop, config_for("b.test", p.b, certs, {}, secret_b));
        auto asker_cfg =
            config_for("a.test", p.a, certs, {{"b.test", p.route_b()}, {"waitlist.b.test", p.route_b()}}, secret_a);
        auto ctx = std::make_shared<Context>(asio::make_strand(loop.io()), asker_cfg);
        auto verify = [&](const std::string& originating, const std::string& key) {
            return loop.run<bool>([ctx, originating, key]() -> asio::awaitable<bool> {
                co_return co_await dialback_verify(*ctx, "a.test", originating, "stream-42", key);
            });
        };
        CHECK(verify("b.test", wl::proto::dialback_key(secret_b, "a.test", "b.test", "stream-42")));
        CHECK(verify("waitlist.b.test", wl::proto::dialback_key(secret_b, "a.test", "waitlist.b.test", "stream-42")));
        CHECK_FALSE(verify("b.test", wl::proto::dialback_key("another secret", "a.test", "b.test", "stream-42")));
        CHECK_FALSE(verify("b.test", wl::proto::dialback_key(secret_b, "a.test", "b.test", "stream-43")));
    }

    TEST_CASE("an idle outgoing stream is closed, and the next stanza opens a new one")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        certs.self_signed("b.test");
        Ports p;
        Loop loop;
        auto ca = config_for("a.test", p.a, certs, {{"b.test", p.route_b()}}, secret_a);
        ca.idle_timeout = 300ms;
        Node a(loop, ca);
        Node b(loop, config_for("b.test", p.b, certs, {{"a.test", p.route_a()}}, secret_b));
        REQUIRE(a.fed().send(message("alice@a.test", "bob@b.test", "first")));
        REQUIRE(b.wait_for(with_id("m-first")));
        CHECK(eventually([&] { return a.fed().stats().streams_out == 0 && b.fed().stats().streams_in == 0; }));
        REQUIRE(a.fed().send(message("alice@a.test", "bob@b.test", "second")));
        REQUIRE(b.wait_for(with_id("m-second")));
        CHECK(b.fed().stats().dialback_ok == 2);
    }

    TEST_CASE("SRV records in DNS lead to the peer, direct TLS first, the next target when one is down")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        certs.self_signed("b.test");
        certs.self_signed("c.test");
        Ports p;
        const auto b_direct = wl::test::free_port(), c_port = wl::test::free_port(), dead = wl::test::free_port();
        const auto port = [](unsigned short n) { return std::to_string(n); };
        // b.test: only a XEP-0368 port, preferred; its STARTTLS record points nowhere.
        // c.test: the direct TLS record points nowhere; the STARTTLS record is the live one.
        wl::test::Dnsmasq dns({"host-record=a.test,127.0.0.1", "host-record=b.test,127.0.0.1",
                               "host-record=c.test,127.0.0.1",
                               "srv-host=_xmpp-server._tcp.a.test,a.test," + port(p.a) + ",0,5",
                               "srv-host=_xmpps-server._tcp.b.test,b.test," + port(b_direct) + ",0,5",
                               "srv-host=_xmpp-server._tcp.b.test,b.test," + port(dead) + ",10,5",
                               "srv-host=_xmpps-server._tcp.c.test,c.test," + port(dead) + ",0,5",
                               "srv-host=_xmpp-server._tcp.c.test,c.test," + port(c_port) + ",10,5"});
        Loop loop;
        auto ca = config_for("a.test", p.a, certs, {}, secret_a);
        ca.nameserver = dns.address();
        auto cb = config_for("b.test", p.b, certs, {}, secret_b);
        cb.listen.clear();
        cb.listen_direct_tls = {"127.0.0.1:" + port(b_direct)};
        cb.nameserver = dns.address();
        auto cc = config_for("c.test", c_port, certs, {}, "secret of c.test");
        cc.nameserver = dns.address();
        Node a(loop, ca);
        Node b(loop, cb);
        Node c(loop, cc);
        REQUIRE(a.fed().send(message("alice@a.test", "bob@b.test", "direct")));
        CHECK(b.wait_for(with_id("m-direct")));
        REQUIRE(a.fed().send(message("alice@a.test", "carol@c.test", "fallback")));
        CHECK(c.wait_for(with_id("m-fallback")));
        CHECK(a.fed().stats().bounced == 0);
    }

    TEST_CASE("SRV targets named localhost lead to the peer both ways, with no address for any name in DNS")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        certs.self_signed("b.test");
        Ports p;
        const auto port = [](unsigned short n) { return std::to_string(n); };
        // What test and private-peering set-ups publish: b.test checks a.test's dialback key by
        // connecting to a.test's SRV target, localhost, just as a.test reached b.test.
        wl::test::Dnsmasq dns({"srv-host=_xmpp-server._tcp.a.test,localhost," + port(p.a) + ",0,5",
                               "srv-host=_xmpp-server._tcp.b.test,localhost," + port(p.b) + ",0,5"});
        Loop loop;
        auto ca = config_for("a.test", p.a, certs, {}, secret_a);
        ca.nameserver = dns.address();
        auto cb = config_for("b.test", p.b, certs, {}, secret_b);
        cb.nameserver = dns.address();
        cb.hosts_file = false;  // DNS only still knows localhost
        Node a(loop, ca);
        Node b(loop, cb);
        REQUIRE(a.fed().send(message("alice@a.test", "bob@b.test", "to-b")));
        CHECK(b.wait_for(with_id("m-to-b")));
        REQUIRE(b.fed().send(message("bob@b.test", "alice@a.test", "to-a")));
        CHECK(a.wait_for(with_id("m-to-a")));
        CHECK(a.fed().stats().bounced == 0);
        CHECK(b.fed().stats().bounced == 0);
        CHECK(a.fed().stats().dialback_ok >= 1);  // each side checked the other's key through localhost
        CHECK(b.fed().stats().dialback_ok >= 1);
    }

    TEST_CASE("with TLS optional and no certificates, dialback still authenticates a plaintext stream")
    {
        wl::test::CertDir certs;
        Ports p;
        Loop loop;
        auto plain = [&](const std::string& domain, unsigned short port, const std::string& peer,
                         const std::string& route, const std::string& secret) {
            FederationConfig c;
            c.local_domains = {domain};
            c.dialback_secret = secret;
            c.routes = {{peer, route}};
            c.use_system_ca = false;
            c.require_tls = false;
            c.listen = {"127.0.0.1:" + std::to_string(port)};
            return c;
        };
        Node a(loop, plain("a.test", p.a, "b.test", p.route_b(), secret_a));
        Node b(loop, plain("b.test", p.b, "a.test", p.route_a(), secret_b));
        REQUIRE(a.fed().send(message("alice@a.test", "bob@b.test", "plain")));
        CHECK(b.wait_for(with_id("m-plain")));
        CHECK(b.fed().stats().dialback_ok == 1);
    }

    TEST_CASE("a peer that requires TLS cannot verify a dialback key from a server without TLS, so the stanza bounces")
    {
        wl::test::CertDir certs;
        certs.self_signed("b.test");
        Ports p;
        Loop loop;
        FederationConfig ca;
        ca.local_domains = {"a.test"};
        ca.dialback_secret = secret_a;
        ca.routes = {{"b.test", p.route_b()}};
        ca.require_tls = false;
        ca.use_system_ca = false;
        ca.listen = {p.route_a()};
        Node a(loop, ca);
        Node b(loop, config_for("b.test", p.b, certs, {{"a.test", p.route_a()}}, secret_b));
        // a.test needs no certificate to open TLS to b.test, but b.test's check of the key goes
        // to a.test's own server, which offers no TLS: b.test refuses that connection.
        REQUIRE(a.fed().send(iq_get("alice@a.test/x", "b.test", "no-tls")));
        auto bounce = a.wait_for(with_id("no-tls"));
        REQUIRE(bounce);
        CHECK(error_condition(*bounce) == "remote-server-not-found");
        CHECK(b.received_count() == 0);
        CHECK(b.fed().stats().dialback_failed == 1);
    }

    TEST_CASE("federation refuses stanzas that are not its to send")
    {
        wl::test::CertDir certs;
        certs.self_signed("a.test");
        Ports p;
        Loop loop;
        Node a(loop, config_for("a.test", p.a, certs, {}, secret_a));
        CHECK_FALSE(a.fed().send(message("alice@a.test", "bob@a.test", "local")));
        CHECK_FALSE(a.fed().send(message("alice@elsewhere.test", "bob@b.test", "foreign")));
        CHECK_FALSE(a.fed().send(message("alice@a.test", "", "nowhere")));
    }

    TEST_CASE("bad configuration is reported with the setting's name")
    {
        asio::io_context io;
        FederationConfig c;
        c.local_domains = {"a.test"};
        c.routes = {{"b.test", "b.test:notaport"}};
        CHECK_THROWS_WITH_AS(Federation(io.get_executor(), c, [](xml::Element) {}), doctest::Contains("s2s.routes"),
                             std::runtime_error);
        c.routes.clear();
        CHECK_THROWS_WITH_AS(Federation(io.get_executor(), c, [](xml::Element) {}), doctest::Contains("tls.cert"),
                             std::runtime_error);
        c.tls_cert_file = "/nonexistent/cert.pem";
        c.tls_key_file = "/nonexistent/key.pem";
        CHECK_THROWS_WITH_AS(Federation(io.get_executor(), c, [](xml::Element) {}), doctest::Contains("tls.cert"),
                             std::runtime_error);
    }
}
