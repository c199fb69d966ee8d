#pragma once
// Serialises element trees to the XML the wire carries. Namespaces are declared only where
// they change, prefixes declared on the stream header are reused (<stream:features/>,
// <db:result/>), and text that XML 1.0 cannot carry is refused rather than emitted.
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/xml/element.hpp"

namespace wl::proto::xml {

// Thrown for a character XML 1.0 forbids (controls other than tab/CR/LF, U+FFFE/U+FFFF,
// invalid UTF-8) in a name, text or attribute. All text we send comes from the parser or
// from validated input, so this is a programming error: check user input with
// is_valid_xml_text() first.
class XmlWriteError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// What is already in scope where the element is written: the parent of the top element,
// normally the stream header.
struct WriteContext {
    std::string default_ns;  // e.g. ns::client
    // prefix -> namespace declared on the stream header, e.g. {"stream", ns::stream}, {"db", ns::dialback}
    std::vector<std::pair<std::string, std::string>> prefixes;
};

// True if text is valid UTF-8 made only of characters XML 1.0 allows.
bool is_valid_xml_text(std::string_view text);

std::string serialize(const Element& element, const WriteContext& ctx = {});
// Appends to out: lets a writer build a batch without a temporary per stanza.
void serialize_to(std::string& out, const Element& element, const WriteContext& ctx = {});

// "<?xml version='1.0'?><stream:stream xmlns='jabber:client'
//  xmlns:stream='http://etherx.jabber.org/streams' ...attrs>" (not self-closed). The header's
// namespace declarations (attributes in xmlns_ns) are ignored: ctx declares them.
std::string open_stream_tag(const Element& header, const WriteContext& ctx);
std::string_view close_stream_tag();

}  // namespace wl::proto::xml
