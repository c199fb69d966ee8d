#include "server/c2s/tls13_records.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>

namespace wl::server::c2s {

namespace {

constexpr std::size_t header_size = 5;
constexpr std::size_t max_ciphertext = 16384 + 256;
constexpr std::size_t max_content = 16384;
constexpr std::uint8_t record_application_data = 23;
constexpr std::uint8_t record_alert = 21;
constexpr std::uint8_t record_handshake = 22;
constexpr std::uint8_t record_change_cipher_spec = 20;
constexpr std::uint8_t handshake_key_update = 24;
constexpr std::size_t key_update_size = 5;  // type, 24-bit length 1, request_update

}  // namespace

Tls13Records::Tls13Records(Tls13Suite suite, std::string_view client_secret, std::string_view server_secret,
                           std::uint64_t records_per_write_key)
    : read_(suite, client_secret),
      write_(suite, server_secret),
      records_per_write_key_(records_per_write_key)
{
}

bool Tls13Records::starts_with_whole_record(std::string_view input)
{
    if (input.size() < header_size) return false;
    const auto* h = reinterpret_cast<const unsigned char*>(input.data());
    const std::size_t length = std::size_t(h[3]) << 8 | h[4];
    return h[0] != record_application_data || length > max_ciphertext || input.size() >= header_size + length;
}

Tls13Records::Result Tls13Records::fail(int reason, std::uint8_t alert, std::string& output)
{
    failed_ = true;
    failure_reason_ = reason;
    if (alert) {
        const char body[2] = {2 /* fatal */, static_cast<char>(alert)};
        write_.seal(record_alert, std::string_view(body, 2), output);
    }
    return Result{Step::failed};
}

Tls13Records::Result Tls13Records::open(std::string_view input, char* out, std::size_t room, std::string& output)
{
    if (failed_) return Result{Step::failed};
    if (closed_) return Result{Step::closed};
    if (input.size() < header_size) return Result{Step::need_input};
    const auto* h = reinterpret_cast<const unsigned char*>(input.data());
    const std::size_t length = std::size_t(h[3]) << 8 | h[4];
    // Only protected records are legitimate once the handshake is over; the record
    // version needs no check of its own, as the header is authenticated with the record.
    if (h[0] == record_change_cipher_spec) return fail(SSL_R_UNEXPECTED_CCS_MESSAGE, SSL_AD_UNEXPECTED_MESSAGE, output);
    if (h[0] != record_application_data) return fail(SSL_R_UNEXPECTED_RECORD, SSL_AD_UNEXPECTED_MESSAGE, output);
    if (length > max_ciphertext) return fail(SSL_R_ENCRYPTED_LENGTH_TOO_LONG, SSL_AD_RECORD_OVERFLOW, output);
    if (input.size() < header_size + length) return Result{Step::need_input};
    if (length <= Tls13TrafficKeys::tag_size)
        return fail(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, SSL_AD_BAD_RECORD_MAC, output);
    // The inner plaintext is exactly as long as the ciphertext: its limit is known now.
    if (length - Tls13TrafficKeys::tag_size > max_inner_plaintext)
        return fail(SSL_R_DATA_LENGTH_TOO_LONG, SSL_AD_RECORD_OVERFLOW, output);
    if (length - Tls13TrafficKeys::tag_size > room) return Result{Step::no_room};

    auto size = read_.open(input.substr(0, header_size), input.substr(header_size, length), out);
    if (!size) return fail(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, SSL_AD_BAD_RECORD_MAC, output);
    // The inner type is the last non-zero byte; zeros after it are padding (§5.4).
    std::size_t end = *size;
    while (end > 0 && out[end - 1] == 0) --end;
    if (end == 0) return fail(SSL_R_UNEXPECTED_RECORD, SSL_AD_UNEXPECTED_MESSAGE, output);
    const auto type = static_cast<std::uint8_t>(out[end - 1]);
    const std::string_view content(out, end - 1);
    Result result{Step::data, header_size + length, 0};

    // A handshake message split over records must be finished before anything else (§5.1).
    if (!handshake_partial_.empty() && type != record_handshake)
        return fail(SSL_R_UNEXPECTED_RECORD, SSL_AD_UNEXPECTED_MESSAGE, output);
    // Records that cost us work and give nothing: a peer sending them without end floods.
    if (type == record_application_data && !content.empty()) {
        records_without_data_ = 0;
    } else if (++records_without_data_ > max_records_without_data) {
        return fail(SSL_R_TOO_MANY_KEY_UPDATES, SSL_AD_UNEXPECTED_MESSAGE, output);
    }
    switch (type) {
    case record_application_data:
        result.bytes = content.size();
        return result;
    case record_alert: {
        // Alerts are never fragmented nor coalesced (§5.1).
        if (content.size() != 2) return fail(SSL_R_INVALID_ALERT, SSL_AD_DECODE_ERROR, output);
        const auto description = static_cast<std::uint8_t>(content[1]);
        if (description == SSL_AD_CLOSE_NOTIFY) {
            closed_ = true;
            result.step = Step::closed;
            return result;
        }
        // user_canceled announces a close_notify to follow; every other alert is fatal (§6).
        if (description == SSL_AD_USER_CANCELLED) return result;
        failed_ = true;
        failure_reason_ = SSL_AD_REASON_OFFSET + description;
        result.step = Step::failed;
        return result;
    }
    case record_handshake:
        if (content.empty()) return fail(SSL_R_BAD_LENGTH, SSL_AD_UNEXPECTED_MESSAGE, output);
        if (!handle_handshake(content, output)) return Result{Step::failed};
        return result;
    default:
        return fail(SSL_R_UNEXPECTED_RECORD, SSL_AD_UNEXPECTED_MESSAGE, output);
    }
}

bool Tls13Records::handle_handshake(std::string_view fragment, std::string& output)
{
    std::string joined;
    std::string_view data = fragment;
    if (!handshake_partial_.empty()) {
        joined = std::move(handshake_partial_) + std::string(fragment);
        handshake_partial_.clear();
        data = joined;
    }
    while (!data.empty()) {
        // A client may send nothing but KeyUpdate after the handshake: this server asks for
        // no post-handshake authentication, and tickets go from server to client only.
        if (static_cast<std::uint8_t>(data[0]) != handshake_key_update) {
            fail(SSL_R_UNEXPECTED_MESSAGE, SSL_AD_UNEXPECTED_MESSAGE, output);
            return false;
        }
        if (data.size() >= 4 && (data[1] != 0 || data[2] != 0 || data[3] != 1)) {
            fail(SSL_R_BAD_HANDSHAKE_LENGTH, SSL_AD_DECODE_ERROR, output);
            return false;
        }
        if (data.size() < key_update_size) {
            handshake_partial_.assign(data);
            return true;
        }
        const auto request = static_cast<std::uint8_t>(data[4]);
        if (request > 1) {
            fail(SSL_R_INVALID_KEY_UPDATE_TYPE, SSL_AD_ILLEGAL_PARAMETER, output);
            return false;
        }
        data.remove_prefix(key_update_size);
        // The next record is under the new key, so nothing may follow in this one (§5.1).
        if (!data.empty()) {
            fail(SSL_R_NOT_ON_RECORD_BOUNDARY, SSL_AD_UNEXPECTED_MESSAGE, output);
            return false;
        }
        read_.update();
        // update_requested: our own KeyUpdate, before any further data of ours (§4.6.3);
        // several requests while we are silent get one answer.
        if (request == 1) key_update_requested_ = true;
    }
    return true;
}

bool Tls13Records::update_write_keys(bool request_peer_update, std::string& output)
{
    const char message[key_update_size] = {static_cast<char>(handshake_key_update), 0, 0, 1,
                                           static_cast<char>(request_peer_update ? 1 : 0)};
    if (!write_.seal(record_handshake, std::string_view(message, key_update_size), output)) {
        fail(ERR_R_INTERNAL_ERROR, 0, output);
        return false;
    }
    write_.update();
    return true;
}

bool Tls13Records::answer_pending_key_update(std::string& output)
{
    if (!key_update_requested_) return true;
    key_update_requested_ = false;
    return update_write_keys(false, output);
}

bool Tls13Records::seal(std::string_view plaintext, std::string& output)
{
    if (failed_ || sent_close_) return false;
    if (plaintext.empty()) return true;
    if (!answer_pending_key_update(output)) return false;
    // Reserved once: the records are the plaintext plus 22 bytes each.
    output.reserve(output.size() + plaintext.size() + (plaintext.size() / max_content + 1) * 22);
    do {
        if (write_.sequence() >= records_per_write_key_ && !update_write_keys(false, output)) return false;
        const std::string_view chunk = plaintext.substr(0, max_content);
        if (!write_.seal(record_application_data, chunk, output)) {
            fail(ERR_R_INTERNAL_ERROR, 0, output);
            return false;
        }
        plaintext.remove_prefix(chunk.size());
    } while (!plaintext.empty());
    return true;
}

void Tls13Records::seal_close_notify(std::string& output)
{
    if (failed_ || sent_close_) return;
    sent_close_ = true;
    if (!answer_pending_key_update(output)) return;
    const char body[2] = {1 /* warning */, static_cast<char>(SSL_AD_CLOSE_NOTIFY)};
    write_.seal(record_alert, std::string_view(body, 2), output);
}

}  // namespace wl::server::c2s
