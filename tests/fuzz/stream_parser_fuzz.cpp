// libFuzzer target for StreamParser. Built by run_fuzz.sh with clang++-14, outside meson.
// Beyond crashes and sanitizer reports it checks what the rest of the server relies on:
//  - chunking never changes the outcome: the same events, an error in both runs or neither,
//    also when the parser is released (release_idle) after every chunk, as an idle c2s
//    session does;
//  - every stanza the parser yields serialises without throwing and parses back equal.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/ns.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "proto/xml/stream_parser.hpp"
#include "proto/xml/writer.hpp"

using namespace wl::proto::xml;

namespace {

struct Run {
    std::vector<StreamEvent> events;
    bool failed = false;
};

// Chunk sizes come from the input itself (a hash seeds a small PRNG), so the fuzzer explores
// chunkings while seeds stay plain XML.
std::uint64_t fnv1a(std::string_view s)
{
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

Run run(std::string_view input, const ParserLimits& limits, Framing framing, std::uint64_t seed, bool release = false)
{
    StreamParser parser(limits, framing);
    Run r;
    std::size_t at = 0;
    while (at < input.size() && !r.failed) {
        std::size_t n = input.size() - at;
        if (seed != 0) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            n = std::min<std::size_t>(n, 1 + seed % ((seed >> 32) % 3 == 0 ? 2 : 97));
        }
        r.failed = parser.feed(input.substr(at, n)).has_value();
        at += n;
        while (auto ev = parser.next()) r.events.push_back(std::move(*ev));
        if (release) parser.release_idle();
    }
    return r;
}

bool same(const StreamEvent& a, const StreamEvent& b) { return a.kind == b.kind && a.element == b.element; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::uint64_t seed = fnv1a(input) | 1;
    ParserLimits limits;
    if (seed & 2) limits = ParserLimits{512, 6, 4};  // small limits reach every bound
    const Framing framing = (seed & 4) ? Framing::websocket : Framing::stream;

    const Run whole = run(input, limits, framing, 0);
    const Run chunked = run(input, limits, framing, seed, (seed & 8) != 0);
    FUZZ_CHECK(whole.failed == chunked.failed);
    const std::size_t common = std::min(whole.events.size(), chunked.events.size());
    if (!whole.failed) FUZZ_CHECK(whole.events.size() == chunked.events.size());
    for (std::size_t i = 0; i < common; ++i) FUZZ_CHECK(same(whole.events[i], chunked.events[i]));

    // Stanzas round-trip. The header declares no default namespace: each stanza carries its
    // own, so nothing depends on what the fuzzed header declared.
    const WriteContext ctx{"", {{"stream", std::string(wl::proto::ns::stream)}}};
    const ParserLimits roomy{1u << 24, 64, 1024};
    for (const StreamEvent& ev : whole.events) {
        if (ev.kind != StreamEvent::Kind::stanza) continue;
        const std::string text =
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>" + serialize(ev.element, ctx);
        StreamParser back(roomy);
        FUZZ_CHECK(!back.feed(text).has_value());
        auto open = back.next();
        FUZZ_CHECK(open && open->kind == StreamEvent::Kind::open);
        auto stanza = back.next();
        FUZZ_CHECK(stanza && stanza->element == ev.element);
    }
    return 0;
}
