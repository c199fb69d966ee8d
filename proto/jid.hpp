#pragma once
// JIDs (RFC 7622). A Jid holds only prepared parts (nodeprep, nameprep, resourceprep of
// libidn's stringprep), so it cannot exist invalid and compares by its prepared form:
// "Juliet@Example.COM" and "juliet@example.com" are the same Jid.
#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wl::proto {

class Jid {
public:
    // Each part is at most this many bytes once prepared (RFC 7622 §3.1).
    static constexpr std::size_t max_part_bytes = 1023;

    // "[node@]domain[/resource]". Rejects empty parts that are present ("@d", "n@", "d/"),
    // parts that fail their stringprep profile or are longer than 1023 bytes, invalid
    // UTF-8, and domains that are not host names or bracketed IPv6 literals. One trailing
    // dot of the domain is dropped ("example.com." is "example.com").
    static std::optional<Jid> parse(std::string_view text);

    // From separate parts; an empty node or resource means "absent".
    static std::optional<Jid> make(std::string_view node, std::string_view domain, std::string_view resource = {});

    const std::string& node() const { return node_; }  // empty when absent
    const std::string& domain() const { return domain_; }
    const std::string& resource() const { return resource_; }  // empty when absent
    bool has_node() const { return !node_.empty(); }
    bool has_resource() const { return !resource_.empty(); }

    bool is_bare() const { return resource_.empty(); }
    Jid bare() const;        // this Jid without its resource
    Jid domain_jid() const;  // just the domain

    std::string full() const;      // node@domain/resource, parts that are present
    std::string bare_str() const;  // node@domain

    friend bool operator==(const Jid&, const Jid&) = default;
    friend std::strong_ordering operator<=>(const Jid&, const Jid&) = default;

private:
    Jid() = default;
    std::string node_;
    std::string domain_;
    std::string resource_;
};

}  // namespace wl::proto

template <>
struct std::hash<wl::proto::Jid> {
    std::size_t operator()(const wl::proto::Jid& jid) const noexcept;
};
