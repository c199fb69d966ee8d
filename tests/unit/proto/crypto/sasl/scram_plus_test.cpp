// SCRAM-*-PLUS (RFC 5802 section 6). The vectors extend RFC 7677's and RFC 5802's exchanges
// (same user, password, salt and nonces) with a gs2 header "p=<type>,," and fixed binding
// data; their proofs and signatures were computed apart from this code, with Python's hashlib
// and hmac, by the RFC's formulas (the same script reproduces the RFCs' own vectors).
#include <doctest.h>

#include <string>

#include "proto/base64.hpp"
#include "proto/sasl/scram.hpp"

using namespace wl::proto::sasl;
using wl::proto::base64_decode;
using wl::proto::base64_encode;

namespace {

struct PlusVector {
    ScramHash hash;
    ChannelBindingType type;
    std::string data;
    const char* client_nonce;
    const char* server_nonce;
    const char* salt_b64;
    const char* client_first;
    const char* server_first;
    const char* client_final;
    const char* server_final;
};

std::string bytes_0_to_31()
{
    std::string out;
    for (int i = 0; i < 32; ++i) out += static_cast<char>(i);
    return out;
}

// SHA-256("certificate"), standing for a certificate hash.
std::string fake_end_point() { return *base64_decode("A9Zt0Ig1wco/EozOrNHzGslBYwlrIPRFroQoW8CDLXI="); }

const PlusVector sha256_exporter{
    ScramHash::sha256,
    ChannelBindingType::tls_exporter,
    bytes_0_to_31(),
    "rOprNGfwEbeRWgbNEkqO",
    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "W22ZaJ0SNY7soEsUEjb6gQ==",
    "p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=cD10bHMtZXhwb3J0ZXIsLAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f,"
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=QC6CS20quADQRb3mT99YUH+n3VJxUvzuK0K0E1Vrs2M=",
    "v=2GiAgapEppLVlUXbxUDksL3VgYHzuqiK5tR4mhJGgvs="};

const PlusVector sha1_end_point{ScramHash::sha1,
                                ChannelBindingType::tls_server_end_point,
                                fake_end_point(),
                                "fyko+d2lbbFgONRv9qkxdawL",
                                "3rfcNHYJY1ZVvWVs7j",
                                "QSXCR+Q6sek8bf92",
                                "p=tls-server-end-point,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                                "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                                "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsA9Zt0Ig1wco/EozOrNHzGslBYwlrIPRFroQoW8CDLXI=,"
                                "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=itNKW6AWt32387Nbh9ejPjfgtl0=",
                                "v=7NzX8edR1CrwQa9fbCIwXrkJ3qk="};

NonceSource fixed_nonce(std::string nonce)
{
    return [nonce] { return nonce; };
}

ChannelBindings both(const PlusVector& v)
{
    ChannelBindings b;
    b.tls_exporter = v.type == ChannelBindingType::tls_exporter ? v.data : bytes_0_to_31();
    b.tls_server_end_point = v.type == ChannelBindingType::tls_server_end_point ? v.data : fake_end_point();
    return b;
}

ScramCredentials plus_credentials(const PlusVector& v)
{
    const auto creds = make_scram_credentials(v.hash, "pencil", *base64_decode(v.salt_b64), 4096);
    REQUIRE(creds);
    return *creds;
}

// A -PLUS server on a connection with `bindings` that got the vector's first message.
ScramServer plus_server_after_first(const PlusVector& v, const ChannelBindings& bindings)
{
    ScramServer server{ScramMechanism{v.hash, true}, bindings, fixed_nonce(v.server_nonce)};
    REQUIRE_FALSE(server.receive_client_first(v.client_first));
    REQUIRE(server.server_first(plus_credentials(v)) == v.server_first);
    return server;
}

// Replaces the c= attribute of a client-final-message, keeping the rest (the proof no longer
// matters: the binding is checked first).
std::string with_binding(std::string_view client_final, std::string_view c_bytes)
{
    const auto comma = client_final.find(',');
    return "c=" + base64_encode(c_bytes) + std::string{client_final.substr(comma)};
}

}  // namespace

