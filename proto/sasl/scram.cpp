#include "proto/sasl/scram.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "proto/base64.hpp"
#include "proto/sasl/saslprep.hpp"
#include "proto/sasl/utf8.hpp"

namespace wl::proto::sasl {
namespace {

// A client must not let a server make it spin forever; no sane server asks for more.
constexpr int max_client_iterations = 10'000'000;

const EVP_MD* digest(ScramHash hash) { return hash == ScramHash::sha1 ? EVP_sha1() : EVP_sha256(); }

std::string random_bytes(std::size_t n)
{
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed");
    return out;
}

std::string default_nonce() { return base64_encode(random_bytes(24)); }

std::string hmac(ScramHash hash, std::string_view key, std::string_view data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(digest(hash), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &size);
    return std::string(reinterpret_cast<const char*>(out), size);
}

std::string hash_of(ScramHash hash, std::string_view data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), out, &size, digest(hash), nullptr);
    return std::string(reinterpret_cast<const char*>(out), size);
}

Secret salted_password(ScramHash hash, const Secret& prepared_password, std::string_view salt, int iterations)
{
    const auto size = static_cast<std::size_t>(EVP_MD_get_size(digest(hash)));
    std::vector<unsigned char> out(size);
    PKCS5_PBKDF2_HMAC(prepared_password.data(), static_cast<int>(prepared_password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                      digest(hash), static_cast<int>(size), out.data());
    Secret result{std::string_view{reinterpret_cast<const char*>(out.data()), size}};
    OPENSSL_cleanse(out.data(), out.size());
    return result;
}

std::string xor_bytes(std::string_view a, std::string_view b)
{
    std::string out(a.size(), '\0');
    for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
    return out;
}

bool equal_constant_time(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

ScramCredentials derive(ScramHash hash, const Secret& prepared_password, std::string_view salt, int iterations)
{
    const Secret salted = salted_password(hash, prepared_password, salt, iterations);
    std::string client_key = hmac(hash, salted.view(), "Client Key");
    ScramCredentials creds{std::string{salt}, iterations, hash_of(hash, client_key),
                           hmac(hash, salted.view(), "Server Key")};
    OPENSSL_cleanse(client_key.data(), client_key.size());
    return creds;
}

// printable = %x21-2B / %x2D-7E  (RFC 5802 section 7: any printable ASCII except ',')
bool is_valid_nonce(std::string_view nonce)
{
    if (nonce.empty()) return false;
    for (char c : nonce)
        if (c < 0x21 || c > 0x7e || c == ',') return false;
    return true;
}

// saslname: '=' only as "=2C" or "=3D"; ',' cannot occur (it ends the attribute).
std::optional<std::string> unescape_saslname(std::string_view name)
{
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\0') return std::nullopt;
        if (name[i] != '=') {
            out += name[i];
            continue;
        }
        const auto escape = name.substr(i + 1, 2);
        if (escape == "2C")
            out += ',';
        else if (escape == "3D")
            out += '=';
        else
            return std::nullopt;
        i += 2;
    }
    if (!is_valid_utf8(out)) return std::nullopt;
    return out;
}

std::string escape_saslname(std::string_view name)
{
    std::string out;
    for (char c : name) {
        if (c == ',')
            out += "=2C";
        else if (c == '=')
            out += "=3D";
        else
            out += c;
    }
    return out;
}

// Splits "a=1,b=2" at commas; attribute values (base64, nonces, escaped names) hold none.
std::vector<std::string_view> split_attributes(std::string_view message)
{
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto comma = message.find(',', start);
        if (comma == std::string_view::npos) {
            parts.push_back(message.substr(start));
            return parts;
        }
        parts.push_back(message.substr(start, comma - start));
        start = comma + 1;
    }
}

// The value of attribute `name` ("n" in "n=user"), or nullopt if part is not that attribute.
std::optional<std::string_view> attribute(std::string_view part, char name)
{
    if (part.size() < 2 || part[0] != name || part[1] != '=') return std::nullopt;
    return part.substr(2);
}

