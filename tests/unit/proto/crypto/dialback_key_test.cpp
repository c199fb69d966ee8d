#include <doctest.h>

#include "proto/dialback_key.hpp"

using wl::proto::dialback_key;
using wl::proto::verify_dialback_key;

TEST_SUITE("dialback key")
{
    // XEP-0185 section 4: receiving xmpp.example.com, originating example.org.
    constexpr auto xep_key = "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643";

    TEST_CASE("the XEP-0185 example yields the published key")
    {
        CHECK(dialback_key("s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229F") == xep_key);
    }

    TEST_CASE("the key verifies, also upper-case and with surrounding whitespace")
    {
        CHECK(verify_dialback_key("s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229F", xep_key));
        CHECK(verify_dialback_key("s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229F",
                                  "\n  37C69B1CF07A3F67C04A5EF5902FA5114F2C76FE4A2686482BA5B89323075643\n"));
    }

    TEST_CASE("a key for another secret, domain, direction or stream does not verify")
    {
        const auto ok = [](const char* secret, const char* receiving, const char* originating, const char* id) {
            return verify_dialback_key(secret, receiving, originating, id, xep_key);
        };
        CHECK_FALSE(ok("s3cr3tf0rd14lb4cK", "xmpp.example.com", "example.org", "D60000229F"));
        CHECK_FALSE(ok("s3cr3tf0rd14lb4ck", "example.org", "xmpp.example.com", "D60000229F"));
        CHECK_FALSE(ok("s3cr3tf0rd14lb4ck", "xmpp.example.net", "example.org", "D60000229F"));
        CHECK_FALSE(ok("s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229E"));
        CHECK_FALSE(verify_dialback_key("s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229F",
                                        std::string(xep_key).substr(0, 63)));
        CHECK_FALSE(verify_dialback_key("s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229F", ""));
    }

    TEST_CASE("the space delimiter keeps differently split domains apart")
    {
        CHECK(dialback_key("k", "example.info", "rm.example.org", "1") !=
              dialback_key("k", "example.in", "form.example.org", "1"));
    }
}
