#include "proto/xml/stream_parser.hpp"

#include <expat.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "proto/ns.hpp"
#include "proto/xml/token_gate.hpp"

namespace wl::proto::xml {

namespace {

// Expat joins namespace URI and local name with this. XML 1.0 forbids U+0001 even as a
// character reference, so it can never occur inside a URI or a name.
constexpr char ns_separator = '\x01';

// RFC 7395 messages are separate documents; expat wants one. Each message becomes a child of
// this synthetic root, which the peer never sees and cannot close (see on_end).
constexpr std::string_view ws_wrapper = "<wl-websocket-frames>";

struct SplitName {
    std::string_view ns;
    std::string_view local;
};

SplitName split_name(const XML_Char* s)
{
    const char* sep = std::strchr(s, ns_separator);
    if (!sep) return {{}, std::string_view(s)};
    return {std::string_view(s, static_cast<std::size_t>(sep - s)), std::string_view(sep + 1)};
}

bool is_xml_space(const char* s, int len)
{
    for (int i = 0; i < len; ++i)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return false;
    return true;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

}  // namespace

std::optional<std::string> declared_default_ns(const Element& header)
{
    if (const std::string* v = header.attr("xmlns", xmlns_ns)) return *v;
    return std::nullopt;
}

std::optional<std::string> declared_prefix(const Element& header, std::string_view prefix)
{
    if (prefix.empty() || prefix == "xmlns") return std::nullopt;
    if (const std::string* v = header.attr(prefix, xmlns_ns)) return *v;
    return std::nullopt;
}

struct StreamParser::Impl {
    ParserLimits limits;
    Framing framing;
    XML_Parser parser = nullptr;      // null while released (release_idle)
    std::vector<StreamEvent> events;  // events[first..] not yet taken
    std::size_t first = 0;
    std::optional<ParseError> error;

    // Open elements, counting the stream header (or the WebSocket wrapper) as 1: a stanza
    // starts at level 2.
    std::size_t level = 0;
    Element stanza;
    std::vector<Element*> stack;             // open elements of the stanza being built
    std::vector<Attribute> header_ns_decls;  // xmlns declarations seen before the root

    // Byte offsets in expat's numbering (which counts the WebSocket wrapper too).
    long long fed = 0;               // everything handed to expat so far
    long long mark = 0;              // where the current top-level element (or the gap before it) began
    unsigned char head[2] = {0, 0};  // the document's first two bytes, for the BOM check
    TokenGate gate;
    std::string held;  // bytes the gate keeps from expat: an unfinished tag
    // Added to expat's byte index to give the stream's: minus the WebSocket wrapper, and
    // across a release, the bytes parsed before it minus the primer's.
    long long origin = 0;

    // To rebuild a released parser in the same state: the stream root's tag name as the
    // peer wrote it (its end tag must match) and its namespace declarations.
    std::string root_qname;
    std::vector<Attribute> root_ns_decls;
    bool priming = false;  // parsing our own primer: no events

    Impl(ParserLimits l, Framing f) : limits(l), framing(f) { start(); }
    ~Impl() { stop(); }

    void stop()
    {
        if (parser) XML_ParserFree(parser);
        parser = nullptr;
    }

    void start()
    {
        stop();
        events.clear();
        first = 0;
        error.reset();
        level = 0;
        stanza = Element();
        stack.clear();
        header_ns_decls.clear();
        fed = 0;
        mark = 0;
        head[0] = head[1] = 0;
        gate.reset();
        held.clear();
        origin = 0;
        root_qname.clear();
        root_ns_decls.clear();

        create_expat();
        if (framing == Framing::websocket) {
            // The wrapper is our own well-formed text; it cannot fail.
            XML_Parse(parser, ws_wrapper.data(), static_cast<int>(ws_wrapper.size()), XML_FALSE);
            fed = static_cast<long long>(ws_wrapper.size());
            mark = fed;
            origin = -fed;
        }
    }

    // Between top-level elements nothing of expat's state matters but the open root and
    // the namespaces it declared, so expat (about 11 KB) can go and come back.
    bool release()
    {
        if (!parser) return true;
        if (error || level != 1 || !held.empty() || mark != fed || !gate.is_between_tokens()) return false;
        if (framing == Framing::stream && root_qname.empty()) return false;
        origin += fed;
        stop();
        stack.clear();
        stack.shrink_to_fit();
        stanza = Element();
        std::string().swap(held);
        if (first == events.size()) {
            events.clear();
            events.shrink_to_fit();
            first = 0;
        }
        return true;
    }

