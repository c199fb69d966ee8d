// libFuzzer target for TlsEngine under the transport's read loop (TlsReader, the decisions
// TcpTransport::read makes), on each path a c2s connection can take: TLS 1.3 handed over to
// the engine's own record layer, TLS 1.3 kept on OpenSSL, and TLS 1.2. Built by
// run_fuzz_tls_read_loop.sh with clang++-14, outside meson.
//
// A real OpenSSL client does the handshake in memory; the input then scripts what it sends
// (data of any size, KeyUpdates, close_notify, raw bytes, a flipped bit) and how the bytes
// are cut into socket reads, the client's Finished included. Beyond sanitizer reports it
// checks that:
//  - the loop never spins: after a pass that gives nothing the engine itself says it needs
//    input, and passes over buffered input that give nothing are fewer than socket reads;
//  - what the server reads is a prefix of what the client sent, and all of it when the
//    stream was not tampered with;
//  - after closed or failed, the engine says so again;
//  - what the server writes meanwhile (alerts, KeyUpdate answers) stays small.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/c2s/tls_engine.hpp"
#include "server/c2s/tls_reader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace wl::server::c2s;

namespace {

// The server context as waitlistd makes it (server/tls.cpp), on a key and certificate made
// in memory.
SSL_CTX* server_context()
{
    static SSL_CTX* ctx = [] {
        SSL_CTX* c = SSL_CTX_new(TLS_server_method());
        EVP_PKEY* key = EVP_EC_gen("P-256");
        X509* cert = X509_new();
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, key);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("example.test"), -1, -1, 0);
        X509_set_issuer_name(cert, X509_get_subject_name(cert));
        X509_sign(cert, key, EVP_sha256());
        SSL_CTX_use_certificate(c, cert);
        SSL_CTX_use_PrivateKey(c, key);
        X509_free(cert);
        EVP_PKEY_free(key);
        SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
        SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
        SSL_CTX_set_num_tickets(c, 0);
        TlsEngine::prepare_context(c);
        return c;
    }();
    return ctx;
}

SSL_CTX* client_context(int max_version)
{
    auto make = [](int v) {
        SSL_CTX* c = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_max_proto_version(c, v);
        return c;
    };
    static SSL_CTX* tls13 = make(TLS1_3_VERSION);
    static SSL_CTX* tls12 = make(TLS1_2_VERSION);
    return max_version == TLS1_2_VERSION ? tls12 : tls13;
}

struct Input {
    const std::uint8_t* data;
    std::size_t size;
    std::uint8_t byte() { return size ? (--size, *data++) : 0; }
    bool empty() const { return size == 0; }
};

