#pragma once
// Turns XML text into element trees with the real stream parser, as a peer's bytes would be.
#include <doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proto/ns.hpp"
#include "proto/xml/element.hpp"
#include "proto/xml/stream_parser.hpp"

namespace wl::test {

// Every top-level element of `body`, parsed inside a stream whose default namespace is
// `stanza_ns`. Fails the test if the parser reports an error.
inline std::vector<proto::xml::Element> parse_stanzas(std::string_view body,
                                                      std::string_view stanza_ns = proto::ns::client)
{
    proto::xml::StreamParser parser;
    const std::string doc = "<stream:stream xmlns='" + std::string(stanza_ns) +
                            "' xmlns:stream='http://etherx.jabber.org/streams'>" + std::string(body);
    const auto err = parser.feed(doc);
    INFO("parse error: " << (err ? err->condition + " " + err->text : std::string()));
    REQUIRE_FALSE(err);
    std::vector<proto::xml::Element> out;
    while (auto ev = parser.next())
        if (ev->kind == proto::xml::StreamEvent::Kind::stanza) out.push_back(std::move(ev->element));
    return out;
}

inline proto::xml::Element parse_one(std::string_view body, std::string_view stanza_ns = proto::ns::client)
{
    auto all = parse_stanzas(body, stanza_ns);
    REQUIRE(all.size() == 1);
    return std::move(all.front());
}

// A payload element on its own: parsed as the single child of a message.
inline proto::xml::Element parse_payload(std::string_view xml)
{
    auto msg = parse_one("<message>" + std::string(xml) + "</message>");
    const proto::xml::Element* child = msg.first_child_element();
    REQUIRE(child != nullptr);
    return *child;
}

}  // namespace wl::test
