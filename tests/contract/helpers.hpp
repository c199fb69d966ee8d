#pragma once
// Small builders shared by the contract test cases.

#include <algorithm>
#include <string>
#include <vector>

#include "storage/job_payload.hpp"
#include "storage/store.hpp"

namespace wl::storage::test {

inline Bytes bytes_of(std::initializer_list<int> values)
{
    Bytes b;
    for (int v : values) b.push_back(static_cast<std::uint8_t>(v));
    return b;
}

inline ScramCredential credential(ScramMechanism m, std::uint8_t seed)
{
    ScramCredential c;
    c.mechanism = m;
    c.iterations = 4096 + seed;
    // Zero bytes and high bytes included: keys are binary, not text.
    for (int i = 0; i < 16; ++i) c.salt.push_back(static_cast<std::uint8_t>(seed + i * 17));
    for (int i = 0; i < 32; ++i) c.stored_key.push_back(static_cast<std::uint8_t>(seed * 7 + i * 31));
    for (int i = 0; i < 32; ++i) c.server_key.push_back(static_cast<std::uint8_t>(255 - seed - i));
    c.salt[0] = 0;
    return c;
}

inline NewAccount account(const std::string& jid, std::vector<std::string> uris = {})
{
    return NewAccount{jid,
                      {credential(ScramMechanism::sha1, 1), credential(ScramMechanism::sha256, 2)},
                      std::move(uris)};
}

inline NewItem item(const std::string& owner, const std::string& uri, ItemPlan plan, std::string name = "")
{
    const std::string scheme = uri.substr(0, uri.find(':'));
    return NewItem{owner, uri, uri.substr(uri.find(':') + 1), scheme, std::move(name), std::move(plan)};
}

inline ItemPlan served_here() { return ItemPlan{true, {}}; }
inline ItemPlan ask(std::vector<std::string> partners) { return ItemPlan{false, std::move(partners)}; }

inline std::vector<Job> jobs_of(Store& s, JobKind kind, const std::string& target = {})
{
    auto all = s.list_jobs();
    std::vector<Job> out;
    std::copy_if(all.begin(), all.end(), std::back_inserter(out),
                 [&](const Job& j) { return j.kind == kind && (target.empty() || j.target == target); });
    return out;
}

/// The decoded push payloads queued for `owner`, oldest first.
inline std::vector<PushPayload> pushes_for(Store& s, const std::string& owner)
{
    std::vector<PushPayload> out;
    for (const auto& j : jobs_of(s, JobKind::push, owner)) {
        auto p = decode_push(j.payload);
        if (p) out.push_back(*p);
    }
    return out;
}

}  // namespace wl::storage::test
