#pragma once
// The TLS 1.3 record protocol after the handshake, server side (RFC 8446 §5, §6, §4.6.3):
// application data both ways, alerts, and the client's KeyUpdate. TlsEngine hands a
// connection over to it once OpenSSL has finished a TLS 1.3 handshake, and frees the SSL
// object.
//
// What is refused, and how, follows RFC 8446: anything but an encrypted record
// (unexpected_message), a record longer than 2^14 + 256 (record_overflow), one that does not
// authenticate (bad_record_mac), a handshake message other than KeyUpdate (unexpected_message),
// a malformed alert or KeyUpdate (decode_error / illegal_parameter). Each sends its fatal
// alert and ends the connection. Post-handshake client authentication and session tickets
// are never offered by this server, so no other handshake message is legitimate.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/c2s/tls13_keys.hpp"

namespace wl::server::c2s {

class Tls13Records {
public:
    // Records of at most this many bytes of plaintext (content and inner type): what a
    // buffer given to open() must hold to take any record.
    static constexpr std::size_t max_inner_plaintext = 16384 + 1;
    // Records sealed under one key before we move to the next on our own. AES-GCM's safety
    // margin is 2^24.5 full records per key (RFC 8446 §5.5); a long-lived session may send
    // that many, one stanza at a time.
    static constexpr std::uint64_t default_records_per_write_key = std::uint64_t(1) << 24;
    // Records in a row that may give no application data (KeyUpdates, empty records,
    // user_canceled); one more is taken for a flood, as OpenSSL does (32).
    static constexpr int max_records_without_data = 32;

    Tls13Records(Tls13Suite suite, std::string_view client_secret, std::string_view server_secret,
                 std::uint64_t records_per_write_key = default_records_per_write_key);

    enum class Step {
        data,        // a record was consumed; `bytes` of application data are in the buffer
        need_input,  // the front of the input is not a whole record yet
        no_room,     // the next record may not fit into the room given; nothing consumed
        closed,      // the peer's close_notify was consumed
        failed       // see error(); a fatal alert is in the output
    };
    struct Result {
        Step step = Step::need_input;
        std::size_t consumed = 0;  // input bytes used
        std::size_t bytes = 0;     // application data written to the buffer
    };

    // Opens the record at the front of `input` into [out, out + room). A fatal alert is
    // appended to `output`; a KeyUpdate asking for ours is answered by the next seal(), so
    // that many of them cost one answer, and none queues without our own data.
    Result open(std::string_view input, char* out, std::size_t room, std::string& output);

    // True if `input` holds a whole record at its front (or, for open(), a fatal error).
    static bool starts_with_whole_record(std::string_view input);

    // Appends `plaintext` as application data records, after our KeyUpdate if one is due;
    // false on a fatal error or after close_notify.
    bool seal(std::string_view plaintext, std::string& output);
    // Appends the close_notify alert, once; nothing may be sealed after it.
    void seal_close_notify(std::string& output);

    // OpenSSL's reason code (SSL_R_..., or SSL_AD_REASON_OFFSET + a received alert) of the
    // failure, for the same error text as failures inside OpenSSL.
    int failure_reason() const { return failure_reason_; }

private:
    Result fail(int reason, std::uint8_t alert, std::string& output);
    bool handle_handshake(std::string_view fragment, std::string& output);
    bool update_write_keys(bool request_peer_update, std::string& output);

    bool answer_pending_key_update(std::string& output);

    Tls13TrafficKeys read_;
    Tls13TrafficKeys write_;
    std::uint64_t records_per_write_key_;
    // A handshake message split over records: at most the 5 bytes of a KeyUpdate.
    std::string handshake_partial_;
    int failure_reason_ = 0;
    int records_without_data_ = 0;
    bool key_update_requested_ = false;  // the peer asked for our KeyUpdate; not sent yet
    bool failed_ = false;
    bool closed_ = false;      // the peer's close_notify
    bool sent_close_ = false;  // ours
};

}  // namespace wl::server::c2s
