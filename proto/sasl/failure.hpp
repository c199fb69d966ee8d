#pragma once
// The SASL failure conditions of RFC 6120 section 6.5, as values. The c2s negotiation turns
// one into <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><condition/><text/></failure>.

#include <string_view>

namespace wl::proto::sasl {

enum class SaslFailure {
    aborted,
    account_disabled,
    credentials_expired,
    encryption_required,
    incorrect_encoding,
    invalid_authzid,
    invalid_mechanism,
    malformed_request,
    mechanism_too_weak,
    not_authorized,
    temporary_auth_failure,
};

// The element name of the condition: "malformed-request", "not-authorized", ...
std::string_view failure_condition(SaslFailure failure) noexcept;

}  // namespace wl::proto::sasl
