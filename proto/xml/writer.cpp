#include "proto/xml/writer.hpp"

#include <array>
#include <cstdint>
#include <deque>

#include "proto/ns.hpp"
#include "proto/xml/stream_parser.hpp"

namespace wl::proto::xml {

namespace {

// Byte classes, so that the common run of plain ASCII is copied in one append.
enum : std::uint8_t {
    plain = 0,
    special = 1,
    high = 2,
    forbidden = 3
};

constexpr std::array<std::uint8_t, 256> make_classes()
{
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = forbidden;
    t['\t'] = special;
    t['\n'] = special;
    t['\r'] = special;
    t['&'] = special;
    t['<'] = special;
    t['>'] = special;
    t['\''] = special;
    t['"'] = special;
    t[0x7f] = plain;
    for (int c = 0x80; c < 0x100; ++c) t[c] = high;
    return t;
}
constexpr auto byte_class = make_classes();

// Length of the valid, XML-allowed UTF-8 sequence at s[i] (a byte >= 0x80), or 0.
std::size_t utf8_char_len(std::string_view s, std::size_t i)
{
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((b(k) & 0xC0u) != 0x80u) return 0;
        cp = (cp << 6) | (b(k) & 0x3Fu);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)) return 0;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
    return len;
}

[[noreturn]] void reject(std::string_view what, std::size_t at)
{
    throw XmlWriteError("character not allowed in XML " + std::string(what) + " at byte " + std::to_string(at));
}

// Appends s escaped; in_attr also escapes quotes and the whitespace that attribute-value
// normalisation would otherwise turn into spaces. A CR is escaped everywhere because a
// parser turns a literal one into LF.
void append_escaped(std::string& out, std::string_view s, bool in_attr)
{
    std::size_t run = 0;
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const std::uint8_t cls = byte_class[c];
        if (cls == plain) {
            ++i;
            continue;
        }
        if (cls == high) {
            const std::size_t len = utf8_char_len(s, i);
            if (len == 0) reject(in_attr ? "attribute" : "text", i);
            i += len;
            continue;
        }
        if (cls == forbidden) reject(in_attr ? "attribute" : "text", i);
        const char* rep = nullptr;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '\r':
            rep = "&#13;";
            break;
        case '\'':
            rep = in_attr ? "&apos;" : nullptr;
            break;
        case '"':
            rep = in_attr ? "&quot;" : nullptr;
            break;
        case '\t':
            rep = in_attr ? "&#9;" : nullptr;
            break;
        case '\n':
            rep = in_attr ? "&#10;" : nullptr;
            break;
        default:
            break;
        }
        if (rep) {
            out.append(s.data() + run, i - run);
            out.append(rep);
            run = i + 1;
        }
        ++i;
    }
    out.append(s.data() + run, n - run);
}

