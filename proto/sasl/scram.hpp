#pragma once
// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), and their -PLUS variants with channel
// binding (RFC 5802 section 6) to the connection's tls-exporter or tls-server-end-point data.
//
// The gs2 flag is checked against what the server offers on the connection: 'p' only with a
// -PLUS mechanism, a -PLUS mechanism only with 'p', and 'y' (the client can bind but thinks
// the server cannot) is refused when the server offers binding, since someone in between
// must then have removed the -PLUS mechanisms from the list the client saw.
//
// The server side works from stored keys only (salt, iterations, StoredKey, ServerKey); the
// password never reaches the server in SCRAM. Comparisons of secrets are constant-time.
//
// Server use, one object per authentication attempt:
//
//     ScramServer scram{ScramHash::sha256};
//     if (auto f = scram.receive_client_first(msg1)) fail(*f, scram.failure_text());
//     auto creds = store.lookup(scram.username());      // nullopt for an unknown user
//     challenge(scram.server_first(creds));
//     if (auto f = scram.receive_client_final(msg2)) fail(*f, scram.failure_text());
//     success(scram.server_final());                    // authenticated as username()
//
// An unknown user gets a believable challenge (a salt derived from the name with a key
// random per process) and fails only at the proof, so usernames cannot be probed.

#include "proto/sasl/channel_binding.hpp"
#include "proto/sasl/failure.hpp"
#include "proto/secret.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wl::proto::sasl {

enum class ScramHash {
    sha1,
    sha256
};

// "SCRAM-SHA-1" or "SCRAM-SHA-256", as offered in <mechanisms/>.
std::string_view scram_mechanism_name(ScramHash hash) noexcept;
std::optional<ScramHash> scram_hash_from_mechanism(std::string_view mechanism) noexcept;

// A mechanism of the family: the hash, and whether it is the -PLUS (channel binding) variant.
struct ScramMechanism {
    ScramHash hash = ScramHash::sha256;
    bool plus = false;

    friend bool operator==(const ScramMechanism&, const ScramMechanism&) = default;
};

// "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1", ...
std::string_view scram_mechanism_name(ScramMechanism mechanism) noexcept;
std::optional<ScramMechanism> parse_scram_mechanism(std::string_view name) noexcept;

// What the account store keeps per hash; all fields are raw bytes, not base64.
struct ScramCredentials {
    std::string salt;
    int iterations = 0;
    std::string stored_key;
    std::string server_key;

    friend bool operator==(const ScramCredentials&, const ScramCredentials&) = default;
};

// RFC 7677 section 4 asks for at least 4096 iterations, and clients refuse fewer.
inline constexpr int min_scram_iterations = 4096;
inline constexpr int default_scram_iterations = 4096;

// 16 bytes from the OpenSSL CSPRNG, for a new credential's salt.
std::string random_scram_salt();

// Derives the stored keys from a password (SASLprep'd as a stored string). nullopt if
// SASLprep refuses the password, the salt is empty, or iterations < min_scram_iterations.
std::optional<ScramCredentials> make_scram_credentials(ScramHash hash, std::string_view password, std::string_view salt,
                                                       int iterations);
// The same with a fresh random salt and default_scram_iterations.
std::optional<ScramCredentials> make_scram_credentials(ScramHash hash, std::string_view password);

// Checks a clear-text password (from SASL PLAIN, SASLprep'd as a query) against stored
// credentials, in constant time with respect to the keys.
bool verify_scram_password(ScramHash hash, const ScramCredentials& credentials, std::string_view password);

// Returns the printable nonce part a side contributes (no ','). Injected only by tests, to
// replay the RFC's published exchanges; the default is 24 random bytes in base64.
using NonceSource = std::function<std::string()>;

class ScramServer {
public:
    // A server of the mechanism without channel binding on a connection that offers none.
    explicit ScramServer(ScramHash hash, NonceSource nonce_source = {});
    // `bindings` is what the connection offers; the server must have advertised the -PLUS
    // mechanisms exactly when bindings.any().
    ScramServer(ScramMechanism mechanism, ChannelBindings bindings, NonceSource nonce_source = {});

