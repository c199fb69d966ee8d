// TlsEngine against a real OpenSSL client, both in memory: handshake, data both ways, input
// split at every byte, data that arrives with the client's Finished, KeyUpdate, close_notify
// and garbage.
#include <doctest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <string>

#include "server/c2s/tls_engine.hpp"
#include "server/tls.hpp"

using wl::server::c2s::TlsEngine;
using Status = TlsEngine::Status;

namespace {

// One server context for the file, on a certificate written once to a temporary directory.
SSL_CTX* server_context()
{
    static boost::asio::ssl::context ctx = [] {
        auto dir = std::filesystem::temp_directory_path() / ("wl-tls-engine-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        auto cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
        wl::server::ensure_certificate(cert, key, "example.test");
        auto c = wl::server::make_server_tls_context(cert, key);
        std::filesystem::remove_all(dir);
        return c;
    }();
    return ctx.native_handle();
}

// An OpenSSL client over two memory BIOs, and the server engine it talks to.
struct Pair {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> client_ctx{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
    std::unique_ptr<SSL, decltype(&SSL_free)> client{nullptr, SSL_free};
    BIO* client_in = nullptr;   // what the server sent, for the client to read
    BIO* client_out = nullptr;  // what the client sent, for the server
    TlsEngine server{server_context()};

    explicit Pair(int max_version = 0)
    {
        if (max_version) SSL_CTX_set_max_proto_version(client_ctx.get(), max_version);
        client.reset(SSL_new(client_ctx.get()));
        client_in = BIO_new(BIO_s_mem());
        client_out = BIO_new(BIO_s_mem());
        SSL_set_bio(client.get(), client_in, client_out);
        SSL_set_connect_state(client.get());
    }

    std::string from_client()
    {
        std::string out;
        char buf[4096];
        int n;
        while ((n = BIO_read(client_out, buf, sizeof buf)) > 0) out.append(buf, std::size_t(n));
        return out;
    }
    void to_client() { deliver_to_client(server.take_output()); }
    void deliver_to_client(const std::string& records)
    {
        if (!records.empty()) BIO_write(client_in, records.data(), int(records.size()));
    }

    // Runs both handshakes to the end, the client's flights given to the server in pieces
    // of `piece` bytes (0: whole).
    void handshake(std::size_t piece = 0)
    {
        for (int round = 0; round < 20; ++round) {
            int c = SSL_do_handshake(client.get());
            std::string flight = from_client();
            Status s = Status::want_input;
            if (flight.empty()) s = server.handshake({});
            for (std::size_t at = 0; at < flight.size();) {
                std::size_t n = piece ? std::min(piece, flight.size() - at) : flight.size();
                s = server.handshake(std::string_view(flight).substr(at, n));
                REQUIRE(s != Status::failed);
                at += n;
            }
            to_client();
            if (c == 1 && s == Status::ok) return;
        }
        FAIL("the handshake did not finish");
    }

    std::string client_reads()
    {
        std::string out;
        char buf[4096];
        int n;
        while ((n = SSL_read(client.get(), buf, sizeof buf)) > 0) out.append(buf, std::size_t(n));
        return out;
    }

    // Everything the server can read from `input`, in one or more read() calls.
    std::string server_reads(std::string_view input, Status* last = nullptr)
    {
        std::string out;
        char buf[1000];
        auto r = server.read(input, buf, sizeof buf);
        out.append(buf, r.bytes);
        while (r.status == Status::ok && server.has_buffered_input()) {
            r = server.read({}, buf, sizeof buf);
            out.append(buf, r.bytes);
        }
        if (last) *last = r.status;
        return out;
    }
};

std::string client_writes(Pair& p, const std::string& text)
{
    REQUIRE(SSL_write(p.client.get(), text.data(), int(text.size())) == int(text.size()));
    return p.from_client();
}

}  // namespace

TEST_CASE("a TLS 1.3 client and the engine exchange data both ways") {
    Pair p;
    p.handshake();
    CHECK(p.server.is_established());
    CHECK(std::string(SSL_get_version(p.client.get())) == "TLSv1.3");
    CHECK(p.server_reads(client_writes(p, "<presence/>")) == "<presence/>");
    REQUIRE(p.server.write("<message/>"));
    REQUIRE(p.server.write(std::string(40000, 'x')));  // several records
    p.to_client();
    CHECK(p.client_reads() == "<message/>" + std::string(40000, 'x'));
    CHECK_FALSE(p.server.has_output());
    CHECK_FALSE(p.server.has_buffered_input());
}

TEST_CASE("a TLS 1.2 client works as well") {
    Pair p(TLS1_2_VERSION);
    p.handshake();
    CHECK(std::string(SSL_get_version(p.client.get())) == "TLSv1.2");
    CHECK(p.server_reads(client_writes(p, "<iq/>")) == "<iq/>");
}

TEST_CASE("the client's flights and records split at every byte give the same result") {
    Pair p;
    p.handshake(1);
    std::string records = client_writes(p, "<a/>");  // two statements: records in order
    records += client_writes(p, std::string(3000, 'b'));
    std::string got;
    for (std::size_t i = 0; i < records.size(); ++i) got += p.server_reads(std::string_view(records).substr(i, 1));
    CHECK(got == "<a/>" + std::string(3000, 'b'));
    CHECK_FALSE(p.server.has_buffered_input());
}

TEST_CASE("data sent with the client's last flight is kept for the first read") {
    Pair p;
    // Client hello, then the server's flight, then the client's Finished and its first
    // record in one input, as a client that writes at once after the handshake sends them.
    REQUIRE(SSL_do_handshake(p.client.get()) != 1);
    REQUIRE(p.server.handshake(p.from_client()) == Status::want_input);
    p.to_client();
    REQUIRE(SSL_do_handshake(p.client.get()) == 1);
    std::string both = p.from_client();  // the Finished first, then the record
    both += client_writes(p, "<stream:stream>");
    REQUIRE(p.server.handshake(both) == Status::ok);
    CHECK(p.server.has_buffered_input());
    CHECK(p.server_reads({}) == "<stream:stream>");
    CHECK_FALSE(p.server.has_buffered_input());
}

TEST_CASE("a client KeyUpdate is answered and data keeps flowing both ways") {
    Pair p;
    p.handshake();
    REQUIRE(SSL_key_update(p.client.get(), SSL_KEY_UPDATE_REQUESTED) == 1);
    CHECK(p.server_reads(client_writes(p, "after update")) == "after update");
    // OpenSSL sends its own KeyUpdate, as asked, in front of its next record.
    REQUIRE(p.server.write("reply"));
    p.to_client();
    CHECK(p.client_reads() == "reply");
    REQUIRE(p.server.write("and more"));
    p.to_client();
    CHECK(p.client_reads() == "and more");
}

TEST_CASE("close_notify ends the stream and stays ended") {
    Pair p;
    p.handshake();
    std::string records = client_writes(p, "last words");
    REQUIRE(SSL_shutdown(p.client.get()) == 0);  // after client_writes: records in order
    records += p.from_client();
    Status status = Status::ok;
    CHECK(p.server_reads(records, &status) == "last words");
    CHECK(status == Status::closed);
    char buf[10];
    CHECK(p.server.read({}, buf, sizeof buf).status == Status::closed);
    p.server.shutdown();
    p.to_client();
    p.client_reads();
    CHECK((SSL_get_shutdown(p.client.get()) & SSL_RECEIVED_SHUTDOWN) != 0);
}

TEST_CASE("what is not TLS fails the handshake with OpenSSL's reason") {
    TlsEngine server(server_context());
    CHECK(server.handshake("<stream:stream xmlns='jabber:client'>") == Status::failed);
    CHECK(server.error_code() != 0);
    CHECK(server.error().find("TLS handshake failed") == 0);
    CHECK(ERR_peek_error() == 0);  // the thread's error queue is left clean for the next connection
}

TEST_CASE("a corrupted record fails the read") {
    Pair p;
    p.handshake();
    std::string records = client_writes(p, "<presence/>");
    records[records.size() - 1] ^= 1;  // the AEAD tag
    char buf[100];
    auto r = p.server.read(records, buf, sizeof buf);
    CHECK(r.status == Status::failed);
    CHECK(r.bytes == 0);
}
