#include "server/waitlist/partner_directory.hpp"

namespace wl::server::waitlist {

PartnerDirectory::PartnerDirectory(const std::vector<PartnerConfig>& partners)
{
    for (const auto& p : partners) {
        if (!p.jid.empty())
            entries_.push_back(Entry{p.key(), {}, p.jid, Discovery::configured});
        else
            entries_.push_back(Entry{p.key(), p.domain, {}, Discovery::unknown});
    }
}

const PartnerDirectory::Entry* PartnerDirectory::find(const std::string& key) const
{
    for (const auto& e : entries_)
        if (e.key == key) return &e;
    return nullptr;
}

PartnerDirectory::Entry* PartnerDirectory::find(const std::string& key)
{
    for (auto& e : entries_)
        if (e.key == key) return &e;
    return nullptr;
}

bool PartnerDirectory::is_partner(const std::string& key) const
{
    std::lock_guard lock(mutex_);
    return find(key) != nullptr;
}

std::optional<std::string> PartnerDirectory::service_of(const std::string& key) const
{
    std::lock_guard lock(mutex_);
    const Entry* e = find(key);
    if (!e || e->service.empty()) return std::nullopt;
    return e->service;
}

std::optional<std::string> PartnerDirectory::key_of(const std::string& service) const
{
    std::lock_guard lock(mutex_);
    // A configured service first: a discovered one never shadows what the operator wrote.
    for (const auto& e : entries_)
        if (e.state == Discovery::configured && e.service == service) return e.key;
    for (const auto& e : entries_)
        if (e.state == Discovery::known && e.service == service) return e.key;
    return std::nullopt;
}

PartnerDirectory::Discovery PartnerDirectory::state(const std::string& key) const
{
    std::lock_guard lock(mutex_);
    const Entry* e = find(key);
    return e ? e->state : Discovery::failed;
}

std::vector<std::string> PartnerDirectory::undiscovered() const
{
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& e : entries_)
        if (e.state != Discovery::configured && e.state != Discovery::known) out.push_back(e.key);
    return out;
}

std::vector<std::string> PartnerDirectory::keys() const
{
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.key);
    return out;
}

bool PartnerDirectory::begin_discovery(const std::string& key, std::chrono::steady_clock::duration retry_gap)
{
    std::lock_guard lock(mutex_);
    Entry* e = find(key);
    if (!e || e->state == Discovery::configured || e->state == Discovery::discovering || e->state == Discovery::known)
        return false;
    if (e->state == Discovery::failed && std::chrono::steady_clock::now() - e->failed_at < retry_gap) return false;
    e->state = Discovery::discovering;
    return true;
}

void PartnerDirectory::discovered(const std::string& key, const std::string& service)
{
    std::lock_guard lock(mutex_);
    Entry* e = find(key);
    if (!e || e->state == Discovery::configured) return;
    e->service = service;
    e->state = Discovery::known;
}

void PartnerDirectory::discovery_failed(const std::string& key)
{
    std::lock_guard lock(mutex_);
    Entry* e = find(key);
    if (!e || e->state == Discovery::configured) return;
    e->service.clear();
    e->state = Discovery::failed;
    e->failed_at = std::chrono::steady_clock::now();
}

void PartnerDirectory::forget(const std::string& key)
{
    std::lock_guard lock(mutex_);
    Entry* e = find(key);
    if (!e || e->state != Discovery::known) return;
    e->service.clear();
    e->state = Discovery::unknown;
}

}  // namespace wl::server::waitlist