    // Parses client-first-message (already base64-decoded). On success username() and
    // authzid() are set and the caller looks up the credentials.
    std::optional<SaslFailure> receive_client_first(std::string_view message);

    // The username of the client-first-message, unescaped (=2C, =3D) and SASLprep'd.
    const std::string& username() const noexcept { return username_; }
    // The authorization identity of the gs2 header, unescaped; empty when absent. The caller
    // decides whether username() may act as it (else SaslFailure::invalid_authzid).
    const std::string& authzid() const noexcept { return authzid_; }
    // The channel binding type the client chose ('p'), after receive_client_first.
    std::optional<ChannelBindingType> channel_binding() const noexcept { return binding_type_; }

    // server-first-message. nullopt credentials (unknown user) produce a decoy challenge
    // and a later not-authorized.
    std::string server_first(const std::optional<ScramCredentials>& credentials);

    // Parses and verifies client-final-message (already base64-decoded).
    std::optional<SaslFailure> receive_client_final(std::string_view message);

    // server-final-message "v=...", valid after receive_client_final succeeded.
    const std::string& server_final() const noexcept { return server_final_; }

    // A short English sentence for the last failure, for the <text/> of <failure/>.
    std::string_view failure_text() const noexcept { return failure_text_; }

    bool is_authenticated() const noexcept { return state_ == State::done; }

private:
    enum class State {
        start,
        got_client_first,
        sent_server_first,
        done,
        failed
    };

    std::optional<SaslFailure> fail(SaslFailure failure, std::string_view text);
    // Checks the gs2-cbind-flag against the mechanism and the connection's bindings.
    std::optional<SaslFailure> accept_binding_flag(std::string_view flag);

    ScramHash hash_;
    bool plus_ = false;
    ChannelBindings bindings_;
    NonceSource nonce_source_;
    State state_ = State::start;
    std::optional<ChannelBindingType> binding_type_;
    std::string gs2_header_;
    std::string cbind_data_;  // the bound data the client must send after the gs2 header
    std::string client_first_bare_;
    std::string client_nonce_;
    std::string nonce_;
    std::string server_first_;
    std::string username_;
    std::string authzid_;
    ScramCredentials credentials_;
    bool known_user_ = false;
    std::string server_final_;
    std::string failure_text_;
};

class ScramClient {
public:
    // nullopt if SASLprep refuses the password or the username is empty.
    static std::optional<ScramClient> create(ScramHash hash, std::string_view username, std::string_view password,
                                             std::string_view authzid = {}, NonceSource nonce_source = {});
    // A client of SCRAM-*-PLUS, binding to `data` of the given type (gs2 flag "p=<type>").
    static std::optional<ScramClient> create_plus(ScramHash hash, ChannelBindingType type, std::string_view data,
                                                  std::string_view username, std::string_view password,
                                                  std::string_view authzid = {}, NonceSource nonce_source = {});

    // client-first-message (to be base64-encoded by the caller).
    const std::string& client_first() const noexcept { return client_first_; }

    // Parses server-first-message and computes client-final-message. Fails if the server's
    // nonce does not extend ours, the salt is not base64, or iterations are below
    // min_scram_iterations (a downgrade a client must refuse).
    std::optional<SaslFailure> receive_server_first(std::string_view message);
    const std::string& client_final() const noexcept { return client_final_; }

    // True if the server proved it knows ServerKey ("v=..." matches). "e=..." is false.
    bool verify_server_final(std::string_view message) const;

private:
    ScramClient() = default;

    ScramHash hash_ = ScramHash::sha256;
    Secret password_;
    std::string gs2_header_;
    std::string cbind_data_;
    std::string client_first_bare_;
    std::string client_first_;
    std::string client_nonce_;
    std::string client_final_;
    std::string expected_server_signature_;
};

}  // namespace wl::proto::sasl
