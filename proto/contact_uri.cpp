#include "proto/contact_uri.hpp"

// libphonenumber's headers use std types without including them.
#include <string>
#include <utility>

#include <idna.h>
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <cstdlib>

#include "proto/sasl/utf8.hpp"

namespace wl::proto {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t max_tel_value_bytes = 64;
constexpr std::size_t max_local_part_bytes = 64;
constexpr std::size_t max_domain_bytes = 255;
constexpr std::size_t max_address_bytes = 254;
// Bounds the work done on hostile input before any of the length rules above apply.
constexpr std::size_t max_raw_mailto_bytes = 1024;

// libphonenumber logs parse problems with the number in the message; installing the null
// logger before first use keeps personal data out of stderr. GetInstance is thread-safe and
// the static's initialisation orders SetLogger before any parse.
const PhoneNumberUtil& phone_util()
{
    static PhoneNumberUtil* const util = [] {
        PhoneNumberUtil* u = PhoneNumberUtil::GetInstance();
        u->SetLogger(new i18n::phonenumbers::NullLogger);  // takes ownership
        return u;
    }();
    return *util;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string lower(std::string_view s)
{
    std::string out{s};
    for (char& c : out) c = ascii_lower(c);
    return out;
}

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::string_view trim(std::string_view s)
{
    constexpr std::string_view space = " \t\r\n";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Drops "tel:" / "mailto:" (any case) if present; reports whether it was there.
std::string_view strip_prefix(std::string_view value, std::string_view scheme)
{
    if (value.size() > scheme.size() && value[scheme.size()] == ':' && iequals(value.substr(0, scheme.size()), scheme))
        return value.substr(scheme.size() + 1);
    return value;
}

UriParseResult invalid(std::string reason) { return {std::nullopt, UriProblem::invalid, std::move(reason)}; }

UriParseResult ok(UriScheme scheme, std::string value)
{
    std::string canonical{scheme_name(scheme)};
    canonical += ':';
    canonical += value;
    return {ContactUri{scheme, std::move(canonical), std::move(value)}, UriProblem::invalid, {}};
}

// ---------------------------------------------------------------------------------------
// tel

UriParseResult parse_tel(std::string_view raw, const UriPolicy& policy)
{
    const std::string_view value = strip_prefix(raw, "tel");
    if (value.empty()) return invalid("empty telephone number");
    if (value.size() > max_tel_value_bytes) return invalid("telephone number too long");
    if (value.find(';') != std::string_view::npos)
        return invalid("telephone URI parameters (ext, phone-context, isub) are not accepted");
    std::size_t digits = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (c >= '0' && c <= '9')
            ++digits;
        else if (c == '+' && i == 0)
            continue;
        else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
            continue;
        else
            return invalid("telephone number contains a character other than digits and separators");
    }
    if (digits == 0) return invalid("telephone number has no digits");

    std::string region{policy.default_region};
    for (char& c : region) c = ascii_upper(c);
    PhoneNumber number;
    const auto& util = phone_util();
    if (util.Parse(std::string{value}, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR)
        return invalid("not a telephone number");
    if (number.has_extension()) return invalid("telephone extensions are not accepted");
    if (!util.IsValidNumber(number)) return invalid("not a valid telephone number");
    std::string e164;
    util.Format(number, PhoneNumberUtil::E164, &e164);
    return ok(UriScheme::tel, std::move(e164));
}

// ---------------------------------------------------------------------------------------
// mailto

bool is_atext(unsigned char c)
{
    if (c >= 0x80) return true;  // UTF-8 (RFC 6531); the whole value was checked for validity
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view{"!#$%&'*+-/=?^_`{|}~"}.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s)
{
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '.') {
            if (s[i - 1] == '.') return false;
        } else if (!is_atext(c)) {
            return false;
        }
    }
    return true;
}

// quoted-string = DQUOTE *( qtextSMTP / quoted-pairSMTP ) DQUOTE, returning the content
// with the quoting removed. `end` receives the index just past the closing quote.
std::optional<std::string> parse_quoted(std::string_view s, std::size_t& end)
{
    std::string content;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"') {
            end = i + 1;
            return content;
        }
        if (c == '\\') {
            if (i + 1 >= s.size()) return std::nullopt;
            const auto q = static_cast<unsigned char>(s[i + 1]);
            if (q < 32 || q > 126) return std::nullopt;
            content += static_cast<char>(q);
            ++i;
        } else if (c >= 0x80 || (c >= 32 && c <= 126)) {
            content += static_cast<char>(c);
        } else {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

// The canonical spelling of a local part: bare if it is a dot-atom, else quoted with the
// fewest escapes, so that every spelling of one mailbox gives one key.
std::string canonical_local(const std::string& content)
{
    if (is_dot_atom(content)) return content;
    std::string out = "\"";
    for (char c : content) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::optional<std::string> canonical_domain(std::string_view domain)
{
    if (domain.empty() || domain.size() > max_raw_mailto_bytes) return std::nullopt;
    if (domain.front() == '[') return std::nullopt;  // address literals name no provider
    for (char c : domain)
        if (c == '\0' || c == '@' || c == ',' || c == ' ') return std::nullopt;
    const std::string input{domain};
    char* ascii = nullptr;
    const int rc = idna_to_ascii_8z(input.c_str(), &ascii, IDNA_USE_STD3_ASCII_RULES);
    if (rc != IDNA_SUCCESS || ascii == nullptr) {
        std::free(ascii);
        return std::nullopt;
    }
    std::string out = lower(ascii);
    std::free(ascii);
    if (out.empty() || out.size() > max_domain_bytes) return std::nullopt;
    // STD3 rules already refuse non-LDH labels; empty labels and their lengths are ours.
    std::size_t start = 0;
    while (true) {
        const auto dot = out.find('.', start);
        const auto label =
            std::string_view{out}.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return std::nullopt;
        for (char c : label)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return out;
}

UriParseResult parse_mailto(std::string_view raw)
{
    const std::string_view value = strip_prefix(raw, "mailto");
    if (value.empty()) return invalid("empty e-mail address");
    if (value.size() > max_raw_mailto_bytes) return invalid("e-mail address too long");
    if (!sasl::is_valid_utf8(value)) return invalid("e-mail address is not UTF-8");
    if (value.find_first_of("?#%") != std::string_view::npos)
        return invalid("mailto headers, fragments and percent-encoding are not accepted");

    std::string local;
    std::size_t at = 0;
    if (value.front() == '"') {
        std::size_t end = 0;
        auto content = parse_quoted(value, end);
        if (!content || end >= value.size() || value[end] != '@') return invalid("malformed quoted local part");
        local = canonical_local(*content);
        at = end;
    } else {
        at = value.find('@');
        if (at == std::string_view::npos) return invalid("e-mail address has no '@'");
        if (!is_dot_atom(value.substr(0, at))) return invalid("malformed local part");
        local = std::string{value.substr(0, at)};
    }
    const std::string_view domain = value.substr(at + 1);
    if (domain.find('@') != std::string_view::npos) return invalid("e-mail address has more than one '@'");
    if (local.size() > max_local_part_bytes) return invalid("local part longer than 64 bytes");
    auto ascii_domain = canonical_domain(domain);
    if (!ascii_domain) return invalid("malformed mail domain");
    std::string address = local + "@" + *ascii_domain;
    if (address.size() > max_address_bytes) return invalid("e-mail address longer than 254 bytes");
    return ok(UriScheme::mailto, std::move(address));
}

bool policy_allows(const UriPolicy& policy, std::string_view scheme)
{
    return std::any_of(policy.schemes.begin(), policy.schemes.end(),
                       [&](const std::string& s) { return iequals(s, scheme); });
}

bool is_uri_scheme(std::string_view s)
{
    if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
               c == '.';
    });
}

}  // namespace

std::string_view scheme_name(UriScheme scheme) noexcept { return scheme == UriScheme::tel ? "tel" : "mailto"; }

bool is_known_phone_region(std::string_view region)
{
    if (region.size() != 2) return false;
    std::string upper{region};
    for (char& c : upper) c = ascii_upper(c);
    return phone_util().GetCountryCodeForRegion(upper) != 0;
}

UriParseResult parse_contact_uri(std::string_view scheme, std::string_view value, const UriPolicy& policy)
{
    const bool is_tel = iequals(scheme, "tel");
    if ((!is_tel && !iequals(scheme, "mailto")) || !policy_allows(policy, scheme))
        return {std::nullopt, UriProblem::unsupported_scheme, "unsupported URI scheme"};
    const std::string_view v = trim(value);
    return is_tel ? parse_tel(v, policy) : parse_mailto(v);
}

UriParseResult parse_contact_uri(std::string_view uri, const UriPolicy& policy)
{
    const std::string_view v = trim(uri);
    const auto colon = v.find(':');
    if (colon == std::string_view::npos || !is_uri_scheme(v.substr(0, colon)))
        return invalid("not a URI: the scheme is missing");
    // The value parsers accept the prefixed form, so the whole string is passed on.
    return parse_contact_uri(v.substr(0, colon), v, policy);
}

bool matches_served(const ContactUri& uri, const std::vector<std::string>& tel_prefixes_or_mail_domains)
{
    std::optional<std::string> mail_domain;
    if (uri.scheme == UriScheme::mailto) mail_domain = uri.value.substr(uri.value.rfind('@') + 1);

    for (const std::string& raw_entry : tel_prefixes_or_mail_domains) {
        const std::string_view entry = trim(raw_entry);
        const std::string_view digits = !entry.empty() && entry.front() == '+' ? entry.substr(1) : entry;
        const bool is_tel_prefix =
            !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (uri.scheme == UriScheme::tel) {
            // uri.value is "+<digits>"
            if (is_tel_prefix && std::string_view{uri.value}.substr(1).substr(0, digits.size()) == digits) return true;
        } else if (!is_tel_prefix) {
            const auto domain = canonical_domain(entry);
            if (domain && *domain == *mail_domain) return true;
        }
    }
    return false;
}

}  // namespace wl::proto