// Extensions are "x=value" with a letter; anything else in their place is malformed.
bool is_extension(std::string_view part)
{
    return part.size() >= 2 && ((part[0] >= 'a' && part[0] <= 'z') || (part[0] >= 'A' && part[0] <= 'Z')) &&
           part[1] == '=';
}

std::optional<int> parse_iterations(std::string_view text)
{
    if (text.empty() || text[0] == '0') return std::nullopt;
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// A salt for users that do not exist: stable per name, so repeated probes see the same
// challenge, and unpredictable without this process's key.
std::string decoy_salt(std::string_view username)
{
    static const std::string key = random_bytes(32);
    return hmac(ScramHash::sha256, key, username).substr(0, 16);
}

}  // namespace

std::string_view scram_mechanism_name(ScramHash hash) noexcept
{
    return hash == ScramHash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

std::optional<ScramHash> scram_hash_from_mechanism(std::string_view mechanism) noexcept
{
    if (mechanism == "SCRAM-SHA-1") return ScramHash::sha1;
    if (mechanism == "SCRAM-SHA-256") return ScramHash::sha256;
    return std::nullopt;
}

std::string_view scram_mechanism_name(ScramMechanism mechanism) noexcept
{
    if (!mechanism.plus) return scram_mechanism_name(mechanism.hash);
    return mechanism.hash == ScramHash::sha1 ? "SCRAM-SHA-1-PLUS" : "SCRAM-SHA-256-PLUS";
}

std::optional<ScramMechanism> parse_scram_mechanism(std::string_view name) noexcept
{
    constexpr std::string_view suffix = "-PLUS";
    const bool plus = name.ends_with(suffix);
    if (plus) name.remove_suffix(suffix.size());
    const auto hash = scram_hash_from_mechanism(name);
    if (!hash) return std::nullopt;
    return ScramMechanism{*hash, plus};
}

std::string random_scram_salt() { return random_bytes(16); }

std::optional<ScramCredentials> make_scram_credentials(ScramHash hash, std::string_view password, std::string_view salt,
                                                       int iterations)
{
    if (salt.empty() || iterations < min_scram_iterations) return std::nullopt;
    const auto prepared = saslprep(password, PrepKind::stored);
    if (!prepared) return std::nullopt;
    return derive(hash, *prepared, salt, iterations);
}

std::optional<ScramCredentials> make_scram_credentials(ScramHash hash, std::string_view password)
{
    return make_scram_credentials(hash, password, random_scram_salt(), default_scram_iterations);
}

bool verify_scram_password(ScramHash hash, const ScramCredentials& credentials, std::string_view password)
{
    if (credentials.salt.empty() || credentials.iterations < 1) return false;
    const auto prepared = saslprep(password, PrepKind::query);
    if (!prepared) return false;
    const ScramCredentials derived = derive(hash, *prepared, credentials.salt, credentials.iterations);
    return equal_constant_time(derived.stored_key, credentials.stored_key);
}

// ---------------------------------------------------------------------------------------
// Server

ScramServer::ScramServer(ScramHash hash, NonceSource nonce_source)
    : ScramServer(ScramMechanism{hash, false}, ChannelBindings{}, std::move(nonce_source))
{
}

ScramServer::ScramServer(ScramMechanism mechanism, ChannelBindings bindings, NonceSource nonce_source)
    : hash_(mechanism.hash),
      plus_(mechanism.plus),
      bindings_(std::move(bindings)),
      nonce_source_(nonce_source ? std::move(nonce_source) : NonceSource{default_nonce})
{
}

std::optional<SaslFailure> ScramServer::accept_binding_flag(std::string_view flag)
{
    // The texts start with RFC 5802's server-error-value, which names the case for a SCRAM
    // library, and go on in words for a person.
    if (flag == "n") {
        if (plus_)
            return fail(SaslFailure::malformed_request,
                        "channel-binding-not-supported: a -PLUS mechanism needs gs2 flag 'p'");
        return std::nullopt;
    }
    if (flag == "y") {
        if (plus_)
            return fail(SaslFailure::malformed_request,
                        "channel-binding-not-supported: a -PLUS mechanism needs gs2 flag 'p'");
        if (bindings_.any())
            return fail(
                SaslFailure::not_authorized,
                "server-does-support-channel-binding: this server offered SCRAM-*-PLUS, so a client that can bind "
                "and says the server cannot was shown a list without them (a downgrade)");
        return std::nullopt;
    }
    if (!flag.starts_with("p=")) return fail(SaslFailure::malformed_request, "Invalid GS2 channel binding flag");
    const auto name = flag.substr(2);
    // cb-name = 1*(ALPHA / DIGIT / "." / "-")
    const bool valid_name = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    });
    if (!valid_name) return fail(SaslFailure::malformed_request, "Invalid channel binding name in GS2 header");
    if (!plus_)
        return fail(SaslFailure::malformed_request,
                    "channel-binding-not-supported: gs2 flag 'p' needs a -PLUS mechanism");
    const auto type = channel_binding_from_name(name);
    if (!type || !bindings_.find(*type)) {
        std::string offered;
        for (auto t : bindings_.types()) offered.append(offered.empty() ? "" : ", ").append(channel_binding_name(t));
        return fail(SaslFailure::malformed_request, "unsupported-channel-binding-type: " + std::string{name} +
                                                        " is not offered on this connection" +
                                                        (offered.empty() ? std::string{} : "; offered: " + offered));
    }
    binding_type_ = *type;
    cbind_data_ = *bindings_.find(*type);
    return std::nullopt;
}