TEST_SUITE("SCRAM-PLUS")
{
    TEST_CASE("the -PLUS mechanism names parse and print")
    {
        CHECK(parse_scram_mechanism("SCRAM-SHA-256-PLUS") == ScramMechanism{ScramHash::sha256, true});
        CHECK(parse_scram_mechanism("SCRAM-SHA-1-PLUS") == ScramMechanism{ScramHash::sha1, true});
        CHECK(parse_scram_mechanism("SCRAM-SHA-1") == ScramMechanism{ScramHash::sha1, false});
        CHECK_FALSE(parse_scram_mechanism("SCRAM-SHA-512-PLUS"));
        CHECK_FALSE(parse_scram_mechanism("-PLUS"));
        CHECK(scram_mechanism_name(ScramMechanism{ScramHash::sha256, true}) == "SCRAM-SHA-256-PLUS");
        CHECK(scram_mechanism_name(ScramMechanism{ScramHash::sha1, false}) == "SCRAM-SHA-1");
        CHECK(channel_binding_from_name("tls-exporter") == ChannelBindingType::tls_exporter);
        CHECK(channel_binding_from_name("tls-server-end-point") == ChannelBindingType::tls_server_end_point);
        CHECK_FALSE(channel_binding_from_name("tls-unique"));
    }

    TEST_CASE("the server accepts the derived vectors and answers with their server signature")
    {
        for (const auto* v : {&sha256_exporter, &sha1_end_point}) {
            CAPTURE(v->client_first);
            ScramServer server = plus_server_after_first(*v, both(*v));
            CHECK(server.channel_binding() == v->type);
            REQUIRE_FALSE(server.receive_client_final(v->client_final));
            CHECK(server.server_final() == v->server_final);
            CHECK(server.is_authenticated());
        }
    }

    TEST_CASE("the client produces the derived vectors byte for byte")
    {
        for (const auto* v : {&sha256_exporter, &sha1_end_point}) {
            CAPTURE(v->client_first);
            auto client =
                ScramClient::create_plus(v->hash, v->type, v->data, "user", "pencil", {}, fixed_nonce(v->client_nonce));
            REQUIRE(client);
            CHECK(client->client_first() == v->client_first);
            REQUIRE_FALSE(client->receive_server_first(v->server_first));
            CHECK(client->client_final() == v->client_final);
            CHECK(client->verify_server_final(v->server_final));
        }
    }

    TEST_CASE("binding data of another connection is refused as channel-bindings-dont-match")
    {
        ChannelBindings other = both(sha256_exporter);
        other.tls_exporter[0] = '\x7f';
        ScramServer server = plus_server_after_first(sha256_exporter, other);
        CHECK(server.receive_client_final(sha256_exporter.client_final) == SaslFailure::not_authorized);
        CHECK(server.failure_text().starts_with("channel-bindings-dont-match"));
        CHECK_FALSE(server.is_authenticated());
    }

    TEST_CASE("a c= attribute of the gs2 header alone, or with the data cut short, is refused")
    {
        const std::string gs2 = "p=tls-exporter,,";
        for (const std::string& c : {gs2, gs2 + sha256_exporter.data.substr(0, 31), gs2 + sha256_exporter.data + "x",
                                     std::string{"n,,"} + sha256_exporter.data}) {
            CAPTURE(base64_encode(c));
            ScramServer server = plus_server_after_first(sha256_exporter, both(sha256_exporter));
            CHECK(server.receive_client_final(with_binding(sha256_exporter.client_final, c)).has_value());
            CHECK_FALSE(server.is_authenticated());
        }
    }

    TEST_CASE("the client's binding type decides which data is checked")
    {
        // The client binds to the end point; a server that took the exporter would refuse it.
        ScramServer server = plus_server_after_first(sha1_end_point, both(sha1_end_point));
        CHECK(server.channel_binding() == ChannelBindingType::tls_server_end_point);
        CHECK_FALSE(server.receive_client_final(sha1_end_point.client_final));
    }

    TEST_CASE("'y' is a downgrade, and refused, where the server offers channel binding")
    {
        ScramServer server{ScramMechanism{ScramHash::sha256, false}, both(sha256_exporter)};
        CHECK(server.receive_client_first("y,,n=user,r=abc") == SaslFailure::not_authorized);
        CHECK(server.failure_text().starts_with("server-does-support-channel-binding"));
    }

    TEST_CASE("'y' and 'n' are fine where the server offers no channel binding")
    {
        for (const char* first : {"y,,n=user,r=abc", "n,,n=user,r=abc"}) {
            ScramServer server{ScramMechanism{ScramHash::sha256, false}, ChannelBindings{}};
            CHECK_FALSE(server.receive_client_first(first));
        }
    }

    TEST_CASE("'n' with a non-PLUS mechanism is fine where the server offers binding")
    {
        auto client = ScramClient::create(ScramHash::sha256, "user", "pencil");
        REQUIRE(client);
        ScramServer server{ScramMechanism{ScramHash::sha256, false}, both(sha256_exporter)};
        REQUIRE_FALSE(server.receive_client_first(client->client_first()));
        REQUIRE_FALSE(client->receive_server_first(server.server_first(plus_credentials(sha256_exporter))));
        CHECK_FALSE(server.receive_client_final(client->client_final()));
        CHECK(client->verify_server_final(server.server_final()));
    }

    TEST_CASE("'p' with a mechanism without -PLUS is refused")
    {
        ScramServer server{ScramMechanism{ScramHash::sha256, false}, both(sha256_exporter)};
        CHECK(server.receive_client_first("p=tls-exporter,,n=user,r=abc") == SaslFailure::malformed_request);
        CHECK(server.failure_text().find("-PLUS") != std::string_view::npos);
    }

    TEST_CASE("a -PLUS mechanism without 'p' is refused")
    {
        for (const char* first : {"n,,n=user,r=abc", "y,,n=user,r=abc"}) {
            ScramServer server{ScramMechanism{ScramHash::sha256, true}, both(sha256_exporter)};
            CHECK(server.receive_client_first(first) == SaslFailure::malformed_request);
            CHECK(server.failure_text().starts_with("channel-binding-not-supported"));
        }
    }

    TEST_CASE("an unknown channel binding type is refused with the types on offer")
    {
        ScramServer server{ScramMechanism{ScramHash::sha256, true}, both(sha256_exporter)};
        CHECK(server.receive_client_first("p=tls-unique,,n=user,r=abc") == SaslFailure::malformed_request);
        CHECK(server.failure_text() ==
              "unsupported-channel-binding-type: tls-unique is not offered on this connection; "
              "offered: tls-exporter, tls-server-end-point");
    }

    TEST_CASE("a known type the connection lacks (tls-exporter on TLS 1.2) is refused")
    {
        ChannelBindings end_point_only;
        end_point_only.tls_server_end_point = fake_end_point();
        ScramServer server{ScramMechanism{ScramHash::sha256, true}, end_point_only};
        CHECK(server.receive_client_first(sha256_exporter.client_first) == SaslFailure::malformed_request);
        CHECK(server.failure_text() ==
              "unsupported-channel-binding-type: tls-exporter is not offered on this connection; "
              "offered: tls-server-end-point");
    }

    TEST_CASE("malformed channel binding names are refused")
    {
        for (const char* first :
             {"p=,,n=user,r=abc", "p=tls exporter,,n=user,r=abc", "p=tls_exporter,,n=user,r=abc", "p,,n=user,r=abc"}) {
            CAPTURE(first);
            ScramServer server{ScramMechanism{ScramHash::sha256, true}, both(sha256_exporter)};
            CHECK(server.receive_client_first(first) == SaslFailure::malformed_request);
        }
    }

    TEST_CASE("a full -PLUS exchange with an authzid binds and authenticates")
    {
        const ChannelBindings b = both(sha256_exporter);
        auto client = ScramClient::create_plus(ScramHash::sha256, ChannelBindingType::tls_server_end_point,
                                               b.tls_server_end_point, "juliet", "pw", "juliet@example.com");
        REQUIRE(client);
        CHECK(client->client_first().starts_with("p=tls-server-end-point,a=juliet@example.com,n=juliet,r="));
        ScramServer server{ScramMechanism{ScramHash::sha256, true}, b};
        REQUIRE_FALSE(server.receive_client_first(client->client_first()));
        CHECK(server.authzid() == "juliet@example.com");
        REQUIRE_FALSE(
            client->receive_server_first(server.server_first(make_scram_credentials(ScramHash::sha256, "pw"))));
        CHECK_FALSE(server.receive_client_final(client->client_final()));
        CHECK(client->verify_server_final(server.server_final()));
    }
}
