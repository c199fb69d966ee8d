#pragma once
// The closed set of reasons a payload fails to decode. Each names the tag, the attribute
// and the namespace, in the sentences of ejabberd's xmpp codec, e.g.
//   Missing attribute 'scheme' in tag <uri/> qualified by namespace 'http://jabber.org/protocol/waitinglist'
// A decode error always becomes a bad-request (to_stanza_error), in this one place.
#include <cstddef>
#include <string>
#include <utility>
#include <variant>

#include "proto/error.hpp"

namespace wl::proto::codec {

struct DecodeError {
    enum class Kind {
        missing_attribute,    // a required attribute is absent
        bad_attribute_value,  // an attribute's value is outside what the shape allows
        missing_tag,          // a required child element is absent
        unknown_tag,          // a child element the shape does not allow (or a wrong root)
        duplicate_tag,        // a child element appears more often than allowed
        unexpected_cdata,     // non-whitespace text in an element that takes none
        cdata_too_long,       // text longer than the shape allows (in characters)
        bad_cdata_value,      // text that is not what the shape allows
        missing_condition,    // an <error/> without a defined condition element
    };
    Kind kind;
    std::string tag;        // local name of the offending element
    std::string ns;         // its namespace
    std::string attribute;  // for the attribute kinds
    std::size_t limit = 0;  // for cdata_too_long: the maximum, in characters

    // The sentence sent as the bad-request text.
    std::string text() const;
};

// bad-request (type modify, code 400) with the error's sentence as text.
StanzaError to_stanza_error(const DecodeError& error);

// The outcome of a decode: a value or a DecodeError (std::expected is C++23).
template <class T>
class Decoded {
public:
    Decoded(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Decoded(DecodeError error) : v_(std::in_place_index<1>, std::move(error)) {}

    explicit operator bool() const { return v_.index() == 0; }
    bool has_value() const { return v_.index() == 0; }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const DecodeError& error() const { return std::get<1>(v_); }

private:
    std::variant<T, DecodeError> v_;
};

}  // namespace wl::proto::codec
