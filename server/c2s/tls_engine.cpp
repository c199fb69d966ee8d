#include "server/c2s/tls_engine.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "server/c2s/tls_channel_binding.hpp"

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

int engine_index()
{
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

void key_log_callback(const SSL* ssl, const char* line)
{
    // Other users of the context (none today) have no engine and are left alone.
    if (auto* engine = static_cast<TlsEngine*>(SSL_get_ex_data(ssl, engine_index()))) engine->key_log(line);
}

void message_callback(int write_p, int, int content_type, const void* buf, std::size_t len, SSL*, void* arg)
{
    if (content_type == SSL3_RT_HANDSHAKE && arg)
        static_cast<TlsEngine*>(arg)->handshake_message(write_p != 0, static_cast<const unsigned char*>(buf), len);
}

// RFC 8449's extension number (record_size_limit).
constexpr unsigned record_size_limit_extension = 28;

// Whether a handshake message's extension block (a 2-byte length, then type, length, data
// each) starting at `at` names `type`.
bool has_extension(const unsigned char* message, std::size_t size, std::size_t at, unsigned type)
{
    if (at + 2 > size) return false;
    std::size_t end = std::min(size, at + 2 + (std::size_t(message[at]) << 8 | message[at + 1]));
    for (at += 2; at + 4 <= end;) {
        const unsigned t = unsigned(message[at]) << 8 | message[at + 1];
        if (t == type) return true;
        at += 4 + (std::size_t(message[at + 2]) << 8 | message[at + 3]);
    }
    return false;
}

// Whether OpenSSL could read a record out of `input` without more: a whole record, or a
// header it will refuse at once.
bool starts_with_whole_tls_record(std::string_view input)
{
    constexpr std::size_t header_size = 5, max_tls12_ciphertext = 16384 + 2048;
    if (input.size() < header_size) return false;
    const auto* h = reinterpret_cast<const unsigned char*>(input.data());
    const std::size_t length = std::size_t(h[3]) << 8 | h[4];
    return length > max_tls12_ciphertext || input.size() >= header_size + length;
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decrypted records of the I/O thread when the caller's buffer is smaller than a record.
[[gnu::noinline]] char* thread_record_buffer()
{
    thread_local std::unique_ptr<std::array<char, Tls13Records::max_inner_plaintext>> buffer =
        std::make_unique<std::array<char, Tls13Records::max_inner_plaintext>>();
    return buffer->data();
}

}  // namespace

// The application traffic secrets, from the key log, until the hand-over.
struct TlsEngine::Secrets {
    std::string client;
    std::string server;
    ~Secrets()
    {
        OPENSSL_cleanse(client.data(), client.size());
        OPENSSL_cleanse(server.data(), server.size());
    }
};

void TlsEngine::prepare_context(SSL_CTX* context)
{
    engine_index();  // allocated before any connection's thread asks for it
    SSL_CTX_set_keylog_callback(context, key_log_callback);
}

TlsEngine::TlsEngine(SSL_CTX* context, RecordLayer record_layer)
    : own_record_layer_allowed_(record_layer == RecordLayer::own)
{
    ssl_ = SSL_new(context);
    if (!ssl_) throw std::runtime_error("tls: SSL_new failed");
    SSL_set_ex_data(ssl_, engine_index(), this);
    BIO* bio = BIO_new(engine_bio_method());
    if (!bio) {
        SSL_free(ssl_);
        throw std::runtime_error("tls: BIO_new failed");
    }
    BIO_set_data(bio, this);
    SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: SSL_set_bio takes a single reference
    SSL_set_accept_state(ssl_);
    // What we send during the handshake decides whether the hand-over stays exact.
    if (own_record_layer_allowed_) {
        SSL_set_msg_callback(ssl_, message_callback);
        SSL_set_msg_callback_arg(ssl_, this);
    }
}

void TlsEngine::handshake_message(bool sent, const unsigned char* message, std::size_t size)
{
    // RFC 8449: a record_size_limit is in force only once the server echoes it, in TLS 1.3
    // in its EncryptedExtensions; it would then bind the records we seal. OpenSSL 3.0 does
    // not implement the extension, so it never echoes it and a client's offer (GnuTLS and
    // NSS make one) leaves the record size at 2^14: such connections are handed over. Should
    // an OpenSSL that does (or a custom extension on the context) ever echo it, the
    // connection stays with OpenSSL, which then honours the limit; our record layer does not.
    constexpr unsigned char client_hello = 1, encrypted_extensions = 8;
    if (sent && size >= 4 && message[0] == encrypted_extensions &&
        has_extension(message, size, 4, record_size_limit_extension))
        record_size_limit_sent_ = true;
    if (!sent && size >= 4 + 35 && message[0] == client_hello) {
        // Version and random, then the session id, cipher suites and compression methods,
        // each with its length in front; the extensions follow.
        std::size_t at = 4 + 34;
        at += 1 + message[at];
        if (at + 2 > size) return;
        at += 2 + (std::size_t(message[at]) << 8 | message[at + 1]);
        if (at + 1 > size) return;
        at += 1 + message[at];
        record_size_limit_offered_ = has_extension(message, size, at, record_size_limit_extension);
    }
}

TlsEngine::~TlsEngine() { SSL_free(ssl_); }

void TlsEngine::key_log(std::string_view line)
{
    // "LABEL <client random> <secret>", in hex. Only the first application traffic secrets
    // are wanted; the handshake secrets die with the handshake.
    const bool client = line.starts_with("CLIENT_TRAFFIC_SECRET_0 ");
    if (!client && !line.starts_with("SERVER_TRAFFIC_SECRET_0 ")) return;
    const auto at = line.rfind(' ');
    std::string_view hex = line.substr(at + 1);
    if (hex.size() % 2 != 0 || hex.size() > 2 * Tls13TrafficKeys::max_secret_size) return;
    if (!secrets_) secrets_ = std::make_unique<Secrets>();
    std::string& secret = client ? secrets_->client : secrets_->server;
    // Reserved first, so that no copy of the secret is left behind in a freed buffer.
    secret.reserve(Tls13TrafficKeys::max_secret_size);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(secret.data(), secret.size());
            secret.clear();
            return;
        }
        secret.push_back(static_cast<char>(hi << 4 | lo));
    }
}

