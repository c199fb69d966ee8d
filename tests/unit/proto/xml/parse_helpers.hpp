#pragma once
// Feeding helpers shared by the proto/xml tests.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/xml/stream_parser.hpp"

namespace wl::proto::xml::testing {

struct Outcome {
    std::vector<StreamEvent> events;
    std::optional<ParseError> error;
};

// Feeds input in pieces of at most `piece` bytes (0: all at once), draining events as it goes.
inline Outcome feed_in_pieces(StreamParser& parser, std::string_view input, std::size_t piece = 0)
{
    Outcome out;
    if (piece == 0) piece = input.size() ? input.size() : 1;
    for (std::size_t at = 0; at < input.size() && !out.error; at += piece) {
        out.error = parser.feed(input.substr(at, piece));
        while (auto ev = parser.next()) out.events.push_back(std::move(*ev));
    }
    return out;
}

// Feeds input split once at `cut`.
inline Outcome feed_split(StreamParser& parser, std::string_view input, std::size_t cut)
{
    Outcome out;
    out.error = parser.feed(input.substr(0, cut));
    while (auto ev = parser.next()) out.events.push_back(std::move(*ev));
    if (!out.error) {
        out.error = parser.feed(input.substr(cut));
        while (auto ev = parser.next()) out.events.push_back(std::move(*ev));
    }
    return out;
}

inline Outcome parse(std::string_view input, ParserLimits limits = {}, Framing framing = Framing::stream)
{
    StreamParser parser(limits, framing);
    return feed_in_pieces(parser, input);
}

inline bool same_events(const std::vector<StreamEvent>& a, const std::vector<StreamEvent>& b)
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].kind != b[i].kind || !(a[i].element == b[i].element)) return false;
    return true;
}

inline constexpr std::string_view client_header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

}  // namespace wl::proto::xml::testing
