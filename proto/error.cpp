#include "proto/error.hpp"

#include <array>

namespace wl::proto {

namespace {

struct StanzaConditionInfo {
    StanzaCondition condition;
    std::string_view name;
    ErrorType type;  // RFC 6120 §8.3.3
    int code;        // XEP-0086 §3
};

// RFC 6120's definitions for name and type, XEP-0086's table for the code. policy-violation
// is newer than XEP-0086; 406 is what other servers (ejabberd) send for it.
constexpr std::array<StanzaConditionInfo, stanza_condition_count> stanza_conditions{{
    {StanzaCondition::bad_request, "bad-request", ErrorType::modify, 400},
    {StanzaCondition::conflict, "conflict", ErrorType::cancel, 409},
    {StanzaCondition::feature_not_implemented, "feature-not-implemented", ErrorType::cancel, 501},
    {StanzaCondition::forbidden, "forbidden", ErrorType::auth, 403},
    {StanzaCondition::gone, "gone", ErrorType::cancel, 302},
    {StanzaCondition::internal_server_error, "internal-server-error", ErrorType::cancel, 500},
    {StanzaCondition::item_not_found, "item-not-found", ErrorType::cancel, 404},
    {StanzaCondition::jid_malformed, "jid-malformed", ErrorType::modify, 400},
    {StanzaCondition::not_acceptable, "not-acceptable", ErrorType::modify, 406},
    {StanzaCondition::not_allowed, "not-allowed", ErrorType::cancel, 405},
    {StanzaCondition::not_authorized, "not-authorized", ErrorType::auth, 401},
    {StanzaCondition::policy_violation, "policy-violation", ErrorType::modify, 406},
    {StanzaCondition::recipient_unavailable, "recipient-unavailable", ErrorType::wait, 404},
    {StanzaCondition::redirect, "redirect", ErrorType::modify, 302},
    {StanzaCondition::registration_required, "registration-required", ErrorType::auth, 407},
    {StanzaCondition::remote_server_not_found, "remote-server-not-found", ErrorType::cancel, 404},
    {StanzaCondition::remote_server_timeout, "remote-server-timeout", ErrorType::wait, 504},
    {StanzaCondition::resource_constraint, "resource-constraint", ErrorType::wait, 500},
    {StanzaCondition::service_unavailable, "service-unavailable", ErrorType::cancel, 503},
    {StanzaCondition::subscription_required, "subscription-required", ErrorType::auth, 407},
    {StanzaCondition::undefined_condition, "undefined-condition", ErrorType::cancel, 500},
    {StanzaCondition::unexpected_request, "unexpected-request", ErrorType::wait, 400},
}};

const StanzaConditionInfo& info(StanzaCondition c) { return stanza_conditions[static_cast<std::size_t>(c)]; }

// The tables are indexed by the enum's value: a misordered row is a compile error.
template <class Table>
constexpr bool indexed_by_enum(const Table& table)
{
    for (std::size_t i = 0; i < table.size(); ++i)
        if (static_cast<std::size_t>(table[i].first) != i) return false;
    return true;
}

constexpr bool stanza_table_ordered()
{
    for (std::size_t i = 0; i < stanza_conditions.size(); ++i)
        if (static_cast<std::size_t>(stanza_conditions[i].condition) != i) return false;
    return true;
}
static_assert(stanza_table_ordered());

constexpr std::array<std::pair<ErrorType, std::string_view>, 5> error_types{{
    {ErrorType::auth, "auth"},
    {ErrorType::cancel, "cancel"},
    {ErrorType::continue_, "continue"},
    {ErrorType::modify, "modify"},
    {ErrorType::wait, "wait"},
}};
static_assert(indexed_by_enum(error_types));

constexpr std::array<std::pair<StreamCondition, std::string_view>, stream_condition_count> stream_conditions{{
    {StreamCondition::bad_format, "bad-format"},
    {StreamCondition::bad_namespace_prefix, "bad-namespace-prefix"},
    {StreamCondition::conflict, "conflict"},
    {StreamCondition::connection_timeout, "connection-timeout"},
    {StreamCondition::host_gone, "host-gone"},
    {StreamCondition::host_unknown, "host-unknown"},
    {StreamCondition::improper_addressing, "improper-addressing"},
    {StreamCondition::internal_server_error, "internal-server-error"},
    {StreamCondition::invalid_from, "invalid-from"},
    {StreamCondition::invalid_namespace, "invalid-namespace"},
    {StreamCondition::invalid_xml, "invalid-xml"},
    {StreamCondition::not_authorized, "not-authorized"},
    {StreamCondition::not_well_formed, "not-well-formed"},
    {StreamCondition::policy_violation, "policy-violation"},
    {StreamCondition::remote_connection_failed, "remote-connection-failed"},
    {StreamCondition::reset, "reset"},
    {StreamCondition::resource_constraint, "resource-constraint"},
    {StreamCondition::restricted_xml, "restricted-xml"},
    {StreamCondition::see_other_host, "see-other-host"},
    {StreamCondition::system_shutdown, "system-shutdown"},
    {StreamCondition::undefined_condition, "undefined-condition"},
    {StreamCondition::unsupported_encoding, "unsupported-encoding"},
    {StreamCondition::unsupported_feature, "unsupported-feature"},
    {StreamCondition::unsupported_stanza_type, "unsupported-stanza-type"},
    {StreamCondition::unsupported_version, "unsupported-version"},
}};
static_assert(indexed_by_enum(stream_conditions));

constexpr std::array<std::pair<SaslCondition, std::string_view>, sasl_condition_count> sasl_conditions{{
    {SaslCondition::aborted, "aborted"},
    {SaslCondition::account_disabled, "account-disabled"},
    {SaslCondition::credentials_expired, "credentials-expired"},
    {SaslCondition::encryption_required, "encryption-required"},
    {SaslCondition::incorrect_encoding, "incorrect-encoding"},
    {SaslCondition::invalid_authzid, "invalid-authzid"},
    {SaslCondition::invalid_mechanism, "invalid-mechanism"},
    {SaslCondition::malformed_request, "malformed-request"},
    {SaslCondition::mechanism_too_weak, "mechanism-too-weak"},
    {SaslCondition::not_authorized, "not-authorized"},
    {SaslCondition::temporary_auth_failure, "temporary-auth-failure"},
}};
static_assert(indexed_by_enum(sasl_conditions));

template <class Table>
auto lookup(const Table& table, std::string_view name) -> std::optional<typename Table::value_type::first_type>
{
    for (const auto& [value, n] : table)
        if (n == name) return value;
    return std::nullopt;
}

// The condition child of an error element: the first child in `cond_ns` other than <text/>.
template <class F>
void for_condition_children(const xml::Element& el, std::string_view cond_ns, F&& f)
{
    for (const auto& node : el.nodes()) {
        if (!node.is_element()) continue;
        const xml::Element& child = *node.element;
        if (child.ns() != cond_ns || child.name() == "text") continue;
        if (f(child)) return;
    }
}

std::string text_child(const xml::Element& el, std::string_view cond_ns)
{
    if (const xml::Element* t = el.child("text", cond_ns)) return t->text();
    return {};
}

xml::Element condition_with_text(xml::Element root, std::string_view cond_ns, std::string_view cond_name,
                                 std::string_view cond_content, const std::string& text)
{
    xml::Element& cond = root.add_child(std::string(cond_name), std::string(cond_ns));
    if (!cond_content.empty()) cond.add_text(cond_content);
    if (!text.empty()) root.add_child("text", std::string(cond_ns)).add_text(text);
    return root;
}

}  // namespace

std::string_view name(ErrorType type) { return error_types[static_cast<std::size_t>(type)].second; }

std::optional<ErrorType> error_type_from_name(std::string_view n) { return lookup(error_types, n); }

std::string_view name(StanzaCondition condition) { return info(condition).name; }

std::optional<StanzaCondition> stanza_condition_from_name(std::string_view n)
{
    for (const auto& row : stanza_conditions)
        if (row.name == n) return row.condition;
    return std::nullopt;
}

ErrorType usual_type(StanzaCondition condition) { return info(condition).type; }

int legacy_code(StanzaCondition condition) { return info(condition).code; }

StanzaError make_stanza_error(StanzaCondition condition, std::string text)
{
    StanzaError e;
    e.type = usual_type(condition);
    e.condition = condition;
    e.text = std::move(text);
    return e;
}

xml::Element to_element(const StanzaError& error, std::string_view stanza_ns)
{
    xml::Element el("error", std::string(stanza_ns));
    // XEP-0086: keep sending the legacy code beside the type, as XEP-0130's examples do.
    el.set_attr("code", std::to_string(legacy_code(error.condition)));
    el.set_attr("type", name(error.type));
    if (!error.by.empty()) el.set_attr("by", error.by);
    const bool carries_uri = error.condition == StanzaCondition::gone || error.condition == StanzaCondition::redirect;
    return condition_with_text(std::move(el), ns::stanzas_err, name(error.condition),
                               carries_uri ? std::string_view(error.alternate) : std::string_view(), error.text);
}

std::optional<StanzaError> parse_stanza_error(const xml::Element& error_el)
{
    if (error_el.name() != "error") return std::nullopt;
    std::optional<StanzaError> out;
    for_condition_children(error_el, ns::stanzas_err, [&](const xml::Element& c) {
        auto cond = stanza_condition_from_name(c.name());
        if (!cond) return false;
        out = make_stanza_error(*cond);
        if (*cond == StanzaCondition::gone || *cond == StanzaCondition::redirect) out->alternate = c.text();
        return true;
    });
    if (!out) return std::nullopt;
    if (const std::string* t = error_el.attr("type"))
        if (auto type = error_type_from_name(*t)) out->type = *type;
    out->by = error_el.attr_or("by");
    out->text = text_child(error_el, ns::stanzas_err);
    return out;
}

std::string_view name(StreamCondition condition)
{
    return stream_conditions[static_cast<std::size_t>(condition)].second;
}

std::optional<StreamCondition> stream_condition_from_name(std::string_view n) { return lookup(stream_conditions, n); }

xml::Element make_stream_error(StreamCondition condition, std::string text, std::string see_other_host)
{
    return condition_with_text(xml::Element("error", std::string(ns::stream)), ns::streams_err, name(condition),
                               condition == StreamCondition::see_other_host ? std::string_view(see_other_host)
                                                                            : std::string_view(),
                               text);
}

std::optional<StreamError> parse_stream_error(const xml::Element& error_el)
{
    if (!error_el.is("error", ns::stream)) return std::nullopt;
    std::optional<StreamError> out;
    for_condition_children(error_el, ns::streams_err, [&](const xml::Element& c) {
        auto cond = stream_condition_from_name(c.name());
        if (!cond) return false;
        out = StreamError{*cond, {}, {}};
        if (*cond == StreamCondition::see_other_host) out->see_other_host = c.text();
        return true;
    });
    if (out) out->text = text_child(error_el, ns::streams_err);
    return out;
}

std::string_view name(SaslCondition condition) { return sasl_conditions[static_cast<std::size_t>(condition)].second; }

std::optional<SaslCondition> sasl_condition_from_name(std::string_view n) { return lookup(sasl_conditions, n); }

xml::Element make_sasl_failure(SaslCondition condition, std::string text)
{
    return condition_with_text(xml::Element("failure", std::string(ns::sasl)), ns::sasl, name(condition), {}, text);
}

std::optional<ParsedSaslFailure> parse_sasl_failure(const xml::Element& failure_el)
{
    if (!failure_el.is("failure", ns::sasl)) return std::nullopt;
    std::optional<ParsedSaslFailure> out;
    for_condition_children(failure_el, ns::sasl, [&](const xml::Element& c) {
        auto cond = sasl_condition_from_name(c.name());
        if (!cond) return false;
        out = ParsedSaslFailure{*cond, {}};
        return true;
    });
    if (out) out->text = text_child(failure_el, ns::sasl);
    return out;
}

}  // namespace wl::proto
