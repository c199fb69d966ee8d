#pragma once
// An incremental XMPP stream parser over expat. Bytes go in as they arrive from the network,
// in chunks of any size; out come the stream header, one element tree per top-level stanza,
// and the stream end. Anything RFC 6120 §11.1 forbids (DTD, entities, PIs, comments) and
// anything over a limit ends the stream with the matching stream error condition.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proto/xml/element.hpp"

namespace wl::proto::xml {

// Every bound has its own policy-violation text so that the peer (and our logs) can tell which.
struct ParserLimits {
    std::size_t max_stanza_bytes = 65536;  // bytes of one top-level element, markup included
    std::size_t max_depth = 32;            // a stanza is depth 1, its children depth 2, ...
    std::size_t max_attributes = 64;       // attributes of one element, xmlns declarations excluded
};

// condition is the RFC 6120 stream error condition name: "not-well-formed", "restricted-xml",
// "policy-violation" (a limit; text names which), "invalid-namespace", "bad-namespace-prefix",
// "unsupported-encoding", "bad-format".
struct ParseError {
    std::string condition;
    std::string text;
};

// open: the stream header element with its attributes, no children. Its namespace
// declarations are kept as attributes in namespace xmlns_ns (the DOM convention): local
// name "xmlns" for the default namespace, the prefix for a prefixed one. Use
// declared_default_ns()/declared_prefix() rather than reading them by hand.
// stanza: one top-level element, namespaces resolved.
// close: </stream:stream> (element {stream}stream) or, framed, the <close/> element.
struct StreamEvent {
    enum class Kind {
        open,
        stanza,
        close
    } kind;
    Element element;
};

inline constexpr std::string_view xmlns_ns = "http://www.w3.org/2000/xmlns/";

// The default namespace ("jabber:client", "jabber:server") the stream header declared.
std::optional<std::string> declared_default_ns(const Element& header);
// The namespace bound to a prefix on the stream header ("db" -> jabber:server:dialback).
std::optional<std::string> declared_prefix(const Element& header, std::string_view prefix);

enum class Framing {
    stream,    // RFC 6120 <stream:stream>
    websocket  // RFC 7395: every top-level element is one WS message; <open/>/<close/> of
               // urn:ietf:params:xml:ns:xmpp-framing become open/close events. The
               // messages are parsed as children of one synthetic root, so a message
               // carrying an XML declaration is not-well-formed, and each message must
               // declare its own namespaces (xmlns='jabber:client').
};

class StreamParser {
public:
    explicit StreamParser(ParserLimits limits = {}, Framing framing = Framing::stream);
    ~StreamParser();
    StreamParser(StreamParser&&) noexcept;
    StreamParser& operator=(StreamParser&&) noexcept;
    StreamParser(const StreamParser&) = delete;
    StreamParser& operator=(const StreamParser&) = delete;

    // Parses one chunk of any size (one byte works). Completed events queue up; take them
    // with next(). After an error the parser stays failed (returning the same error) until
    // reset(); events completed before the error are still delivered.
    std::optional<ParseError> feed(std::string_view bytes);
    std::optional<StreamEvent> next();
    // Stream restart after STARTTLS / SASL: a fresh expat parser, same limits and framing.
    // Queued events are dropped.
    void reset();
    // For an idle stream: if the parser stands between top-level elements, frees expat's
    // state (about 11 KB, most of an idle stream's parser) and returns true; the next
    // feed() rebuilds it with the stream root's tag and namespace declarations, and parsing
    // goes on as if nothing happened. Mid-element, or failed, returns false and changes
    // nothing. Queued events stay.
    bool release_idle();

    bool failed() const;
    // Bytes of the top-level element currently being parsed, an unfinished tag included (0
    // between stanzas); diagnostics.
    std::size_t current_stanza_bytes() const;
    const ParserLimits& limits() const;
    Framing framing() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wl::proto::xml
