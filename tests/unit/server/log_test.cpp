#include <doctest.h>

#include "server/log.hpp"

using wl::server::redact;

TEST_CASE("redaction hides tel and mailto URIs, e-mail addresses and phone numbers")
{
    CHECK(redact("add tel:+1-303-555-0100 now") == "add tel:[redacted] now");
    CHECK(redact("uri=MAILTO:juliet@example.org and") == "uri=mailto:[redacted] and");
    CHECK(redact("from juliet@example.org") == "from [redacted]");
    CHECK(redact("call +33612345678") == "call [redacted]");
    CHECK(redact("<uri scheme='tel'>+15555550100</uri>") == "<uri scheme='tel'>[redacted]</uri>");
}

TEST_CASE("redaction keeps ordinary text, short numbers and JID-free words")
{
    CHECK(redact("stream error policy-violation after 3 attempts") ==
          "stream error policy-violation after 3 attempts");
    CHECK(redact("port 5222") == "port 5222");
    CHECK(redact("") == "");
}
