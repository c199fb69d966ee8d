#pragma once
// The server side of one TLS connection as a pure transformation, with no socket: ciphertext
// from the peer in, plaintext out; plaintext in, records to send out. OpenSSL runs over a BIO
// of our own that reads from the caller's input and appends to one output string.
//
// Why not asio::ssl::stream: it keeps two 17 KB buffers in its stream_core and a BIO pair
// with two more, for the whole life of the connection. Here nothing is kept between calls
// but the SSL object (whose record buffers SSL_MODE_RELEASE_BUFFERS frees when empty),
// ciphertext the peer sent ahead of its use (copied only then) and records not yet sent.
//
// After a TLS 1.3 handshake even the SSL object goes (about 13 KB with OpenSSL 3.0): the
// engine takes the application traffic secrets from OpenSSL's key log callback, frees the
// SSL object, and runs the record layer itself (Tls13Records), some 400 bytes. TLS 1.2
// connections, and any the hand-over does not apply to, stay with OpenSSL throughout.
#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "proto/sasl/channel_binding.hpp"
#include "server/c2s/tls13_records.hpp"

namespace wl::server::c2s {

class TlsEngine {
public:
    enum class Status {
        ok,          // handshake: established; read: the stream goes on
        want_input,  // handshake: needs more from the peer (after output() is sent)
        closed,      // read: the peer sent close_notify
        failed       // see error()
    };

    // Who runs the records after a TLS 1.3 handshake: the engine itself where the hand-over
    // is exact, or OpenSSL always (c2s.tls_record_layer).
    enum class RecordLayer {
        own,
        openssl
    };

    // Lets engines on `context` take over the record layer after a TLS 1.3 handshake (it
    // installs the context's key log callback). Call once, before the context is shared.
    static void prepare_context(SSL_CTX* context);

    // Server side, with the context's certificate and settings. Throws std::runtime_error.
    explicit TlsEngine(SSL_CTX* context, RecordLayer record_layer = RecordLayer::own);
    ~TlsEngine();
    TlsEngine(const TlsEngine&) = delete;
    TlsEngine& operator=(const TlsEngine&) = delete;

    // Each call takes ciphertext just received (possibly none); it is borrowed for the call
    // only: what the call does not consume is copied and used first by the next call.

    // Runs the handshake as far as `input` allows.
    Status handshake(std::string_view input);

    struct ReadResult {
        std::size_t bytes = 0;       // plaintext written to the caller's buffer
        Status status = Status::ok;  // ok, closed or failed; bytes > 0 may come with any
    };
    // Decrypts as much as fits into [plaintext, plaintext + size).
    ReadResult read(std::string_view input, char* plaintext, std::size_t size);
    // True if read() can give more without new input (a record decrypted only in part, or
    // ciphertext received ahead); false while only the first part of a record has come.
    bool has_buffered_input() const;

    // Encrypts into the output; false on a fatal error.
    bool write(std::string_view plaintext);
    // Queues close_notify.
    void shutdown();

    // Records to send, oldest first. The caller takes them all, sends what it can, and may
    // give back an unsent tail, which then goes before anything produced since.
    bool has_output() const { return !output_.empty(); }
    std::size_t output_size() const { return output_.size(); }
    std::string take_output();
    void give_back_output(std::string_view unsent);

    bool is_established() const;
    // True once the engine runs the TLS 1.3 record layer itself and the SSL object is gone.
    bool has_released_ssl() const { return records_ != nullptr; }
    // The negotiated version (TLS1_2_VERSION, TLS1_3_VERSION) once established, else 0.
    int protocol_version() const { return version_; }
    // Whether the client offered RFC 8449's record_size_limit (seen only where the own record
    // layer is allowed), and whether we agreed to it (never with OpenSSL 3.0).
    bool record_size_limit_offered() const { return record_size_limit_offered_; }
    bool record_size_limit_negotiated() const { return record_size_limit_sent_; }

    // The connection's channel binding data (server/c2s/tls_channel_binding.hpp), taken when
    // the handshake ends, before the hand-over frees the SSL object; nullptr before that and
    // after forget_channel_bindings(), which frees it once nobody will authenticate again.
    const proto::sasl::ChannelBindings* channel_bindings() const { return bindings_.get(); }
    void forget_channel_bindings() { bindings_.reset(); }
    // The first OpenSSL error of the last failure (ERR_get_error), 0 if none, and its text.
    unsigned long error_code() const { return error_code_; }
    const std::string& error() const { return error_; }

    // The BIO's and the key log's side; called by OpenSSL only.
    int bio_read(char* data, int size);
    void bio_write(const char* data, int size);
    void key_log(std::string_view line);
    void handshake_message(bool sent, const unsigned char* message, std::size_t size);

private:
    struct Secrets;

    void begin(std::string_view input);
    void end();
    Status fail(int ssl_error, const char* what);
    Status fail_records(const char* what);
    void release_ssl();
    ReadResult read_records(char* plaintext, std::size_t size);

    SSL* ssl_ = nullptr;                     // until the hand-over, if any
    std::unique_ptr<Secrets> secrets_;       // during a TLS 1.3 handshake
    std::unique_ptr<Tls13Records> records_;  // after the hand-over
    std::unique_ptr<proto::sasl::ChannelBindings> bindings_;
    // Plaintext of a record larger than the caller's buffer, given out by the next read.
    std::string plaintext_kept_;
    std::string_view input_;  // what OpenSSL may read during the current call
    std::string kept_;        // ciphertext received ahead, in front of the next call's input
    std::string output_;
    bool peer_closed_ = false;
    // The last OpenSSL call stopped for want of bytes: whatever it holds is part of a record.
    bool wants_input_ = false;
    bool own_record_layer_allowed_ = true;
    bool record_size_limit_sent_ = false;     // our EncryptedExtensions echoed RFC 8449's limit
    bool record_size_limit_offered_ = false;  // the ClientHello had it
    int version_ = 0;
    unsigned long error_code_ = 0;
    std::string error_;
};

}  // namespace wl::server::c2s