    // Undoes release(): a fresh expat parser fed a root start tag like the peer's, so that
    // the same prefixes resolve and the peer's end tag matches.
    void rebuild()
    {
        create_expat();
        std::string primer;
        if (framing == Framing::websocket) {
            primer = ws_wrapper;
        } else {
            primer = "<" + root_qname;
            for (const Attribute& a : root_ns_decls) {
                primer += a.name == "xmlns" ? " xmlns='" : " xmlns:" + a.name + "='";
                for (char c : a.value) {
                    if (c == '&')
                        primer += "&amp;";
                    else if (c == '<')
                        primer += "&lt;";
                    else if (c == '\'')
                        primer += "&apos;";
                    else
                        primer += c;
                }
                primer += '\'';
            }
            primer += '>';
        }
        level = 0;
        priming = true;
        const bool ok = XML_Parse(parser, primer.data(), static_cast<int>(primer.size()), XML_FALSE) == XML_STATUS_OK;
        priming = false;
        if (!ok || error || level != 1) {
            // The peer's own header parsed, so its copy should: if not, end the stream
            // rather than go on with a parser in an unknown state.
            error.reset();
            fail("internal-server-error", "the stream parser could not be restored");
            return;
        }
        fed = static_cast<long long>(primer.size());
        mark = fed;
        origin -= fed;
    }

    void create_expat()
    {
        // The caller's encoding overrides the document's; on_xml_decl still sees the declared
        // one and refuses anything but UTF-8.
        parser = XML_ParserCreateNS("UTF-8", ns_separator);
        if (!parser) throw std::bad_alloc();
        XML_SetUserData(parser, this);
        XML_SetElementHandler(parser, &Impl::on_start, &Impl::on_end);
        XML_SetCharacterDataHandler(parser, &Impl::on_text);
        XML_SetStartNamespaceDeclHandler(parser, &Impl::on_ns_decl);
        XML_SetXmlDeclHandler(parser, &Impl::on_xml_decl);
        // RFC 6120 §11.1: no DTD, entity declaration, PI or comment. Stopping at the doctype
        // means no entity is ever declared, so no expansion attack can begin; the other
        // handlers are a second fence.
        XML_SetStartDoctypeDeclHandler(parser, &Impl::on_doctype);
        XML_SetEntityDeclHandler(parser, &Impl::on_entity_decl);
        XML_SetUnparsedEntityDeclHandler(parser, &Impl::on_unparsed_entity_decl);
        XML_SetNotationDeclHandler(parser, &Impl::on_notation_decl);
        XML_SetElementDeclHandler(parser, &Impl::on_element_decl);
        XML_SetAttlistDeclHandler(parser, &Impl::on_attlist_decl);
        XML_SetSkippedEntityHandler(parser, &Impl::on_skipped_entity);
        XML_SetExternalEntityRefHandler(parser, &Impl::on_external_entity);
        XML_SetProcessingInstructionHandler(parser, &Impl::on_pi);
        XML_SetCommentHandler(parser, &Impl::on_comment);
        XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER);
        // Expat 2.6 (backported to Debian 12) may hold a complete token back until more bytes
        // arrive; a stanza's last '>' must produce its event now. The quadratic rescanning it
        // guards against cannot happen here: the TokenGate never hands expat half a tag.
#ifdef WL_HAVE_XML_REPARSE_DEFERRAL
        XML_SetReparseDeferralEnabled(parser, XML_FALSE);
#endif
    }

    static Impl& self(void* p) { return *static_cast<Impl*>(p); }

    void fail(std::string condition, std::string text)
    {
        if (error) return;
        error = ParseError{std::move(condition), std::move(text)};
        XML_StopParser(parser, XML_FALSE);
    }

    long long event_end() const
    {
        return static_cast<long long>(XML_GetCurrentByteIndex(parser)) + XML_GetCurrentByteCount(parser);
    }

    // True (after failing) if the current top-level element has grown past the limit.
    bool over_stanza_limit(long long end)
    {
        if (end - mark > static_cast<long long>(limits.max_stanza_bytes)) {
            fail("policy-violation",
                 "stanza exceeds max_stanza_bytes (" + std::to_string(limits.max_stanza_bytes) + ")");
            return true;
        }
        return false;
    }

