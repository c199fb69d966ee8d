// TcpTransport's TLS read loop over a real loopback socket, on every path a connection can
// take: TLS 1.3 with the engine's own record layer, TLS 1.3 kept on OpenSSL (by
// c2s.tls_record_layer = "openssl", and by a negotiated max_fragment_length), and TLS 1.2.
// The client is a real OpenSSL client whose records the test cuts where it likes: split at
// every byte, large data in many records, and a record held in part, during which a timer on
// the transport's thread must keep firing (a spinning read loop would starve it, as it would
// the session's watchdog). Which path was taken is read from waitlistd_c2s_tls_connections_total.
#include <doctest.h>

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/c2s/tcp_transport.hpp"
#include "server/metrics.hpp"
#include "server/tls.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using wl::server::c2s::TcpTransport;
using RecordLayer = wl::server::c2s::TlsEngine::RecordLayer;

// Named, not anonymous: the unity build puts this file in one unit with tls_engine_test.cpp.
namespace tcp_transport_test {

asio::ssl::context make_context()
{
    auto dir = std::filesystem::temp_directory_path() / ("wl-tcp-transport-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    wl::server::ensure_certificate(cert, key, "example.test");
    auto c = wl::server::make_server_tls_context(cert, key);
    std::filesystem::remove_all(dir);
    return c;
}

asio::ssl::context& server_context()
{
    static asio::ssl::context ctx = make_context();
    return ctx;
}

struct Path {
    const char* name;
    RecordLayer layer;
    int client_max_version;     // 0: TLS 1.3
    std::uint8_t max_fragment;  // the client's max_fragment_length code, 0: none
    const char* version_label;
    const char* layer_label;
};

const Path paths[] = {
    {"TLS 1.3, own record layer", RecordLayer::own, 0, 0, "1.3", "own"},
    {"TLS 1.3, c2s.tls_record_layer = openssl", RecordLayer::openssl, 0, 0, "1.3", "openssl"},
    {"TLS 1.3, max_fragment_length keeps it on OpenSSL", RecordLayer::own, 0, TLSEXT_max_fragment_length_1024, "1.3",
     "openssl"},
    {"TLS 1.2", RecordLayer::own, TLS1_2_VERSION, 0, "1.2", "openssl"},
};

std::uint64_t connections(const Path& path)
{
    return wl::server::metrics_registry()
        .counter("waitlistd_c2s_tls_connections_total", "c2s TLS connections established, by version and record layer",
                 {{"version", path.version_label}, {"record_layer", path.layer_label}})
        .value();
}

// The server: one TcpTransport on its own io_context and thread, which does the handshake
// and then reads until `expected` bytes have come (or the peer ends), then echoes a reply of
// `reply_size` bytes. A timer on the same thread ticks every 20 ms meanwhile.
struct Server {
    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    std::string received;
    std::size_t reads = 0;
    std::atomic<int> ticks{0};
    int ticks_at_first_read = 0;
    int ticks_at_last_read = 0;
    std::chrono::steady_clock::time_point first_read, last_read;
    std::atomic<bool> done{false};
    std::promise<std::string> result;
    std::thread thread;

    std::chrono::milliseconds tick_period{20};

    Server(RecordLayer layer, std::size_t expected, std::size_t reply_size,
           std::chrono::milliseconds tick_period = std::chrono::milliseconds(20))
        : tick_period(tick_period)
    {
        asio::co_spawn(io, serve(layer, expected, reply_size), asio::detached);
        asio::co_spawn(io, tick(), asio::detached);
        thread = std::thread([this] { io.run(); });
    }
    ~Server()
    {
        io.stop();
        thread.join();
    }
    unsigned short port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> serve(RecordLayer layer, std::size_t expected, std::size_t reply_size)
    {
        std::string outcome;
        try {
            tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
            TcpTransport transport(std::move(socket), server_context(), layer);
            co_await transport.start_tls();
            while (received.size() < expected) {
                std::string_view bytes = co_await transport.read();
                if (bytes.empty()) break;
                if (reads++ == 0) {
                    first_read = std::chrono::steady_clock::now();
                    ticks_at_first_read = ticks;
                }
                received.append(bytes);
                last_read = std::chrono::steady_clock::now();
                ticks_at_last_read = ticks;
            }
            if (reply_size > 0) {
                const std::vector<std::string> reply{std::string(reply_size, 'r')};
                co_await transport.write(reply);
            }
            co_await transport.shutdown();
        } catch (const std::exception& e) {
            outcome = e.what();
        }
        done = true;
        result.set_value(outcome);
    }

    asio::awaitable<void> tick()
    {
        asio::steady_timer timer(io);
        while (!done) {
            timer.expires_after(tick_period);
            co_await timer.async_wait(asio::use_awaitable);
            ++ticks;
        }
    }
};

// A blocking OpenSSL client over memory BIOs on a plain socket: the test decides how the
// records it makes go out.
struct Client {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
    BIO* in = nullptr;
    BIO* out = nullptr;
    int fd = -1;

    Client(const Path& path, unsigned short port)
    {
        if (path.client_max_version) SSL_CTX_set_max_proto_version(ctx.get(), path.client_max_version);
        if (path.max_fragment) REQUIRE(SSL_CTX_set_tlsext_max_fragment_length(ctx.get(), path.max_fragment) == 1);
        ssl.reset(SSL_new(ctx.get()));
        in = BIO_new(BIO_s_mem());
        out = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl.get(), in, out);
        SSL_set_connect_state(ssl.get());
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        timeval tv{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        while (SSL_do_handshake(ssl.get()) != 1) {
            send_all(pending());
            REQUIRE(receive());
        }
        send_all(pending());
    }
    ~Client() { ::close(fd); }

    std::string pending()
    {
        std::string s;
        char buf[4096];
        int n;
        while ((n = BIO_read(out, buf, sizeof buf)) > 0) s.append(buf, std::size_t(n));
        return s;
    }
    std::string records(const std::string& plaintext)
    {
        for (std::size_t at = 0; at < plaintext.size();) {
            std::size_t n = 0;
            REQUIRE(SSL_write_ex(ssl.get(), plaintext.data() + at, plaintext.size() - at, &n) == 1);
            at += n;
        }
        return pending();
    }
    void send_all(std::string_view data)
    {
        while (!data.empty()) {
            ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            REQUIRE(n > 0);
            data.remove_prefix(std::size_t(n));
        }
    }
    bool receive()
    {
        char buf[16384];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        BIO_write(in, buf, int(n));
        return true;
    }
    // Plaintext until the server's close_notify (or the end of the connection).
    std::string read_all()
    {
        std::string s;
        char buf[16384];
        for (;;) {
            int n = SSL_read(ssl.get(), buf, sizeof buf);
            if (n > 0) {
                s.append(buf, std::size_t(n));
                continue;
            }
            if (SSL_get_error(ssl.get(), n) != SSL_ERROR_WANT_READ || !receive()) return s;
        }
    }
};

// Fails the whole run if `ready` is not set in time: a read loop that spins never lets the
// server's thread return to the test, so the test cannot wait on it in the ordinary way.
template <class T>
T within(std::future<T>& f, std::chrono::seconds limit, const char* what)
{
    if (f.wait_for(limit) != std::future_status::ready) {
        std::fprintf(stderr, "FAIL: %s did not happen within %lld s; the server's thread is stuck\n", what,
                     static_cast<long long>(limit.count()));
        std::_Exit(1);
    }
    return f.get();
}

std::string pattern(std::size_t size)
{
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = char('a' + i * 7 % 26);
    return s;
}

TEST_CASE("every path: records split at every byte are read whole through the transport's read loop")
{
    for (const Path& path : paths) {
        CAPTURE(std::string(path.name));
        const std::string data = pattern(3000);
        Server server(path.layer, data.size(), 0);
        const auto before = connections(path);
        Client client(path, server.port());
        std::string records = client.records("<a/>");
        records += client.records(data.substr(4));
        for (char byte : records) {
            client.send_all(std::string_view(&byte, 1));
            std::this_thread::sleep_for(std::chrono::microseconds(50));  // most bytes arrive alone
        }
        auto future = server.result.get_future();
        CHECK(within(future, std::chrono::seconds(30), "reading the split records") == "");
        CHECK(server.received == "<a/>" + data.substr(4));
        CHECK(connections(path) == before + 1);
    }
}

TEST_CASE("every path: a 40 KB and a 200 KB stanza arrive whole, and a 200 KB reply goes out")
{
    for (const Path& path : paths) {
        for (std::size_t size : {std::size_t(40000), std::size_t(200000)}) {
            CAPTURE(std::string(path.name));
            CAPTURE(size);
            const std::string data = pattern(size);
            Server server(path.layer, data.size(), 200000);
            Client client(path, server.port());
            client.send_all(client.records(data));
            CHECK(client.read_all() == std::string(200000, 'r'));
            auto future = server.result.get_future();
            CHECK(within(future, std::chrono::seconds(30), "reading the large stanza") == "");
            CHECK(server.received == data);
        }
    }
}

TEST_CASE("every path: a record held in part leaves the read loop waiting and the thread's timers firing")
{
    for (const Path& path : paths) {
        CAPTURE(std::string(path.name));
        const std::string data = pattern(1000);
        Server server(path.layer, data.size(), 0);
        Client client(path, server.port());
        const std::string records = client.records(data);
        REQUIRE(records.size() > 1000);
        client.send_all(std::string_view(records).substr(0, 100));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const int ticks = server.ticks;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        // 25 ticks are due; a spinning read loop on the thread lets none through.
        CHECK(server.ticks - ticks >= 5);
        CHECK(server.reads == 0);
        client.send_all(std::string_view(records).substr(100));
        auto future = server.result.get_future();
        CHECK(within(future, std::chrono::seconds(30), "reading the rest of the record") == "");
        CHECK(server.received == data);
    }
}

TEST_CASE("every path: a client that streams without pause does not starve the thread's timers")
{
    for (const Path& path : paths) {
        CAPTURE(std::string(path.name));
        const std::string data = pattern(16 << 20);
        Server server(path.layer, data.size(), 0, std::chrono::milliseconds(1));
        Client client(path, server.port());
        const std::string records = client.records(data);
        std::thread sender([&] { client.send_all(records); });
        auto future = server.result.get_future();
        CHECK(within(future, std::chrono::seconds(60), "reading 16 MB") == "");
        sender.join();
        CHECK(server.received.size() == data.size());
        CHECK(server.received == data);
        CHECK(server.reads > 1);
        // The ticker is due every millisecond; a read loop that never gave the thread back
        // would let none through while it read.
        const auto reading = server.last_read - server.first_read;
        MESSAGE("read for " << std::chrono::duration_cast<std::chrono::milliseconds>(reading).count() << " ms, "
                            << server.ticks_at_last_read - server.ticks_at_first_read << " ticks meanwhile");
        if (reading >= std::chrono::milliseconds(10))
            CHECK(server.ticks_at_last_read - server.ticks_at_first_read >= 1);
        else
            WARN_MESSAGE(false, "the stream was read too fast to tell whether timers ran meanwhile");
    }
}

}  // namespace tcp_transport_test
