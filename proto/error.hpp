#pragma once
// XMPP errors as values: stanza errors (RFC 6120 §8.3) with the legacy `code` attribute of
// XEP-0086 that XEP-0130's examples carry, stream errors (§4.9) and SASL failures (§6.5).
// Expected failures travel as these values; exceptions are for bugs.
#include <optional>
#include <string>
#include <string_view>

#include "proto/ns.hpp"
#include "proto/xml/element.hpp"

namespace wl::proto {

// ---- stanza errors (RFC 6120 §8.3) ----

enum class ErrorType {
    auth,
    cancel,
    continue_,
    modify,
    wait
};

// Every defined condition of RFC 6120 §8.3.3, in the RFC's order.
enum class StanzaCondition {
    bad_request,
    conflict,
    feature_not_implemented,
    forbidden,
    gone,
    internal_server_error,
    item_not_found,
    jid_malformed,
    not_acceptable,
    not_allowed,
    not_authorized,
    policy_violation,
    recipient_unavailable,
    redirect,
    registration_required,
    remote_server_not_found,
    remote_server_timeout,
    resource_constraint,
    service_unavailable,
    subscription_required,
    undefined_condition,
    unexpected_request,
};
inline constexpr int stanza_condition_count = 22;

struct StanzaError {
    ErrorType type = ErrorType::cancel;
    StanzaCondition condition = StanzaCondition::undefined_condition;
    std::string text;       // human-readable, optional
    std::string by;         // entity that generated the error, optional
    std::string alternate;  // XMPP URI carried by <gone/> and <redirect/>, optional
};

std::string_view name(ErrorType type);  // "auth", "continue", ...
std::optional<ErrorType> error_type_from_name(std::string_view name);

std::string_view name(StanzaCondition condition);  // "item-not-found", ...
std::optional<StanzaCondition> stanza_condition_from_name(std::string_view name);

// The type RFC 6120 §8.3.3 gives the condition in its definition and examples.
ErrorType usual_type(StanzaCondition condition);

// The legacy numeric code of XEP-0086 §3 (item-not-found 404, bad-request 400, ...).
int legacy_code(StanzaCondition condition);

StanzaError make_stanza_error(StanzaCondition condition, std::string text = {});

// <error code='404' type='cancel'><item-not-found xmlns='urn:...:xmpp-stanzas'/>[<text/>]</error>
// in the stanza namespace of the stream it is sent on (jabber:client or jabber:server).
xml::Element to_element(const StanzaError& error, std::string_view stanza_ns = ns::client);

// Reads an <error/> element (any stanza namespace). Returns nullopt when it carries no
// known condition. A missing or unknown type is replaced by the condition's usual type,
// as peers that only send the legacy code are common.
std::optional<StanzaError> parse_stanza_error(const xml::Element& error_el);

// ---- stream errors (RFC 6120 §4.9) ----

// Every defined condition of RFC 6120 §4.9.3, in the RFC's order.
enum class StreamCondition {
    bad_format,
    bad_namespace_prefix,
    conflict,
    connection_timeout,
    host_gone,
    host_unknown,
    improper_addressing,
    internal_server_error,
    invalid_from,
    invalid_namespace,
    invalid_xml,
    not_authorized,
    not_well_formed,
    policy_violation,
    remote_connection_failed,
    reset,
    resource_constraint,
    restricted_xml,
    see_other_host,
    system_shutdown,
    undefined_condition,
    unsupported_encoding,
    unsupported_feature,
    unsupported_stanza_type,
    unsupported_version,
};
inline constexpr int stream_condition_count = 25;

std::string_view name(StreamCondition condition);  // "not-well-formed", ...
std::optional<StreamCondition> stream_condition_from_name(std::string_view name);

// <stream:error><cond xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>[<text/>]</stream:error>
// (element "error" in ns::stream). For see-other-host, `text` is not used for the host:
// pass the host as `see_other_host`, it becomes the condition element's content.
xml::Element make_stream_error(StreamCondition condition, std::string text = {}, std::string see_other_host = {});

struct StreamError {
    StreamCondition condition = StreamCondition::undefined_condition;
    std::string text;
    std::string see_other_host;
};
// Reads a received <stream:error/>; nullopt when it carries no known condition.
std::optional<StreamError> parse_stream_error(const xml::Element& error_el);

// ---- SASL failures (RFC 6120 §6.5) ----

enum class SaslCondition {
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
inline constexpr int sasl_condition_count = 11;

std::string_view name(SaslCondition condition);
std::optional<SaslCondition> sasl_condition_from_name(std::string_view name);

// <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><cond/>[<text/>]</failure>
xml::Element make_sasl_failure(SaslCondition condition, std::string text = {});

struct ParsedSaslFailure {
    SaslCondition condition = SaslCondition::not_authorized;
    std::string text;
};
std::optional<ParsedSaslFailure> parse_sasl_failure(const xml::Element& failure_el);

}  // namespace wl::proto