    void fill_attributes(Element& e, const XML_Char** atts)
    {
        std::size_t n = 0;
        while (atts[2 * n]) ++n;
        e.reserve_attrs(n);
        for (std::size_t i = 0; i < n; ++i) {
            const SplitName a = split_name(atts[2 * i]);
            e.append_attr_unchecked(std::string(a.local), std::string(a.ns), std::string(atts[2 * i + 1]));
        }
    }

    static void on_start(void* ud, const XML_Char* name, const XML_Char** atts)
    {
        Impl& s = self(ud);
        if (s.error) return;
        ++s.level;
        if (s.level > 1 && s.level - 1 > s.limits.max_depth) {
            s.fail("policy-violation",
                   "element nesting exceeds max_depth (" + std::to_string(s.limits.max_depth) + ")");
            return;
        }
        std::size_t n_atts = 0;
        while (atts[2 * n_atts]) ++n_atts;
        if (n_atts > s.limits.max_attributes) {
            s.fail("policy-violation",
                   "element has more than max_attributes (" + std::to_string(s.limits.max_attributes) + ") attributes");
            return;
        }
        const SplitName n = split_name(name);
        if (s.level == 1) {
            if (s.framing == Framing::stream) s.start_stream(n, atts);
            return;
        }
        if (s.level == 2) {
            s.mark = static_cast<long long>(XML_GetCurrentByteIndex(s.parser));
            if (s.over_stanza_limit(s.event_end())) return;
            s.stanza = Element(std::string(n.local), std::string(n.ns));
            s.stack.clear();
            s.stack.push_back(&s.stanza);
            s.fill_attributes(s.stanza, atts);
            return;
        }
        if (s.over_stanza_limit(s.event_end())) return;
        Element& child = s.stack.back()->add_child(std::string(n.local), std::string(n.ns));
        s.fill_attributes(child, atts);
        s.stack.push_back(&child);
    }

    void start_stream(const SplitName& n, const XML_Char** atts)
    {
        if (priming) return;
        if (over_stanza_limit(event_end())) return;
        if (n.local != "stream" || n.ns != ns::stream) {
            fail("invalid-namespace", "the stream root must be {" + std::string(ns::stream) + "}stream, not {" +
                                          std::string(n.ns) + "}" + std::string(n.local));
            return;
        }
        StreamEvent ev{StreamEvent::Kind::open, Element(std::string(n.local), std::string(n.ns))};
        fill_attributes(ev.element, atts);
        root_qname = raw_start_tag_name();
        root_ns_decls = header_ns_decls;
        for (Attribute& a : header_ns_decls)
            ev.element.append_attr_unchecked(std::move(a.name), std::move(a.ns), std::move(a.value));
        header_ns_decls.clear();
        events.push_back(std::move(ev));
        mark = event_end();
    }

    static void on_end(void* ud, const XML_Char*)
    {
        Impl& s = self(ud);
        if (s.error) return;
        const std::size_t closing = s.level--;
        if (closing == 1) {
            if (s.framing == Framing::websocket) {
                s.fail("not-well-formed", "end tag without a matching start tag");
                return;
            }
            s.events.push_back(StreamEvent{StreamEvent::Kind::close, Element("stream", std::string(ns::stream))});
            s.mark = s.event_end();
            return;
        }
        if (s.over_stanza_limit(s.event_end())) return;
        s.stack.pop_back();
        if (closing == 2) {
            StreamEvent::Kind kind = StreamEvent::Kind::stanza;
            if (s.framing == Framing::websocket && s.stanza.ns() == ns::framing) {
                if (s.stanza.name() == "open")
                    kind = StreamEvent::Kind::open;
                else if (s.stanza.name() == "close")
                    kind = StreamEvent::Kind::close;
            }
            s.events.push_back(StreamEvent{kind, std::move(s.stanza)});
            s.stanza = Element();
            s.mark = s.event_end();
        }
    }

