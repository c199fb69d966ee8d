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
    CHECK(redact("stream error policy-violation after 3 attempts") == "stream error policy-violation after 3 attempts");
    CHECK(redact("port 5222") == "port 5222");
    CHECK(redact("") == "");
}

TEST_CASE("a JSON log line is one object with the session id of a c2s session's line in its own field")
{
    using wl::server::json_log_line;
    CHECK(json_log_line("2026-01-02T03:04:05.678Z", "info", 42, "c2s s17 127.0.0.1 alice@example.org/a: closed") ==
          R"({"time":"2026-01-02T03:04:05.678Z","level":"info","thread":42,"session":"s17",)"
          R"("msg":"c2s s17 127.0.0.1 alice@example.org/a: closed"})");
    // Quotes, backslashes and control characters are escaped; lines without a session have no field.
    CHECK(json_log_line("t", "warning", 1, "say \"hi\"\\\n\x01") ==
          R"({"time":"t","level":"warning","thread":1,"msg":"say \"hi\"\\\n\u0001"})");
    CHECK(json_log_line("t", "info", 1, "c2s 127.0.0.1: x").find("session") == std::string::npos);
}