void TlsEngine::release_ssl()
{
    std::unique_ptr<Secrets> secrets = std::move(secrets_);
    if (!own_record_layer_allowed_ || record_size_limit_sent_) return;
    // The hand-over is exact only at this point, and only if OpenSSL has read no record under
    // the application keys (it reads one record at a time without read-ahead, and nothing
    // past the client's Finished; no early data) and written none (no session tickets, no
    // KeyUpdate of its own): else our sequence numbers would restart where OpenSSL's went on,
    // and reuse nonces. Each condition is checked here, not assumed from the context's set-up.
    // A negotiated max_fragment_length (RFC 6066) would bind our record size too: such
    // connections stay with OpenSSL.
    if (!secrets || secrets->client.empty() || secrets->server.empty()) return;
    if (SSL_version(ssl_) != TLS1_3_VERSION || SSL_has_pending(ssl_)) return;
    if (SSL_get_num_tickets(ssl_) != 0 || SSL_get_max_early_data(ssl_) != 0 ||
        SSL_get_early_data_status(ssl_) == SSL_EARLY_DATA_ACCEPTED ||
        SSL_get_key_update_type(ssl_) != SSL_KEY_UPDATE_NONE)
        return;
    const SSL_SESSION* session = SSL_get_session(ssl_);
    if (!session || SSL_SESSION_get_max_fragment_length(session) != TLSEXT_max_fragment_length_DISABLED) return;
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
    auto suite = cipher ? tls13_suite(SSL_CIPHER_get_protocol_id(cipher)) : std::nullopt;
    if (!suite) return;
    records_ = std::make_unique<Tls13Records>(*suite, secrets->client, secrets->server);
    SSL_free(ssl_);
    ssl_ = nullptr;
}

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
    const bool from_kept =
        !kept_.empty() && input_.data() >= kept_.data() && input_.data() <= kept_.data() + kept_.size();
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

TlsEngine::Status TlsEngine::fail_records(const char* what)
{
    error_code_ = ERR_PACK(ERR_LIB_SSL, 0, records_->failure_reason());
    char reason[256] = "";
    ERR_error_string_n(error_code_, reason, sizeof reason);
    error_ = std::string(what) + " failed: " + reason;
    return Status::failed;
}