// A cheap guard against markup injection through a name: not a full XML Name check, but no
// name we write can break out of its tag.
void check_name(std::string_view name)
{
    if (name.empty()) throw XmlWriteError("empty XML name");
    for (std::size_t i = 0; i < name.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(name[i]);
        if (c >= 0x80) {
            const std::size_t len = utf8_char_len(name, i);
            if (len == 0) throw XmlWriteError("invalid UTF-8 in XML name");
            i += len - 1;
            continue;
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                        (i > 0 && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
        if (!ok) throw XmlWriteError("invalid XML name '" + std::string(name) + "'");
    }
}

struct Binding {
    std::string_view prefix;
    std::string_view ns;
};

class Writer {
public:
    Writer(std::string& out, const WriteContext& ctx) : out_(out)
    {
        for (const auto& [prefix, ns] : ctx.prefixes) scope_.push_back({prefix, ns});
    }

    void write(const Element& e, std::string_view default_ns)
    {
        const std::size_t scope_mark = scope_.size();
        const std::size_t tag_start = out_.size();
        check_name(e.name());
        out_ += '<';
        std::string_view child_default = default_ns;
        std::string_view prefix;
        bool declare_default = false;
        if (e.ns() != default_ns) {
            if (e.ns() == ns::xml) {
                prefix = "xml";  // always bound, and may not be declared as a default
            } else if (const Binding* b = find(e.ns())) {
                prefix = b->prefix;
            } else {
                declare_default = true;
                child_default = e.ns();
            }
        }
        if (!prefix.empty()) {
            out_.append(prefix);
            out_ += ':';
        }
        out_.append(e.name());
        const std::size_t name_end = out_.size();
        if (declare_default) {
            out_.append(" xmlns='");
            append_escaped(out_, e.ns(), true);
            out_ += '\'';
        }
        for (const Attribute& a : e.attrs()) write_attr(a);
        if (e.nodes().empty()) {
            out_.append("/>");
        } else {
            out_ += '>';
            for (const Element::Node& n : e.nodes()) {
                if (n.element)
                    write(*n.element, child_default);
                else
                    append_escaped(out_, n.text, false);
            }
            out_.append("</");
            out_.append(out_, tag_start + 1, name_end - tag_start - 1);
            out_ += '>';
        }
        scope_.resize(scope_mark);
    }

    void write_attr(const Attribute& a)
    {
        if (a.ns == xmlns_ns) return;  // declarations are derived from the namespaces in use
        check_name(a.name);
        out_ += ' ';
        if (a.ns == ns::xml) {
            out_.append("xml:");
        } else if (!a.ns.empty()) {
            const Binding* b = find(a.ns);
            if (!b) b = &declare(a.ns);
            out_.append(b->prefix);
            out_ += ':';
        }
        out_.append(a.name);
        out_.append("='");
        append_escaped(out_, a.value, true);
        out_ += '\'';
    }

    // The innermost binding for ns whose prefix no inner binding has taken over.
    const Binding* find(std::string_view ns) const
    {
        for (std::size_t i = scope_.size(); i-- > 0;) {
            if (scope_[i].ns != ns) continue;
            bool shadowed = false;
            for (std::size_t j = i + 1; j < scope_.size() && !shadowed; ++j)
                shadowed = scope_[j].prefix == scope_[i].prefix;
            if (!shadowed) return &scope_[i];
        }
        return nullptr;
    }

    // A prefix for a namespaced attribute whose namespace has none in scope; declared on the
    // element being written (its attribute list is still open).
    const Binding& declare(std::string_view ns)
    {
        generated_.push_back("wl" + std::to_string(generated_.size()));
        out_.append("xmlns:");
        out_.append(generated_.back());
        out_.append("='");
        append_escaped(out_, ns, true);
        out_.append("' ");
        scope_.push_back({generated_.back(), ns});
        return scope_.back();
    }

private:
    std::string& out_;
    std::vector<Binding> scope_;
    std::deque<std::string> generated_;  // stable storage for generated prefixes
};

}  // namespace

bool is_valid_xml_text(std::string_view text)
{
    for (std::size_t i = 0; i < text.size();) {
        const std::uint8_t cls = byte_class[static_cast<unsigned char>(text[i])];
        if (cls == forbidden) return false;
        if (cls == high) {
            const std::size_t len = utf8_char_len(text, i);
            if (len == 0) return false;
            i += len;
        } else {
            ++i;
        }
    }
    return true;
}

void serialize_to(std::string& out, const Element& element, const WriteContext& ctx)
{
    Writer(out, ctx).write(element, ctx.default_ns);
}

std::string serialize(const Element& element, const WriteContext& ctx)
{
    std::string out;
    out.reserve(256);
    serialize_to(out, element, ctx);
    return out;
}

std::string open_stream_tag(const Element& header, const WriteContext& ctx)
{
    std::string out = "<?xml version='1.0'?><";
    std::string_view stream_prefix;
    for (const auto& [prefix, ns] : ctx.prefixes)
        if (ns == header.ns()) stream_prefix = prefix;
    if (stream_prefix.empty()) stream_prefix = "stream";
    out.append(stream_prefix);
    out += ':';
    check_name(header.name());
    out.append(header.name());
    if (!ctx.default_ns.empty()) {
        out.append(" xmlns='");
        append_escaped(out, ctx.default_ns, true);
        out += '\'';
    }
    bool stream_declared = false;
    for (const auto& [prefix, ns] : ctx.prefixes) {
        check_name(prefix);
        out.append(" xmlns:");
        out.append(prefix);
        out.append("='");
        append_escaped(out, ns, true);
        out += '\'';
        stream_declared = stream_declared || prefix == stream_prefix;
    }
    if (!stream_declared) {
        out.append(" xmlns:");
        out.append(stream_prefix);
        out.append("='");
        append_escaped(out, header.ns(), true);
        out += '\'';
    }
    std::string attrs;
    {
        // Attributes go through the same code as any element's, with ctx's prefixes in scope.
        Writer w(attrs, ctx);
        for (const Attribute& a : header.attrs()) w.write_attr(a);
    }
    out.append(attrs);
    out += '>';
    return out;
}

std::string_view close_stream_tag() { return "</stream:stream>"; }

}  // namespace wl::proto::xml