std::optional<SaslFailure> ScramServer::fail(SaslFailure failure, std::string_view text)
{
    state_ = State::failed;
    failure_text_ = text;
    return failure;
}

std::optional<SaslFailure> ScramServer::receive_client_first(std::string_view message)
{
    if (state_ != State::start) return fail(SaslFailure::malformed_request, "Unexpected SCRAM message");

    // gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const auto parts = split_attributes(message);
    if (parts.size() < 4) return fail(SaslFailure::malformed_request, "Incomplete client-first-message");
    if (auto f = accept_binding_flag(parts[0])) return f;
    if (!parts[1].empty()) {
        const auto raw = attribute(parts[1], 'a');
        if (!raw || raw->empty()) return fail(SaslFailure::malformed_request, "Invalid authzid in GS2 header");
        auto authzid = unescape_saslname(*raw);
        if (!authzid) return fail(SaslFailure::malformed_request, "Invalid authzid in GS2 header");
        authzid_ = std::move(*authzid);
    }
    gs2_header_ = std::string{message.substr(0, parts[0].size() + parts[1].size() + 2)};
    client_first_bare_ = std::string{message.substr(gs2_header_.size())};

    if (attribute(parts[2], 'm')) return fail(SaslFailure::malformed_request, "Unsupported mandatory extension");
    const auto raw_user = attribute(parts[2], 'n');
    if (!raw_user || raw_user->empty()) return fail(SaslFailure::malformed_request, "Missing username");
    const auto user = unescape_saslname(*raw_user);
    if (!user) return fail(SaslFailure::malformed_request, "Invalid username encoding");
    const auto prepared_user = saslprep(*user, PrepKind::query);
    if (!prepared_user) return fail(SaslFailure::malformed_request, "Username refused by SASLprep");
    username_ = std::string{prepared_user->view()};

    const auto nonce = attribute(parts[3], 'r');
    if (!nonce || !is_valid_nonce(*nonce))
        return fail(SaslFailure::malformed_request, "Missing or invalid client nonce");
    client_nonce_ = std::string{*nonce};
    for (std::size_t i = 4; i < parts.size(); ++i)
        if (!is_extension(parts[i])) return fail(SaslFailure::malformed_request, "Malformed client-first-message");

    state_ = State::got_client_first;
    return std::nullopt;
}