TlsEngine::Status TlsEngine::handshake(std::string_view input)
{
    if (!ssl_) return Status::ok;
    begin(input);
    Status status = Status::ok;
    int r = SSL_do_handshake(ssl_);
    if (r != 1) {
        int e = SSL_get_error(ssl_, r);
        wants_input_ = e == SSL_ERROR_WANT_READ;
        status = wants_input_ ? Status::want_input : fail(e, "TLS handshake");
    } else {
        wants_input_ = false;
        version_ = SSL_version(ssl_);
        bindings_ = std::make_unique<proto::sasl::ChannelBindings>(tls_channel_bindings(ssl_));
        release_ssl();
        // Called for every record otherwise, on the connections that stay with OpenSSL.
        if (ssl_) SSL_set_msg_callback(ssl_, nullptr);
    }
    end();
    return status;
}

TlsEngine::ReadResult TlsEngine::read_records(char* plaintext, std::size_t size)
{
    ReadResult result;
    while (result.bytes < size) {
        auto r = records_->open(input_, plaintext + result.bytes, size - result.bytes, output_);
        if (r.step == Tls13Records::Step::no_room) {
            if (result.bytes > 0) break;
            // A record larger than the caller's whole buffer: what does not fit waits.
            char* record = thread_record_buffer();
            r = records_->open(input_, record, Tls13Records::max_inner_plaintext, output_);
            if (r.step == Tls13Records::Step::data) {
                const std::size_t n = std::min(r.bytes, size);
                std::memcpy(plaintext, record, n);
                plaintext_kept_.assign(record + n, r.bytes - n);
                r.bytes = n;
            }
        }
        input_.remove_prefix(r.consumed);
        switch (r.step) {
        case Tls13Records::Step::data:
            result.bytes += r.bytes;
            if (!plaintext_kept_.empty()) return result;
            continue;
        case Tls13Records::Step::closed:
            peer_closed_ = true;
            result.status = Status::closed;
            return result;
        case Tls13Records::Step::failed:
            result.status = fail_records("TLS read");
            return result;
        case Tls13Records::Step::need_input:
        case Tls13Records::Step::no_room:
            return result;
        }
    }
    return result;
}

TlsEngine::ReadResult TlsEngine::read(std::string_view input, char* plaintext, std::size_t size)
{
    ReadResult result;
    if (size == 0) return result;  // no room: nothing to take, and nothing taken
    if (peer_closed_) {
        result.status = Status::closed;
        return result;
    }
    if (records_) {
        if (!plaintext_kept_.empty()) {
            result.bytes = std::min(size, plaintext_kept_.size());
            std::memcpy(plaintext, plaintext_kept_.data(), result.bytes);
            plaintext_kept_.erase(0, result.bytes);
            if (plaintext_kept_.empty()) std::string().swap(plaintext_kept_);
        }
        begin(input);
        if (plaintext_kept_.empty()) {
            auto more = read_records(plaintext + result.bytes, size - result.bytes);
            result.bytes += more.bytes;
            result.status = more.status;
        }
        end();
        return result;
    }
    begin(input);
    wants_input_ = false;
    while (result.bytes < size) {
        std::size_t n = 0;
        if (SSL_read_ex(ssl_, plaintext + result.bytes, size - result.bytes, &n) == 1) {
            result.bytes += n;
            continue;
        }
        int e = SSL_get_error(ssl_, 0);
        if (e == SSL_ERROR_WANT_READ) {
            wants_input_ = true;
            break;
        }
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

bool TlsEngine::has_buffered_input() const
{
    // OpenSSL leaves input for want of room, and may hold records it read but has not
    // decrypted yet (SSL_has_pending, unlike SSL_pending); the record layer leaves a
    // record's first part until the rest comes. SSL_has_pending is also 1 while OpenSSL
    // holds only the first part of a record: once it has asked for more (WANT_READ), what it
    // holds cannot be read without new input, and the caller must wait for the socket.
    if (records_) return !plaintext_kept_.empty() || Tls13Records::starts_with_whole_record(kept_);
    return starts_with_whole_tls_record(kept_) || (!wants_input_ && SSL_has_pending(ssl_) == 1);
}

bool TlsEngine::write(std::string_view plaintext)
{
    if (records_) {
        if (records_->seal(plaintext, output_)) return true;
        fail_records("TLS write");
        return false;
    }
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
    if (records_) {
        records_->seal_close_notify(output_);
        return;
    }
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

bool TlsEngine::is_established() const { return records_ || SSL_is_init_finished(ssl_); }

}  // namespace wl::server::c2s
