#include "proto/codec/decode_error.hpp"

namespace wl::proto::codec {

std::string DecodeError::text() const
{
    // Never the offending value: it may be a phone number or an e-mail address.
    const std::string where = "tag <" + tag + "/> qualified by namespace '" + ns + "'";
    switch (kind) {
    case Kind::missing_attribute:
        return "Missing attribute '" + attribute + "' in " + where;
    case Kind::bad_attribute_value:
        return "Bad value of attribute '" + attribute + "' in " + where;
    case Kind::missing_tag:
        return "Missing " + where;
    case Kind::unknown_tag:
        return "Unknown " + where;
    case Kind::duplicate_tag:
        return "Duplicate " + where;
    case Kind::unexpected_cdata:
        return "Unexpected cdata in " + where;
    case Kind::cdata_too_long:
        return "Too long cdata (more than " + std::to_string(limit) + " characters) in " + where;
    case Kind::bad_cdata_value:
        return "Bad value of cdata in " + where;
    case Kind::missing_condition:
        return "Missing error condition in " + where;
    }
    return "Bad " + where;
}

StanzaError to_stanza_error(const DecodeError& error)
{
    return make_stanza_error(StanzaCondition::bad_request, error.text());
}

}  // namespace wl::proto::codec