std::string ScramServer::server_first(const std::optional<ScramCredentials>& credentials)
{
    if (state_ != State::got_client_first) {
        fail(SaslFailure::malformed_request, "Unexpected SCRAM step");
        return {};
    }
    known_user_ = credentials.has_value() && !credentials->salt.empty() && credentials->iterations > 0;
    if (known_user_) {
        credentials_ = *credentials;
    } else {
        credentials_ =
            ScramCredentials{decoy_salt(username_), default_scram_iterations, random_bytes(32), random_bytes(32)};
    }
    std::string server_nonce = nonce_source_();
    if (!is_valid_nonce(server_nonce)) throw std::logic_error("SCRAM nonce source produced an invalid nonce");
    nonce_ = client_nonce_ + server_nonce;
    server_first_ =
        "r=" + nonce_ + ",s=" + base64_encode(credentials_.salt) + ",i=" + std::to_string(credentials_.iterations);
    state_ = State::sent_server_first;
    return server_first_;
}

std::optional<SaslFailure> ScramServer::receive_client_final(std::string_view message)
{
    if (state_ != State::sent_server_first) return fail(SaslFailure::malformed_request, "Unexpected SCRAM message");

    // client-final-message = channel-binding "," nonce ["," extensions] "," proof
    const auto parts = split_attributes(message);
    if (parts.size() < 3) return fail(SaslFailure::malformed_request, "Incomplete client-final-message");
    const auto binding = attribute(parts[0], 'c');
    if (!binding) return fail(SaslFailure::malformed_request, "Missing channel binding");
    const auto binding_bytes = base64_decode(*binding);
    if (!binding_bytes) return fail(SaslFailure::incorrect_encoding, "Channel binding is not valid base64");
    // c= is the GS2 header followed by the bound data, which is empty unless the flag was 'p'.
    const bool header_matches = binding_bytes->starts_with(gs2_header_);
    if (!header_matches) return fail(SaslFailure::malformed_request, "Channel binding does not match the GS2 header");
    const std::string_view bound = std::string_view{*binding_bytes}.substr(gs2_header_.size());
    if (!equal_constant_time(bound, cbind_data_)) {
        if (binding_type_)
            return fail(SaslFailure::not_authorized, "channel-bindings-dont-match: the " +
                                                         std::string{channel_binding_name(*binding_type_)} +
                                                         " data is not this connection's");
        return fail(SaslFailure::malformed_request, "Channel binding does not match the GS2 header");
    }
    const auto nonce = attribute(parts[1], 'r');
    if (!nonce) return fail(SaslFailure::malformed_request, "Missing nonce");
    if (!equal_constant_time(*nonce, nonce_)) return fail(SaslFailure::not_authorized, "Nonce mismatch");
    for (std::size_t i = 2; i + 1 < parts.size(); ++i)
        if (!is_extension(parts[i])) return fail(SaslFailure::malformed_request, "Malformed client-final-message");
    const auto proof_text = attribute(parts.back(), 'p');
    if (!proof_text) return fail(SaslFailure::malformed_request, "Missing proof");
    const auto proof = base64_decode(*proof_text);
    if (!proof) return fail(SaslFailure::incorrect_encoding, "Proof is not valid base64");

    const auto without_proof = message.substr(0, message.size() - parts.back().size() - 1);
    std::string auth_message = client_first_bare_;
    auth_message.append(",").append(server_first_).append(",").append(without_proof);

    const std::string client_signature = hmac(hash_, credentials_.stored_key, auth_message);
    if (proof->size() != client_signature.size()) return fail(SaslFailure::not_authorized, "Authentication failed");
    std::string client_key = xor_bytes(*proof, client_signature);
    const bool proof_ok = equal_constant_time(hash_of(hash_, client_key), credentials_.stored_key);
    OPENSSL_cleanse(client_key.data(), client_key.size());
    if (!proof_ok || !known_user_) return fail(SaslFailure::not_authorized, "Authentication failed");

    server_final_ = "v=" + base64_encode(hmac(hash_, credentials_.server_key, auth_message));
    state_ = State::done;
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Client

std::optional<ScramClient> ScramClient::create(ScramHash hash, std::string_view username, std::string_view password,
                                               std::string_view authzid, NonceSource nonce_source)
{
    const auto prepared_user = saslprep(username, PrepKind::query);
    auto prepared_password = saslprep(password, PrepKind::query);
    if (!prepared_user || !prepared_password) return std::nullopt;
    if (!authzid.empty() && !is_valid_utf8(authzid)) return std::nullopt;

    ScramClient client;
    client.hash_ = hash;
    client.password_ = std::move(*prepared_password);
    client.client_nonce_ = nonce_source ? nonce_source() : default_nonce();
    if (!is_valid_nonce(client.client_nonce_)) return std::nullopt;
    client.gs2_header_ = authzid.empty() ? std::string{"n,,"} : "n,a=" + escape_saslname(authzid) + ",";
    client.client_first_bare_ = "n=" + escape_saslname(prepared_user->view()) + ",r=" + client.client_nonce_;
    client.client_first_ = client.gs2_header_ + client.client_first_bare_;
    return client;
}

std::optional<ScramClient> ScramClient::create_plus(ScramHash hash, ChannelBindingType type, std::string_view data,
                                                    std::string_view username, std::string_view password,
                                                    std::string_view authzid, NonceSource nonce_source)
{
    auto client = create(hash, username, password, authzid, std::move(nonce_source));
    if (!client || data.empty()) return std::nullopt;
    client->gs2_header_.replace(0, 1, "p=" + std::string{channel_binding_name(type)});
    client->cbind_data_ = std::string{data};
    client->client_first_ = client->gs2_header_ + client->client_first_bare_;
    return client;
}

std::optional<SaslFailure> ScramClient::receive_server_first(std::string_view message)
{
    const auto parts = split_attributes(message);
    if (parts.size() < 3) return SaslFailure::malformed_request;
    const auto nonce = attribute(parts[0], 'r');
    if (!nonce || !is_valid_nonce(*nonce) || nonce->size() <= client_nonce_.size() ||
        nonce->substr(0, client_nonce_.size()) != client_nonce_)
        return SaslFailure::not_authorized;
    const auto salt_text = attribute(parts[1], 's');
    if (!salt_text) return SaslFailure::malformed_request;
    const auto salt = base64_decode(*salt_text);
    if (!salt || salt->empty()) return SaslFailure::incorrect_encoding;
    const auto iterations_text = attribute(parts[2], 'i');
    if (!iterations_text) return SaslFailure::malformed_request;
    const auto iterations = parse_iterations(*iterations_text);
    if (!iterations) return SaslFailure::malformed_request;
    if (*iterations < min_scram_iterations || *iterations > max_client_iterations)
        return SaslFailure::mechanism_too_weak;

    const Secret salted = salted_password(hash_, password_, *salt, *iterations);
    std::string client_key = hmac(hash_, salted.view(), "Client Key");
    const std::string stored_key = hash_of(hash_, client_key);
    const std::string server_key = hmac(hash_, salted.view(), "Server Key");

    const std::string without_proof = "c=" + base64_encode(gs2_header_ + cbind_data_) + ",r=" + std::string{*nonce};
    std::string auth_message = client_first_bare_;
    auth_message.append(",").append(message).append(",").append(without_proof);

    const std::string proof = xor_bytes(client_key, hmac(hash_, stored_key, auth_message));
    OPENSSL_cleanse(client_key.data(), client_key.size());
    client_final_ = without_proof + ",p=" + base64_encode(proof);
    expected_server_signature_ = hmac(hash_, server_key, auth_message);
    return std::nullopt;
}

bool ScramClient::verify_server_final(std::string_view message) const
{
    if (expected_server_signature_.empty()) return false;
    const auto verifier = attribute(split_attributes(message).front(), 'v');
    if (!verifier) return false;
    const auto signature = base64_decode(*verifier);
    return signature && equal_constant_time(*signature, expected_server_signature_);
}

}  // namespace wl::proto::sasl
