#pragma once
// Service discovery payloads (XEP-0030): disco#info and disco#items queries, built by the
// server for its own answers and decoded by the federation side from a partner's answers.
// Decoding is lenient where the XEP asks it to be (unknown children are kept or skipped,
// stray text is ignored) and strict on what an answer needs (identity category/type,
// feature var, item jid).
#include <string>
#include <vector>

#include "proto/codec/decode_error.hpp"
#include "proto/jid.hpp"
#include "proto/xml/element.hpp"

namespace wl::proto::codec {

struct DiscoIdentity {
    std::string category;  // required
    std::string type;      // required
    std::string name;      // optional
    std::string lang;      // xml:lang, optional
    friend bool operator==(const DiscoIdentity&, const DiscoIdentity&) = default;
};

struct DiscoInfo {
    std::string node;  // optional
    std::vector<DiscoIdentity> identities;
    std::vector<std::string> features;     // var values, in order
    std::vector<xml::Element> extensions;  // other children (XEP-0128 forms), kept as is
    bool has_feature(std::string_view var) const;
};

struct DiscoItem {
    Jid jid;
    std::string node;  // optional
    std::string name;  // optional
    friend bool operator==(const DiscoItem&, const DiscoItem&) = default;
};

struct DiscoItems {
    std::string node;
    std::vector<DiscoItem> items;
};

// <query xmlns='http://jabber.org/protocol/disco#info'/>
Decoded<DiscoInfo> decode_disco_info(const xml::Element& query);
xml::Element encode(const DiscoInfo& info);

// <query xmlns='http://jabber.org/protocol/disco#items'/>
Decoded<DiscoItems> decode_disco_items(const xml::Element& query);
xml::Element encode(const DiscoItems& items);

}  // namespace wl::proto::codec
