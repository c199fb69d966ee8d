// A minimal XMPP client whose SASL is GNU SASL (libgsasl): it logs in to a server under test
// with the mechanism it is given, over STARTTLS or direct TLS (OpenSSL, TLS 1.2 or 1.3 as
// asked), gives libgsasl the connection's tls-exporter value (RFC 9266) when asked to bind,
// checks the server's signature, binds a resource and exits 0. On a SASL <failure/> it prints
// the failure element and exits 2; on anything else it prints why and exits 1.
//
//     gsasl_client PORT DOMAIN USER PASSWORD MECHANISM starttls|direct 1.2|1.3 [exporter|no-binding]
#include <arpa/inet.h>
#include <gsasl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>

namespace {

[[noreturn]] void die(const std::string& why, int code = 1)
{
    std::fprintf(stderr, "gsasl_client: %s\n", why.c_str());
    std::exit(code);
}

class Connection {
public:
    explicit Connection(int port)
    {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        timeval timeout{10, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect failed");
    }

    void start_tls(const std::string& version, const std::string& domain)
    {
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        const int v = version == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
        SSL_CTX_set_min_proto_version(ctx, v);
        SSL_CTX_set_max_proto_version(ctx, v);
        ssl_ = SSL_new(ctx);
        SSL_CTX_free(ctx);
        SSL_set_tlsext_host_name(ssl_, domain.c_str());
        SSL_set_fd(ssl_, fd_);
        if (SSL_connect(ssl_) != 1) die("TLS handshake failed");
        if (SSL_version(ssl_) != v) die("TLS " + version + " was not negotiated");
        buffer_.clear();
    }

    std::string exporter() const
    {
        unsigned char out[32];
        static const char label[] = "EXPORTER-Channel-Binding";
        if (SSL_export_keying_material(ssl_, out, sizeof out, label, sizeof label - 1, nullptr, 0, 1) != 1)
            die("SSL_export_keying_material failed");
        return std::string(reinterpret_cast<char*>(out), sizeof out);
    }

    void send(const std::string& text)
    {
        const int n = ssl_ ? SSL_write(ssl_, text.data(), static_cast<int>(text.size()))
                           : static_cast<int>(::send(fd_, text.data(), text.size(), 0));
        if (n != static_cast<int>(text.size())) die("send failed");
    }

    // Reads until `pattern` matches; returns the match and consumes the input up to its end.
    std::smatch expect(const std::string& pattern)
    {
        const std::regex re(pattern);
        for (;;) {
            std::smatch m;
            if (std::regex_search(buffer_, m, re)) {
                matched_ = buffer_;
                std::smatch out;
                std::regex_search(matched_, out, re);
                buffer_.erase(0, static_cast<std::size_t>(m.position(0) + m.length(0)));
                return out;
            }
            char chunk[16384];
            const int n =
                ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : static_cast<int>(recv(fd_, chunk, sizeof chunk, 0));
            if (n <= 0) die("connection closed waiting for " + pattern + "; got " + buffer_);
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    int fd_ = -1;
    SSL* ssl_ = nullptr;
    std::string buffer_;
    std::string matched_;
};

std::string base64(const std::string& raw)
{
    std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string open_stream(Connection& c, const std::string& domain)
{
    c.send(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "to='" +
        domain + "' version='1.0'>");
    return c.expect("<stream:features[\\s\\S]*?</stream:features>").str(0);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 8)
        die("usage: gsasl_client PORT DOMAIN USER PASSWORD MECHANISM starttls|direct 1.2|1.3 [exporter|no-binding]");
    const int port = std::atoi(argv[1]);
    const std::string domain = argv[2], user = argv[3], password = argv[4], mechanism = argv[5], mode = argv[6],
                      version = argv[7], binding = argc > 8 ? argv[8] : "exporter";

    Connection c(port);
    if (mode == "starttls") {
        if (open_stream(c, domain).find("<starttls") == std::string::npos) die("no STARTTLS offered");
        c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        c.expect("<proceed[^>]*/>");
    }
    c.start_tls(version, domain);
    const std::string features = open_stream(c, domain);
    if (features.find(">" + mechanism + "<") == std::string::npos) die(mechanism + " not offered: " + features);

    Gsasl* ctx = nullptr;
    if (gsasl_init(&ctx) != GSASL_OK) die("gsasl_init failed");
    Gsasl_session* session = nullptr;
    if (int rc = gsasl_client_start(ctx, mechanism.c_str(), &session); rc != GSASL_OK)
        die(std::string("gsasl_client_start: ") + gsasl_strerror(rc));
    gsasl_property_set(session, GSASL_AUTHID, user.c_str());
    gsasl_property_set(session, GSASL_PASSWORD, password.c_str());
    if (binding == "exporter") gsasl_property_set(session, GSASL_CB_TLS_EXPORTER, base64(c.exporter()).c_str());

    char* out = nullptr;
    int rc = gsasl_step64(session, "", &out);
    if (rc != GSASL_NEEDS_MORE) die(std::string("first step: ") + gsasl_strerror(rc));
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mechanism + "'>" + out + "</auth>");
    gsasl_free(out);
    for (;;) {
        auto m = c.expect("<(challenge|success|failure)[^>]*?(/>|>([\\s\\S]*?)</(challenge|success|failure)>)");
        const std::string kind = m.str(1), body = m.str(3);
        if (kind == "failure") {
            std::printf("%s\n", m.str(0).c_str());
            return 2;
        }
        out = nullptr;
        rc = gsasl_step64(session, body.c_str(), &out);
        if (kind == "success") {
            gsasl_free(out);
            if (rc != GSASL_OK) die(std::string("the server's signature was not accepted: ") + gsasl_strerror(rc));
            break;
        }
        if (rc != GSASL_NEEDS_MORE && rc != GSASL_OK) die(std::string("step: ") + gsasl_strerror(rc));
        c.send(std::string("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>") + out + "</response>");
        gsasl_free(out);
    }
    gsasl_finish(session);
    gsasl_done(ctx);

    if (open_stream(c, domain).find("<bind") == std::string::npos) die("no resource binding offered");
    c.send(
        "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>gsasl</resource></bind></iq>");
    std::printf("bound %s\n", c.expect("<jid>([^<]+)</jid>").str(1).c_str());
    return 0;
}
