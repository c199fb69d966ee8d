// The TLS 1.3 key schedule steps the record layer uses, against RFC 8448's published trace
// (section 3, "Simple 1-RTT Handshake"), and the sequence-number discipline of records.
#include <doctest.h>

#include <string>

#include "server/c2s/tls13_keys.hpp"
#include "server/c2s/tls13_records.hpp"

using namespace wl::server::c2s;

namespace {

std::string unhex(std::string_view hex)
{
    std::string out;
    std::string digits;
    for (char c : hex)
        if (c != ' ') digits.push_back(c);
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
        out.push_back(char(std::stoi(digits.substr(i, 2), nullptr, 16)));
    return out;
}

}  // namespace

TEST_CASE("HKDF-Expand-Label gives RFC 8448's application keys and IVs")
{
    const auto suite = Tls13Suite::aes_128_gcm_sha256;
    const std::string server =
        unhex("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");
    const std::string client =
        unhex("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5");
    CHECK(tls13_expand_label(suite, server, "key", {}, 16) == unhex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"));
    CHECK(tls13_expand_label(suite, server, "iv", {}, 12) == unhex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84"));
    CHECK(tls13_expand_label(suite, client, "key", {}, 16) == unhex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51"));
    CHECK(tls13_expand_label(suite, client, "iv", {}, 12) == unhex("5b 78 92 3d ee 08 57 90 33 e5 23 d9"));
}

TEST_CASE("the suites of OpenSSL's TLS 1.3 defaults are known, the CCM ones are not")
{
    CHECK(tls13_suite(0x1301) == Tls13Suite::aes_128_gcm_sha256);
    CHECK(tls13_suite(0x1302) == Tls13Suite::aes_256_gcm_sha384);
    CHECK(tls13_suite(0x1303) == Tls13Suite::chacha20_poly1305_sha256);
    CHECK_FALSE(tls13_suite(0x1304));
    CHECK_FALSE(tls13_suite(0xc02f));
}

TEST_CASE("records open only in order, once, unaltered, and under the key of their side of a KeyUpdate")
{
    for (auto suite :
         {Tls13Suite::aes_128_gcm_sha256, Tls13Suite::aes_256_gcm_sha384, Tls13Suite::chacha20_poly1305_sha256}) {
        CAPTURE(static_cast<int>(suite));
        const std::string secret(suite == Tls13Suite::aes_256_gcm_sha384 ? 48 : 32, 's');
        Tls13TrafficKeys writer(suite, secret), reader(suite, secret);
        std::string first, second;
        REQUIRE(writer.seal(23, "first", first));
        REQUIRE(writer.seal(23, "second", second));
        CHECK(first.size() == 5 + 5 + 1 + Tls13TrafficKeys::tag_size);
        char out[64];
        auto open = [&](const std::string& record) {
            return reader.open(std::string_view(record).substr(0, 5), std::string_view(record).substr(5), out);
        };
        CHECK_FALSE(open(second));  // out of order: sequence number 0 expected
        REQUIRE(open(first));
        CHECK(std::string(out, 6) == "first\x17");
        CHECK_FALSE(open(first));  // replayed
        std::string altered = second;
        altered[2] ^= 1;  // the header is authenticated too
        CHECK_FALSE(open(altered));
        REQUIRE(open(second) == 7u);
        CHECK(reader.sequence() == 2);

        writer.update();
        std::string after;
        REQUIRE(writer.seal(23, "after", after));
        CHECK_FALSE(open(after));  // the reader still has the old key
        reader.update();
        REQUIRE(open(after));
        CHECK(reader.sequence() == 1);
    }
}

TEST_CASE("a secret of the wrong length is refused")
{
    CHECK_THROWS_AS(Tls13TrafficKeys(Tls13Suite::aes_256_gcm_sha384, std::string(32, 's')), std::invalid_argument);
    CHECK_THROWS_AS(Tls13TrafficKeys(Tls13Suite::aes_128_gcm_sha256, std::string(48, 's')), std::invalid_argument);
}

TEST_CASE("the record layer moves to its next write key on its own after its key's quota of records")
{
    const std::string client(32, 'c'), server(32, 's');
    Tls13Records records(Tls13Suite::aes_128_gcm_sha256, client, server, 3);
    std::string output;
    for (int i = 0; i < 10; ++i) REQUIRE(records.seal(std::string(1, char('0' + i)), output));
    // Read as the client would: data, and the server's KeyUpdates moving to the next key.
    Tls13TrafficKeys reader(Tls13Suite::aes_128_gcm_sha256, server);
    std::string data;
    int key_updates = 0;
    std::string_view rest = output;
    while (!rest.empty()) {
        REQUIRE(rest.size() >= 5);
        const std::size_t length = std::size_t(std::uint8_t(rest[3])) << 8 | std::uint8_t(rest[4]);
        char plain[64];
        auto size = reader.open(rest.substr(0, 5), rest.substr(5, length), plain);
        REQUIRE(size);
        if (plain[*size - 1] == 22) {
            CHECK(std::string(plain, *size) == std::string("\x18\x00\x00\x01\x00\x16", 6));
            reader.update();
            ++key_updates;
        } else {
            REQUIRE(plain[*size - 1] == 23);
            data.append(plain, *size - 1);
        }
        rest.remove_prefix(5 + length);
    }
    CHECK(data == "0123456789");
    CHECK(key_updates == 3);  // before the 4th, 7th and 10th record
}