    static void on_text(void* ud, const XML_Char* text, int len)
    {
        Impl& s = self(ud);
        if (s.error) return;
        if (s.level >= 2) {
            if (s.over_stanza_limit(s.event_end())) return;
            s.stack.back()->add_text(std::string_view(text, static_cast<std::size_t>(len)));
            return;
        }
        // Between stanzas only whitespace (keepalives) may appear; it ends the gap so that
        // a long-lived idle stream never accumulates towards the stanza limit.
        if (!is_xml_space(text, len)) {
            s.fail("bad-format", "text at the stream level, outside any stanza");
            return;
        }
        s.mark = s.event_end();
    }

    // The name in the start tag being reported, as written ("stream:stream"), read from
    // expat's input; empty if expat keeps no context (then the parser is never released).
    std::string raw_start_tag_name() const
    {
        int offset = 0, size = 0;
        const char* context = XML_GetInputContext(parser, &offset, &size);
        if (!context || offset < 0 || offset >= size || context[offset] != '<') return {};
        std::string name;
        for (int i = offset + 1; i < size; ++i) {
            const char c = context[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/') break;
            name += c;
        }
        return name;
    }

    static void on_ns_decl(void* ud, const XML_Char* prefix, const XML_Char* uri)
    {
        Impl& s = self(ud);
        if (s.error || s.priming || s.level != 0 || s.framing != Framing::stream) return;
        s.header_ns_decls.push_back(
            Attribute{prefix ? std::string(prefix) : std::string("xmlns"), std::string(xmlns_ns), uri ? uri : ""});
    }

    static void on_xml_decl(void* ud, const XML_Char*, const XML_Char* encoding, int)
    {
        Impl& s = self(ud);
        if (s.error) return;
        if (encoding && !iequals(encoding, "UTF-8"))
            s.fail("unsupported-encoding", std::string("only UTF-8 is supported, not ") + encoding);
    }

    static void restricted(void* ud, const char* what) { self(ud).fail("restricted-xml", what); }
    static void on_doctype(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int)
    {
        restricted(ud, "a document type declaration is not allowed");
    }
    static void on_entity_decl(void* ud, const XML_Char*, int, const XML_Char*, int, const XML_Char*, const XML_Char*,
                               const XML_Char*, const XML_Char*)
    {
        restricted(ud, "an entity declaration is not allowed");
    }
    static void on_unparsed_entity_decl(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, const XML_Char*,
                                        const XML_Char*)
    {
        restricted(ud, "an entity declaration is not allowed");
    }
    static void on_notation_decl(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, const XML_Char*)
    {
        restricted(ud, "a notation declaration is not allowed");
    }
    static void on_element_decl(void* ud, const XML_Char*, XML_Content* model)
    {
        XML_FreeContentModel(self(ud).parser, model);
        restricted(ud, "an element declaration is not allowed");
    }
    static void on_attlist_decl(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, const XML_Char*, int)
    {
        restricted(ud, "an attribute list declaration is not allowed");
    }
    static void on_skipped_entity(void* ud, const XML_Char*, int)
    {
        restricted(ud, "entity references other than the predefined ones are not allowed");
    }
    static int on_external_entity(XML_Parser p, const XML_Char*, const XML_Char*, const XML_Char*, const XML_Char*)
    {
        restricted(XML_GetUserData(p), "external entities are not allowed");
        return XML_STATUS_ERROR;
    }
    static void on_pi(void* ud, const XML_Char*, const XML_Char*)
    {
        restricted(ud, "a processing instruction is not allowed");
    }
    static void on_comment(void* ud, const XML_Char*) { restricted(ud, "a comment is not allowed"); }

    void fail_from_expat()
    {
        const XML_Error code = XML_GetErrorCode(parser);
        std::string text = XML_ErrorString(code);
        text += " at byte " + std::to_string(XML_GetCurrentByteIndex(parser) + origin);
        switch (code) {
        case XML_ERROR_UNBOUND_PREFIX:
            fail("bad-namespace-prefix", std::move(text));
            break;
        case XML_ERROR_UNKNOWN_ENCODING:
        case XML_ERROR_INCORRECT_ENCODING:
            fail("unsupported-encoding", std::move(text));
            break;
        case XML_ERROR_UNDEFINED_ENTITY:
        case XML_ERROR_AMPLIFICATION_LIMIT_BREACH:
            fail("restricted-xml", std::move(text));
            break;
        default:
            fail("not-well-formed", std::move(text));
            break;
        }
    }

    // Bytes received so far: those handed to expat and those the gate still holds.
    long long received() const { return fed + static_cast<long long>(held.size()); }

    // Expat switches to UTF-16 on a BOM or a NUL among the first two bytes even when told the
    // document is UTF-8; RFC 6120 allows UTF-8 only. UTF-16 markup always contains NUL bytes
    // and NUL is never allowed in XML, so refusing NUL (and the UTF-16 BOMs) keeps expat in
    // UTF-8 whatever the peer sends.
    std::optional<ParseError> feed(std::string_view bytes)
    {
        if (error) return error;
        if (!parser) {
            if (bytes.empty()) return std::nullopt;
            rebuild();
            if (error) return error;
        }
        if (framing == Framing::stream && received() < 2) {
            const auto at = static_cast<std::size_t>(received());
            for (std::size_t i = 0; at + i < 2 && i < bytes.size(); ++i)
                head[at + i] = static_cast<unsigned char>(bytes[i]);
            if (at + bytes.size() >= 2 &&
                ((head[0] == 0xFE && head[1] == 0xFF) || (head[0] == 0xFF && head[1] == 0xFE))) {
                fail("unsupported-encoding", "only UTF-8 is supported, not UTF-16");
                return error;
            }
        }
        const std::size_t nul = bytes.find('\0');
        if (nul != std::string_view::npos) {
            if (auto e = feed_gated(bytes.substr(0, nul))) return e;
            if (framing == Framing::stream && received() < 2)
                fail("unsupported-encoding", "only UTF-8 is supported, not UTF-16");
            else
                fail("not-well-formed", "a NUL byte is not allowed in XML");
            return error;
        }
        return feed_gated(bytes);
    }

    std::optional<ParseError> feed_gated(std::string_view bytes)
    {
        const TokenGate::Verdict v = gate.scan(bytes);
        if (v.ready > 0) {
            std::optional<ParseError> e;
            if (held.empty()) {
                e = feed_expat(bytes.substr(0, v.ready));
            } else {
                held.append(bytes.substr(0, v.ready));
                e = feed_expat(held);
                held.clear();
            }
            if (e) return e;
        }
        if (v.restricted) {
            fail("restricted-xml", *v.restricted);
            return error;
        }
        held.append(bytes.substr(v.ready));
        // What the gate holds is an unfinished tag: it counts towards the stanza limit.
        if (over_stanza_limit(received())) return error;
        return std::nullopt;
    }

    std::optional<ParseError> feed_expat(std::string_view bytes)
    {
        // Expat takes an int length; a larger chunk goes in pieces.
        constexpr std::size_t max_piece = 1u << 30;
        do {
            const std::size_t n = std::min(bytes.size(), max_piece);
            if (XML_Parse(parser, bytes.data(), static_cast<int>(n), XML_FALSE) != XML_STATUS_OK) {
                if (!error) fail_from_expat();
                return error;
            }
            fed += static_cast<long long>(n);
            bytes.remove_prefix(n);
            // An unfinished token (a huge start tag or attribute) is buffered by expat and
            // reaches no handler: bound it here.
            if (over_stanza_limit(fed)) return error;
        } while (!bytes.empty());
        return std::nullopt;
    }
};

StreamParser::StreamParser(ParserLimits limits, Framing framing) : impl_(std::make_unique<Impl>(limits, framing)) {}
StreamParser::~StreamParser() = default;
StreamParser::StreamParser(StreamParser&&) noexcept = default;
StreamParser& StreamParser::operator=(StreamParser&&) noexcept = default;

std::optional<ParseError> StreamParser::feed(std::string_view bytes) { return impl_->feed(bytes); }

std::optional<StreamEvent> StreamParser::next()
{
    auto& events = impl_->events;
    if (impl_->first == events.size()) return std::nullopt;
    StreamEvent ev = std::move(events[impl_->first++]);
    if (impl_->first == events.size()) {
        events.clear();
        impl_->first = 0;
    }
    return ev;
}

bool StreamParser::release_idle() { return impl_->release(); }

void StreamParser::reset() { impl_->start(); }
bool StreamParser::failed() const { return impl_->error.has_value(); }

std::size_t StreamParser::current_stanza_bytes() const
{
    if (impl_->level < 1) return 0;
    return static_cast<std::size_t>(impl_->received() - impl_->mark);
}

const ParserLimits& StreamParser::limits() const { return impl_->limits; }
Framing StreamParser::framing() const { return impl_->framing; }

}  // namespace wl::proto::xml
