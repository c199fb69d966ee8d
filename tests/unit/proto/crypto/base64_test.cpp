#include <doctest.h>

#include "proto/base64.hpp"

using wl::proto::base64_decode;
using wl::proto::base64_encode;

TEST_SUITE("base64")
{
    TEST_CASE("the RFC 4648 test vectors encode and decode both ways")
    {
        const std::pair<const char*, const char*> vectors[] = {
            {"", ""},
            {"f", "Zg=="},
            {"fo", "Zm8="},
            {"foo", "Zm9v"},
            {"foob", "Zm9vYg=="},
            {"fooba", "Zm9vYmE="},
            {"foobar", "Zm9vYmFy"},
        };
        for (const auto& [plain, encoded] : vectors) {
            CHECK(base64_encode(plain) == encoded);
            const auto decoded = base64_decode(encoded);
            REQUIRE(decoded);
            CHECK(*decoded == plain);
        }
    }

    TEST_CASE("every byte value survives a round trip")
    {
        std::string all;
        for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
        for (std::size_t n = 0; n <= all.size(); n += 37) {
            const auto back = base64_decode(base64_encode(all.substr(0, n)));
            REQUIRE(back);
            CHECK(*back == all.substr(0, n));
        }
    }

    TEST_CASE("decoding refuses anything that is not canonical base64")
    {
        CHECK_FALSE(base64_decode("Zg"));        // padding missing
        CHECK_FALSE(base64_decode("Zg="));       // padding short
        CHECK_FALSE(base64_decode("Zg==="));     // padding long
        CHECK_FALSE(base64_decode("Zh=="));      // unused bits set: not the canonical "Zg=="
        CHECK_FALSE(base64_decode("Zm9=="));     // wrong length
        CHECK_FALSE(base64_decode("Zm8=Zm8="));  // padding in the middle
        CHECK_FALSE(base64_decode("Zm 9v"));     // whitespace
        CHECK_FALSE(base64_decode("Zm9v\n"));
        CHECK_FALSE(base64_decode("Zm9-"));  // URL-safe alphabet is not base64
        CHECK_FALSE(base64_decode("===="));
        CHECK_FALSE(base64_decode("Z==="));
        CHECK_FALSE(base64_decode(std::string_view{"Zm9\0", 4}));
    }
}
