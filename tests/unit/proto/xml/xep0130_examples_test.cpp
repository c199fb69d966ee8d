// Every example of XEP-0130 parses, re-serialises and parses back to an equal tree. The spec
// is read at run time from tests/spec/xep-0130.xml, whose path meson passes (WL_XEP0130).
#include <doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "parse_helpers.hpp"
#include "proto/ns.hpp"
#include "proto/xml/writer.hpp"

using namespace wl::proto::xml;
using namespace wl::proto::xml::testing;

namespace {

std::string read_spec()
{
    const char* path = std::getenv("WL_XEP0130");
    REQUIRE_MESSAGE(path, "WL_XEP0130 must name the spec file");
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, "cannot read " << path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The CDATA of each <example> in document order.
std::vector<std::string> examples(const std::string& spec)
{
    std::vector<std::string> out;
    std::size_t at = 0;
    while ((at = spec.find("<example", at)) != std::string::npos) {
        const std::size_t end = spec.find("</example>", at);
        REQUIRE(end != std::string::npos);
        const std::size_t open = spec.find("<![CDATA[", at);
        REQUIRE(open < end);
        const std::size_t close = spec.find("]]>", open);
        REQUIRE(close < end);
        out.push_back(spec.substr(open + 9, close - open - 9));
        at = end;
    }
    return out;
}

}  // namespace

TEST_CASE("all 37 examples of XEP-0130 parse, re-serialise and parse back equal")
{
    const auto all = examples(read_spec());
    REQUIRE(all.size() == 37);
    const WriteContext ctx{"jabber:client", {{"stream", std::string(wl::proto::ns::stream)}}};
    for (std::size_t i = 0; i < all.size(); ++i) {
        INFO("XEP-0130 example " << i + 1 << ":\n" << all[i]);
        const Outcome first = parse(std::string(client_header) + all[i]);
        REQUIRE_FALSE(first.error);
        REQUIRE(first.events.size() >= 2);
        std::string again(client_header);
        for (std::size_t k = 1; k < first.events.size(); ++k) {
            REQUIRE(first.events[k].kind == StreamEvent::Kind::stanza);
            again += serialize(first.events[k].element, ctx);
        }
        const Outcome second = parse(again);
        REQUIRE_FALSE(second.error);
        CHECK(same_events(first.events, second.events));
        // Byte-at-a-time gives the same trees too.
        StreamParser parser;
        CHECK(same_events(feed_in_pieces(parser, std::string(client_header) + all[i], 1).events, first.events));
    }
}