std::string drain(BIO* bio)
{
    std::string out;
    char buf[4096];
    int n;
    while ((n = BIO_read(bio, buf, sizeof buf)) > 0) out.append(buf, std::size_t(n));
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    Input in{data, size};
    const int path = in.byte() % 3;
    const auto layer = path == 1 ? TlsEngine::RecordLayer::openssl : TlsEngine::RecordLayer::own;
    const int max_version = path == 2 ? TLS1_2_VERSION : TLS1_3_VERSION;

    TlsEngine server(server_context(), layer);
    std::unique_ptr<SSL, decltype(&SSL_free)> client(SSL_new(client_context(max_version)), SSL_free);
    BIO* client_in = BIO_new(BIO_s_mem());
    BIO* client_out = BIO_new(BIO_s_mem());
    SSL_set_bio(client.get(), client_in, client_out);
    SSL_set_connect_state(client.get());

    // Up to the client's last flight, which goes with the scripted bytes below. In TLS 1.2
    // the client's Finished comes first and the server's last: the server is done before.
    TlsEngine::Status status = TlsEngine::Status::want_input;
    for (int round = 0; round < 10 && SSL_do_handshake(client.get()) != 1; ++round) {
        status = server.handshake(drain(client_out));
        FUZZ_CHECK(status != TlsEngine::Status::failed);
        std::string flight = server.take_output();
        BIO_write(client_in, flight.data(), int(flight.size()));
    }
    FUZZ_CHECK(SSL_is_init_finished(client.get()));

    // The script: what the client sends after its Finished.
    std::string stream = drain(client_out);
    const std::size_t finished_size = stream.size();
    std::string sent;  // application data, in order
    bool tampered = false, closed = false;
    for (int steps = in.byte() % 16; steps > 0 && !closed; --steps) {
        switch (in.byte() % 6) {
        case 0:
        case 1: {
            std::size_t n = std::size_t(in.byte()) << (in.byte() % 9);  // up to 64 KB: several records
            std::string text(n, char('a' + sent.size() % 26));
            if (n > 0 && SSL_write(client.get(), text.data(), int(n)) == int(n)) sent += text;
            break;
        }
        case 2:
            if (max_version == TLS1_3_VERSION)
                SSL_key_update(client.get(), in.byte() % 2 ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED);
            SSL_write(client.get(), "k", 1);
            sent += "k";
            break;
        case 3:
            SSL_shutdown(client.get());
            closed = true;
            break;
        case 4: {
            stream += drain(client_out);
            for (std::size_t n = in.byte() % 32; n > 0; --n) stream += char(in.byte());
            tampered = true;
            break;
        }
        case 5: {
            stream += drain(client_out);
            if (stream.size() > finished_size) {
                std::size_t at =
                    finished_size + (std::size_t(in.byte()) << 8 | in.byte()) % (stream.size() - finished_size);
                stream[at] = char(stream[at] ^ (1 << (in.byte() % 8)));
                tampered = true;
            }
            break;
        }
        }
    }
    stream += drain(client_out);

    // The socket's reads: sizes from the rest of the input, then the rest in one.
    std::vector<std::size_t> cuts;
    while (!in.empty()) {
        std::size_t n = in.byte();
        if (n == 0) n = 1 + (std::size_t(in.byte()) << 6);
        cuts.push_back(n);
    }
    std::size_t at = 0, next_cut = 0;
    auto receive = [&]() -> std::string_view {
        std::size_t n = next_cut < cuts.size() ? cuts[next_cut++] : stream.size() - at;
        n = std::min(n, stream.size() - at);
        std::string_view piece(stream.data() + at, n);
        at += n;
        return piece;
    };

    // The transport's handshake loop: the Finished, and whatever comes with it.
    while (status == TlsEngine::Status::want_input && at < stream.size()) status = server.handshake(receive());
    if (status != TlsEngine::Status::ok) {
        FUZZ_CHECK(tampered || status == TlsEngine::Status::failed);
        return 0;
    }
    (void)server.take_output();

    // The transport's read loop, in the plaintext buffer it uses.
    std::vector<char> plaintext(Tls13Records::max_inner_plaintext);
    std::string got;
    TlsReader reader(server);
    // The handshake's last read may have brought records too.
    std::size_t socket_reads = 1, empty_buffered_passes = 0;
    TlsEngine::Status last = TlsEngine::Status::ok;
    for (;;) {
        std::string_view input;
        const bool from_socket = reader.needs_input();
        if (from_socket) {
            if (at == stream.size()) break;  // the peer waits: the loop must be waiting too
            input = receive();
        }
        auto r = reader.pass(input, plaintext.data(), plaintext.size());
        FUZZ_CHECK(r.bytes <= plaintext.size());
        got.append(plaintext.data(), r.bytes);
        FUZZ_CHECK(server.output_size() < 64 * 1024);
        (void)server.take_output();
        if (r.status != TlsEngine::Status::ok) {
            last = r.status;
            char buf[16];
            FUZZ_CHECK(server.read({}, buf, sizeof buf).status == last);
            break;
        }
        // A pass over buffered input may give nothing (a KeyUpdate record, then part of the
        // next), but then the engine itself must ask for input; and such passes can be no
        // more than the socket's reads.
        if (r.bytes == 0) FUZZ_CHECK(!server.has_buffered_input());
        if (from_socket)
            ++socket_reads;
        else if (r.bytes == 0)
            FUZZ_CHECK(++empty_buffered_passes <= socket_reads);
    }
    FUZZ_CHECK(got.size() <= sent.size() && sent.compare(0, got.size(), got) == 0);
    if (!tampered) {
        FUZZ_CHECK(last != TlsEngine::Status::failed);
        FUZZ_CHECK(got == sent);
        FUZZ_CHECK(closed == (last == TlsEngine::Status::closed));
    }
    ERR_clear_error();
    return 0;
}
