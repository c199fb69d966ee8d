#include "proto/jid.hpp"

#include <arpa/inet.h>
#include <idna.h>
#include <stringprep.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace wl::proto {

namespace {

// Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). stringprep would
// otherwise be handed bytes it may misread; NUL is refused because stringprep is C-string based.
bool is_valid_utf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == 0) return false;
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        char32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else
            return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

// Runs a stringprep profile; nullopt if the input is refused or the result is too long.
// Nodes and domains are identifiers that get stored and compared, "stored strings" in
// RFC 3454 §7, so unassigned code points are refused there; resources are transient.
std::optional<std::string> prep(std::string_view in, const Stringprep_profile* profile, Stringprep_profile_flags flags)
{
    if (!is_valid_utf8(in)) return std::nullopt;
    // Case folding can lengthen a string (ß -> ss, ligatures up to 3 code points);
    // anything past 1023 bytes of output is refused anyway.
    if (in.size() > 4 * Jid::max_part_bytes) return std::nullopt;
    std::vector<char> buf(in.size() * 4 + 16, '\0');
    std::memcpy(buf.data(), in.data(), in.size());
    if (stringprep(buf.data(), buf.size(), flags, profile) != STRINGPREP_OK) return std::nullopt;
    std::string out(buf.data());
    if (out.empty() || out.size() > Jid::max_part_bytes) return std::nullopt;
    return out;
}

bool is_ipv6_literal(std::string_view d)
{
    if (d.size() < 3 || d.front() != '[' || d.back() != ']') return false;
    const std::string inner(d.substr(1, d.size() - 2));
    in6_addr addr;
    return inet_pton(AF_INET6, inner.c_str(), &addr) == 1;
}

bool is_ascii(std::string_view s)
{
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

// RFC 1123 host name label: letters, digits, hyphens, not at either end, 1..63 octets.
bool is_ldh_label(std::string_view label)
{
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

std::optional<std::string> prep_domain(std::string_view in)
{
    if (!in.empty() && in.back() == '.') in.remove_suffix(1);
    if (in.empty() || in.size() > Jid::max_part_bytes) return std::nullopt;
    if (in.front() == '[') {
        if (!is_ipv6_literal(in)) return std::nullopt;
        std::string out(in);
        for (char& c : out)
            if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        return out;
    }
    auto prepared = prep(in, stringprep_nameprep, STRINGPREP_NO_UNASSIGNED);
    if (!prepared) return std::nullopt;
    // A domainpart is a host name (RFC 7622 §3.2): labels of 1..63 octets in their ASCII
    // (IDNA) form, letters, digits and hyphens only; idna_to_ascii checks exactly that.
    std::string_view rest = *prepared;
    while (true) {
        const auto dot = rest.find('.');
        const auto label = rest.substr(0, dot);
        if (label.empty()) return std::nullopt;
        if (is_ascii(label)) {
            // The common case, checked here without a round trip through IDNA (STD3 rules).
            if (!is_ldh_label(label)) return std::nullopt;
            if (dot == std::string_view::npos) break;
            rest.remove_prefix(dot + 1);
            continue;
        }
        char* ascii = nullptr;
        const std::string label_z(label);
        const int rc = idna_to_ascii_8z(label_z.c_str(), &ascii, IDNA_USE_STD3_ASCII_RULES);
        std::unique_ptr<char, decltype(&std::free)> guard(ascii, &std::free);
        if (rc != IDNA_SUCCESS || !ascii) return std::nullopt;
        const std::size_t n = std::strlen(ascii);
        if (n == 0 || n > 63) return std::nullopt;
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    return prepared;
}

}  // namespace

std::optional<Jid> Jid::make(std::string_view node, std::string_view domain, std::string_view resource)
{
    Jid jid;
    auto d = prep_domain(domain);
    if (!d) return std::nullopt;
    jid.domain_ = std::move(*d);
    if (!node.empty()) {
        auto n = prep(node, stringprep_xmpp_nodeprep, STRINGPREP_NO_UNASSIGNED);
        if (!n) return std::nullopt;
        jid.node_ = std::move(*n);
    }
    if (!resource.empty()) {
        auto r = prep(resource, stringprep_xmpp_resourceprep, Stringprep_profile_flags{});
        if (!r) return std::nullopt;
        jid.resource_ = std::move(*r);
    }
    return jid;
}

std::optional<Jid> Jid::parse(std::string_view text)
{
    // RFC 7622 §3.1: the first '/' starts the resource (which may itself hold '@' and '/');
    // an '@' before it ends the node.
    std::string_view rest = text;
    std::string_view resource;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        resource = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
        if (resource.empty()) return std::nullopt;
    }
    std::string_view node;
    if (const auto at = rest.find('@'); at != std::string_view::npos) {
        node = rest.substr(0, at);
        rest = rest.substr(at + 1);
        if (node.empty()) return std::nullopt;
    }
    if (rest.empty()) return std::nullopt;
    return make(node, rest, resource);
}

Jid Jid::bare() const
{
    Jid j = *this;
    j.resource_.clear();
    return j;
}

Jid Jid::domain_jid() const
{
    Jid j;
    j.domain_ = domain_;
    return j;
}

std::string Jid::bare_str() const
{
    if (node_.empty()) return domain_;
    std::string s;
    s.reserve(node_.size() + 1 + domain_.size());
    s += node_;
    s += '@';
    s += domain_;
    return s;
}

std::string Jid::full() const
{
    std::string s = bare_str();
    if (!resource_.empty()) {
        s += '/';
        s += resource_;
    }
    return s;
}

}  // namespace wl::proto

std::size_t std::hash<wl::proto::Jid>::operator()(const wl::proto::Jid& jid) const noexcept
{
    // Parts are hashed separately so that "a@b/c" and a different split cannot collide
    // structurally.
    const std::hash<std::string> h;
    std::size_t seed = h(jid.node());
    seed ^= h(jid.domain()) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    seed ^= h(jid.resource()) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    return seed;
}
