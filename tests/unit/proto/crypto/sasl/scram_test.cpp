#include <doctest.h>

#include "proto/base64.hpp"
#include "proto/sasl/scram.hpp"

using namespace wl::proto::sasl;
using wl::proto::base64_decode;
using wl::proto::base64_encode;

namespace {

struct Vector {
    ScramHash hash;
    const char* client_nonce;
    const char* server_nonce;  // the part the server appends
    const char* salt_b64;
    const char* client_first;
    const char* server_first;
    const char* client_final;
    const char* server_final;
};

// RFC 5802 section 5 (SCRAM-SHA-1) and RFC 7677 section 3 (SCRAM-SHA-256): user "user",
// password "pencil", 4096 iterations.
const Vector rfc5802{ScramHash::sha1,
                     "fyko+d2lbbFgONRv9qkxdawL",
                     "3rfcNHYJY1ZVvWVs7j",
                     "QSXCR+Q6sek8bf92",
                     "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                     "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                     "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                     "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="};
const Vector rfc7677{ScramHash::sha256,
                     "rOprNGfwEbeRWgbNEkqO",
                     "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
                     "W22ZaJ0SNY7soEsUEjb6gQ==",
                     "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
                     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                     "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                     "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="};

NonceSource fixed(std::string nonce)
{
    return [nonce] { return nonce; };
}

ScramCredentials credentials_for(const Vector& v)
{
    const auto creds = make_scram_credentials(v.hash, "pencil", *base64_decode(v.salt_b64), 4096);
    REQUIRE(creds);
    return *creds;
}

// Runs a full exchange between a fresh client and server; returns the server's failure.
std::optional<SaslFailure> exchange(ScramHash hash, std::string_view user, std::string_view password,
                                    const std::optional<ScramCredentials>& stored, bool* client_verified = nullptr)
{
    auto client = ScramClient::create(hash, user, password);
    REQUIRE(client);
    ScramServer server{hash};
    if (auto f = server.receive_client_first(client->client_first())) return f;
    CHECK(server.username() == user);
    const std::string first = server.server_first(stored);
    REQUIRE_FALSE(client->receive_server_first(first));
    if (auto f = server.receive_client_final(client->client_final())) return f;
    if (client_verified) *client_verified = client->verify_server_final(server.server_final());
    return std::nullopt;
}

// A server that has accepted the RFC client-first-message and sent server-first.
ScramServer rfc_server_after_first(const Vector& v)
{
    ScramServer server{v.hash, fixed(v.server_nonce)};
    REQUIRE_FALSE(server.receive_client_first(v.client_first));
    REQUIRE(server.server_first(credentials_for(v)) == v.server_first);
    return server;
}

}  // namespace

TEST_SUITE("sasl scram")
{
    TEST_CASE("the server reproduces the RFC 5802 and RFC 7677 exchanges")
    {
        for (const Vector& v : {rfc5802, rfc7677}) {
            CAPTURE(scram_mechanism_name(v.hash));
            ScramServer server = rfc_server_after_first(v);
            CHECK(server.username() == "user");
            CHECK(server.authzid().empty());
            REQUIRE_FALSE(server.receive_client_final(v.client_final));
            CHECK(server.server_final() == v.server_final);
            CHECK(server.is_authenticated());
        }
    }

    TEST_CASE("the client reproduces the RFC 5802 and RFC 7677 exchanges")
    {
        for (const Vector& v : {rfc5802, rfc7677}) {
            CAPTURE(scram_mechanism_name(v.hash));
            auto client = ScramClient::create(v.hash, "user", "pencil", {}, fixed(v.client_nonce));
            REQUIRE(client);
            CHECK(client->client_first() == v.client_first);
            REQUIRE_FALSE(client->receive_server_first(v.server_first));
            CHECK(client->client_final() == v.client_final);
            CHECK(client->verify_server_final(v.server_final));
            CHECK_FALSE(client->verify_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKR="));
            CHECK_FALSE(client->verify_server_final("e=invalid-proof"));
        }
    }

    TEST_CASE("stored credentials are the RFC's keys and never the password")
    {
        const ScramCredentials c = credentials_for(rfc5802);
        CHECK(c.iterations == 4096);
        CHECK(c.stored_key.size() == 20);
        CHECK(c.server_key.size() == 20);
        CHECK(credentials_for(rfc7677).stored_key.size() == 32);
        CHECK(c.stored_key.find("pencil") == std::string::npos);
    }

    TEST_CASE("new credentials need 4096 iterations, a salt and a password SASLprep accepts")
    {
        CHECK_FALSE(make_scram_credentials(ScramHash::sha256, "pencil", "salt", 4095));
        CHECK_FALSE(make_scram_credentials(ScramHash::sha256, "pencil", "", 4096));
        CHECK_FALSE(make_scram_credentials(ScramHash::sha256,
                                           "pen\x07"
                                           "cil",
                                           "salt", 4096));
        CHECK_FALSE(make_scram_credentials(ScramHash::sha256, ""));
        const auto fresh = make_scram_credentials(ScramHash::sha256, "pencil");
        REQUIRE(fresh);
        CHECK(fresh->salt.size() == 16);
        CHECK(fresh->iterations == default_scram_iterations);
        const auto again = make_scram_credentials(ScramHash::sha256, "pencil");
        REQUIRE(again);
        CHECK(fresh->salt != again->salt);
    }

    TEST_CASE("SASLprep makes equivalent passwords the same credential")
    {
        const auto a = make_scram_credentials(ScramHash::sha1,
                                              "I\xC2\xAD"
                                              "X",
                                              "salt", 4096);
        const auto b = make_scram_credentials(ScramHash::sha1, "IX", "salt", 4096);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(*a == *b);
    }

    TEST_CASE("a clear-text password verifies against stored credentials")
    {
        const auto c = make_scram_credentials(ScramHash::sha256, "pencil");
        REQUIRE(c);
        CHECK(verify_scram_password(ScramHash::sha256, *c, "pencil"));
        CHECK_FALSE(verify_scram_password(ScramHash::sha256, *c, "pencil "));
        CHECK_FALSE(verify_scram_password(ScramHash::sha1, *c, "pencil"));
    }

    TEST_CASE("client and server complete an exchange with both hashes")
    {
        for (ScramHash hash : {ScramHash::sha1, ScramHash::sha256}) {
            CAPTURE(scram_mechanism_name(hash));
            const auto stored = make_scram_credentials(hash, "correct horse");
            bool verified = false;
            CHECK_FALSE(exchange(hash, "juliet", "correct horse", stored, &verified));
            CHECK(verified);
        }
    }

    TEST_CASE("a wrong password is not-authorized")
    {
        for (ScramHash hash : {ScramHash::sha1, ScramHash::sha256}) {
            const auto stored = make_scram_credentials(hash, "correct horse");
            CHECK(exchange(hash, "juliet", "correct hors", stored) == SaslFailure::not_authorized);
        }
    }

    TEST_CASE("credentials of the other hash do not authenticate")
    {
        const auto stored = make_scram_credentials(ScramHash::sha1, "correct horse");
        CHECK(exchange(ScramHash::sha256, "juliet", "correct horse", stored) == SaslFailure::not_authorized);
    }

    TEST_CASE("an unknown user gets a stable decoy challenge and then not-authorized")
    {
        CHECK(exchange(ScramHash::sha256, "nobody", "pencil", std::nullopt) == SaslFailure::not_authorized);
        const auto challenge_salt = [] {
            ScramServer server{ScramHash::sha256, fixed("abc")};
            REQUIRE_FALSE(server.receive_client_first("n,,n=nobody,r=xyz"));
            const std::string first = server.server_first(std::nullopt);
            CHECK(first.find(",i=4096") != std::string::npos);
            return first.substr(first.find(",s="));
        };
        CHECK(challenge_salt() == challenge_salt());
    }

    TEST_CASE("a tampered nonce is not-authorized")
    {
        ScramServer server = rfc_server_after_first(rfc7677);
        std::string final_message = rfc7677.client_final;
        final_message.replace(final_message.find("k0,p="), 2, "k1");
        CHECK(server.receive_client_final(final_message) == SaslFailure::not_authorized);
        CHECK_FALSE(server.is_authenticated());
    }

    TEST_CASE("a tampered proof is not-authorized")
    {
        ScramServer server = rfc_server_after_first(rfc5802);
        CHECK(server.receive_client_final("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                          "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Tw=") == SaslFailure::not_authorized);
    }

    TEST_CASE("a proof that is not base64 is incorrect-encoding")
    {
        ScramServer server = rfc_server_after_first(rfc5802);
        CHECK(server.receive_client_final("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                          "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts") == SaslFailure::incorrect_encoding);
        ScramServer other = rfc_server_after_first(rfc5802);
        CHECK(other.receive_client_final("c=bi*s,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                         "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=") == SaslFailure::incorrect_encoding);
    }

    TEST_CASE("channel binding data must repeat the GS2 header")
    {
        ScramServer server = rfc_server_after_first(rfc5802);
        // "eSws" is base64 of "y,,", but the client said "n,,".
        CHECK(server.receive_client_final("c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                          "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=") == SaslFailure::malformed_request);
    }

    TEST_CASE("bad GS2 headers are malformed-request, and 'p=' says it needs a -PLUS mechanism")
    {
        const auto first = [](std::string_view message) {
            ScramServer server{ScramHash::sha256};
            auto f = server.receive_client_first(message);
            return std::make_pair(f, std::string{server.failure_text()});
        };
        const auto [pf, ptext] = first("p=tls-exporter,,n=user,r=abc");
        CHECK(pf == SaslFailure::malformed_request);
        CHECK(ptext.find("needs a -PLUS mechanism") != std::string::npos);
        CHECK(first("x,,n=user,r=abc").first == SaslFailure::malformed_request);
        CHECK(first("n,n=user,r=abc").first == SaslFailure::malformed_request);
        CHECK(first("n,z=admin,n=user,r=abc").first == SaslFailure::malformed_request);
        CHECK(first("n,,m=ext,n=user,r=abc").first == SaslFailure::malformed_request);
        CHECK(first("n,,n=,r=abc").first == SaslFailure::malformed_request);
        CHECK(first("n,,n=us=er,r=abc").first == SaslFailure::malformed_request);  // bad escape
        CHECK(first("n,,n=user,r=").first == SaslFailure::malformed_request);
        CHECK(first("n,,n=user").first == SaslFailure::malformed_request);
        CHECK(first("").first == SaslFailure::malformed_request);
        CHECK_FALSE(first("y,,n=user,r=abc").first);  // client could bind, server did not offer
    }

    TEST_CASE("escaped usernames and authzids are unescaped")
    {
        ScramServer server{ScramHash::sha256};
        REQUIRE_FALSE(server.receive_client_first("n,a=admin=2Cx=3Dy,n=a=3Db=2Cc,r=abc"));
        CHECK(server.username() == "a=b,c");
        CHECK(server.authzid() == "admin,x=y");
    }

    TEST_CASE("a client with an authzid and an escaped name authenticates")
    {
        const auto stored = make_scram_credentials(ScramHash::sha256, "pw");
        auto client = ScramClient::create(ScramHash::sha256, "a,b=c", "pw", "juliet@example.com");
        REQUIRE(client);
        CHECK(client->client_first().rfind("n,a=juliet@example.com,n=a=2Cb=3Dc,r=", 0) == 0);
        ScramServer server{ScramHash::sha256};
        REQUIRE_FALSE(server.receive_client_first(client->client_first()));
        CHECK(server.username() == "a,b=c");
        CHECK(server.authzid() == "juliet@example.com");
        REQUIRE_FALSE(client->receive_server_first(server.server_first(stored)));
        CHECK_FALSE(server.receive_client_final(client->client_final()));
        CHECK(client->verify_server_final(server.server_final()));
    }

    TEST_CASE("messages out of order are refused")
    {
        ScramServer server{ScramHash::sha1};
        CHECK(server.receive_client_final(rfc5802.client_final) == SaslFailure::malformed_request);
        ScramServer twice = rfc_server_after_first(rfc5802);
        CHECK(twice.receive_client_first(rfc5802.client_first) == SaslFailure::malformed_request);
    }

    TEST_CASE("the client refuses a server that does not extend its nonce or lowers the iterations")
    {
        const auto reply = [](std::string_view server_first) {
            auto client = ScramClient::create(ScramHash::sha1, "user", "pencil", {}, fixed("fyko+d2lbbFgONRv9qkxdawL"));
            REQUIRE(client);
            return client->receive_server_first(server_first);
        };
        CHECK(reply("r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096") == SaslFailure::not_authorized);
        CHECK(reply("r=other3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096") == SaslFailure::not_authorized);
        CHECK(reply("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4095") == SaslFailure::mechanism_too_weak);
        CHECK(reply("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf9,i=4096") == SaslFailure::incorrect_encoding);
        CHECK(reply("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=x") == SaslFailure::malformed_request);
        CHECK_FALSE(reply("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096"));
    }

    TEST_CASE("mechanism names map to hashes")
    {
        CHECK(scram_hash_from_mechanism("SCRAM-SHA-1") == ScramHash::sha1);
        CHECK(scram_hash_from_mechanism("SCRAM-SHA-256") == ScramHash::sha256);
        CHECK_FALSE(scram_hash_from_mechanism("SCRAM-SHA-256-PLUS"));
        CHECK(scram_mechanism_name(ScramHash::sha256) == "SCRAM-SHA-256");
        CHECK(failure_condition(SaslFailure::malformed_request) == "malformed-request");
        CHECK(failure_condition(SaslFailure::not_authorized) == "not-authorized");
    }
}
