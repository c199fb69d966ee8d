#pragma once
// Contact URIs of XEP-0130 (<uri scheme='tel'|'mailto'>value</uri>) and their canonical form,
// the key every match uses: the directory, waiting list items and partner queries all store
// and compare ContactUri::canonical.
//
// tel: through libphonenumber to E.164 ("tel:+13035550100"). The value may carry the
//   "tel:" prefix or not (the XEP's examples give bare values), visual separators
//   ("+1 (303) 555-0100", "+1-303-555-0100"), or be a national number read in
//   UriPolicy::default_region. It must be a number libphonenumber holds valid.
//   Any URI parameter (";ext=...", ";phone-context=...", ";isub=...") makes the value
//   invalid: an extension or subaddress does not identify a person's IM account, and keeping
//   one would split one contact into several canonical forms; a phone-context we cannot
//   resolve. Letters (vanity numbers) are invalid too. "tel:3033083282" without the
//   phone-context RFC 3966 would ask for is read in the default region, as a bare value is.
// mailto: an RFC 5321 addr-spec. Exactly one recipient; '?' (URI headers), '#' and '%' are
//   invalid (percent-encoding is not decoded, so the canonical form re-parses to itself).
//   The local part (dot-atom or quoted-string, UTF-8 allowed as in RFC 6531, at most 64
//   bytes) keeps its case, because RFC 5321 leaves local parts case-sensitive; a quoted
//   local part that needs no quotes is written unquoted ("abc"@x == abc@x). The domain is
//   IDNA (ToASCII, STD3 rules) encoded and lower-cased, at most 255 bytes, no address
//   literals; the whole address at most 254 bytes.
//
// Scheme names compare case-insensitively. Parsing is pure and thread-safe; nothing about the
// number or address is ever logged (libphonenumber's own logger is silenced).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wl::proto {

enum class UriScheme {
    tel,
    mailto
};

std::string_view scheme_name(UriScheme scheme) noexcept;  // "tel", "mailto"

struct ContactUri {
    UriScheme scheme;
    std::string canonical;  // "tel:+13035550100", "mailto:Local@example.org"
    std::string value;      // canonical without the scheme prefix: "+13035550100"

    friend bool operator==(const ContactUri& a, const ContactUri& b) { return a.canonical == b.canonical; }
};

enum class UriProblem {
    unsupported_scheme,  // the service does not handle it: bad-request (XEP-0130 example 9)
    invalid,             // the value is not a usable tel:/mailto: address: not-acceptable
};

struct UriPolicy {
    std::string default_region = "US";  // ISO 3166 alpha-2 (any case), for national numbers
    std::vector<std::string> schemes = {"tel", "mailto"};
};

// Either a ContactUri or the problem with a sentence that never repeats the value (it is
// personal data and may end up in logs or error texts).
struct UriParseResult {
    std::optional<ContactUri> uri;
    UriProblem problem = UriProblem::invalid;  // meaningful only when !uri
    std::string reason;

    explicit operator bool() const noexcept { return uri.has_value(); }
};

// Whether libphonenumber knows the region ("US", "fr"; ISO 3166 alpha-2, any case), for
// checking waitlist.default_region at configuration time.
bool is_known_phone_region(std::string_view region);

// The value of <uri scheme='...'>value</uri>.
UriParseResult parse_contact_uri(std::string_view scheme, std::string_view value, const UriPolicy& policy);

// A whole URI, "tel:+1-303-555-0100" or "mailto:a@example.org" (the admin API's form).
// A string without a scheme is invalid.
UriParseResult parse_contact_uri(std::string_view uri, const UriPolicy& policy);

// Whether this provider (or a partner) serves the contact, per its `serves` lists: an
// E.164 prefix such as "+33" matches tel: values starting with it ("+" optional in the
// entry); a mail domain such as "example.org" matches mailto: addresses in exactly that
// domain (compared in IDNA ASCII form, case-insensitively). Entries of the other scheme
// are ignored, so one list may mix them.
bool matches_served(const ContactUri& uri, const std::vector<std::string>& tel_prefixes_or_mail_domains);

}  // namespace wl::proto
