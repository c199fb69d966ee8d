#include "server/c2s/tls_engine.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace wl::server::c2s {

namespace {

TlsEngine& engine_of(BIO* bio) { return *static_cast<TlsEngine*>(BIO_get_data(bio)); }

int bio_read(BIO* bio, char* data, int size)
{
    BIO_clear_retry_flags(bio);
    int n = engine_of(bio).bio_read(data, size);
    // Nothing left of this call's input: "try again", never end-of-file, so that OpenSSL
    // reports SSL_ERROR_WANT_READ and the caller fetches more from the socket.
    if (n <= 0) BIO_set_retry_read(bio);
    return n;
}

int bio_write(BIO* bio, const char* data, int size)
{
    BIO_clear_retry_flags(bio);
    engine_of(bio).bio_write(data, size);
    return size;
}

long bio_ctrl(BIO*, int command, long, void*)
{
    // Writes are never buffered in the BIO, so a flush has nothing to do; every other
    // control (kTLS, pending counts, EOF) is answered "no".
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

int bio_destroy(BIO*) { return 1; }

const BIO_METHOD* engine_bio_method()
{
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "waitlistd tls engine");
        if (!m) throw std::runtime_error("tls: BIO_meth_new failed");
        BIO_meth_set_read(m, bio_read);
        BIO_meth_set_write(m, bio_write);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
        BIO_meth_set_destroy(m, bio_destroy);
        return m;
    }();
    return method;
}

}  // namespace

TlsEngine::TlsEngine(SSL_CTX* context)
{
    ssl_ = SSL_new(context);
    if (!ssl_) throw std::runtime_error("tls: SSL_new failed");
    BIO* bio = BIO_new(engine_bio_method());
    if (!bio) {
        SSL_free(ssl_);
        throw std::runtime_error("tls: BIO_new failed");
    }
    BIO_set_data(bio, this);
    SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: SSL_set_bio takes a single reference
    SSL_set_accept_state(ssl_);
}

TlsEngine::~TlsEngine() { SSL_free(ssl_); }

int TlsEngine::bio_read(char* data, int size)
{
    if (input_.empty() || size <= 0) return -1;
    const std::size_t n = std::min(input_.size(), static_cast<std::size_t>(size));
    std::memcpy(data, input_.data(), n);
    input_.remove_prefix(n);
    return static_cast<int>(n);
}

void TlsEngine::bio_write(const char* data, int size) { output_.append(data, static_cast<std::size_t>(size)); }

void TlsEngine::begin(std::string_view input)
{
    // The error queue is per thread and shared by every connection on it: start clean so
    // that a failure here is reported with its own cause.
    ERR_clear_error();
    if (kept_.empty()) {
        input_ = input;
    } else {
        kept_.append(input);
        input_ = kept_;
    }
}

void TlsEngine::end()
{
    const bool from_kept = !kept_.empty() && input_.data() >= kept_.data() &&
                           input_.data() <= kept_.data() + kept_.size();
    if (input_.empty()) {
        if (!kept_.empty()) std::string().swap(kept_);  // back to no allocation when idle
    } else if (from_kept) {
        if (input_.size() != kept_.size()) kept_ = std::string(input_);
    } else {
        kept_.assign(input_);
    }
    input_ = {};
}

TlsEngine::Status TlsEngine::fail(int ssl_error, const char* what)
{
    error_code_ = ERR_peek_error();
    char reason[256] = "";
    if (error_code_) ERR_error_string_n(error_code_, reason, sizeof reason);
    error_ = std::string(what) + " failed (SSL error " + std::to_string(ssl_error) + ")" +
             (error_code_ ? std::string(": ") + reason : std::string());
    ERR_clear_error();
    return Status::failed;
}

TlsEngine::Status TlsEngine::handshake(std::string_view input)
{
    begin(input);
    Status status = Status::ok;
    int r = SSL_do_handshake(ssl_);
    if (r != 1) {
        int e = SSL_get_error(ssl_, r);
        status = e == SSL_ERROR_WANT_READ ? Status::want_input : fail(e, "TLS handshake");
    }
    end();
    return status;
}

TlsEngine::ReadResult TlsEngine::read(std::string_view input, char* plaintext, std::size_t size)
{
    ReadResult result;
    if (peer_closed_) {
        result.status = Status::closed;
        return result;
    }
    begin(input);
    while (result.bytes < size) {
        std::size_t n = 0;
        if (SSL_read_ex(ssl_, plaintext + result.bytes, size - result.bytes, &n) == 1) {
            result.bytes += n;
            continue;
        }
        int e = SSL_get_error(ssl_, 0);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            peer_closed_ = true;
            result.status = Status::closed;
        } else {
            result.status = fail(e, "TLS read");
        }
        break;
    }
    end();
    return result;
}

bool TlsEngine::has_buffered_input() const { return !kept_.empty() || SSL_pending(ssl_) > 0; }

bool TlsEngine::write(std::string_view plaintext)
{
    ERR_clear_error();
    while (!plaintext.empty()) {
        std::size_t n = 0;
        if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n) != 1) {
            fail(SSL_get_error(ssl_, 0), "TLS write");
            return false;
        }
        plaintext.remove_prefix(n);
    }
    return true;
}

void TlsEngine::shutdown()
{
    ERR_clear_error();
    if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
    ERR_clear_error();
}

std::string TlsEngine::take_output()
{
    std::string out = std::move(output_);
    output_ = std::string();
    return out;
}

void TlsEngine::give_back_output(std::string_view unsent)
{
    if (!unsent.empty()) output_.insert(0, unsent);
}

bool TlsEngine::is_established() const { return SSL_is_init_finished(ssl_); }

}  // namespace wl::server::c2s
