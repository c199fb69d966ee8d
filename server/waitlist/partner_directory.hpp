#pragma once
// Which WaitingListService speaks for each configured partner, and back.
//
// A [[partners]] entry names the service (jid) or only the partner's domain. The service of a
// domain-only partner is learnt by discovery (XEP-0130 §4.2) and may sit on any domain, a
// third party's included (implementation note 3): nothing here derives one name from the
// other. A partner is known in the Store and in jobs by its key (PartnerConfig::key()); IQs
// go to, and answers come from, its service.
//
// Thread-safe: the router's threads, the dispatcher's strand and the discovery coroutines
// all read it.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/config.hpp"

namespace wl::server::waitlist {

class PartnerDirectory {
public:
    enum class Discovery {
        configured,
        unknown,
        discovering,
        failed,
        known
    };

    explicit PartnerDirectory(const std::vector<PartnerConfig>& partners);

    bool is_partner(const std::string& key) const;
    // The service to send to, when configured or discovered.
    std::optional<std::string> service_of(const std::string& key) const;
    // The partner a service (bare JID) speaks for: configured, or discovered.
    std::optional<std::string> key_of(const std::string& service) const;
    Discovery state(const std::string& key) const;
    // Domain-only partners whose service is not known now (to discover before refusing
    // someone who may be one of them).
    std::vector<std::string> undiscovered() const;
    std::vector<std::string> keys() const;

    // Marks the start of a discovery; false if one is under way, none is needed, or the last
    // one failed less than `retry_gap` ago (silence is not asked again at once).
    bool begin_discovery(const std::string& key, std::chrono::steady_clock::duration retry_gap);
    void discovered(const std::string& key, const std::string& service);
    void discovery_failed(const std::string& key);
    // The service stopped answering: discover it again before the next IQ. Configured
    // services are kept (the operator named them).
    void forget(const std::string& key);

private:
    struct Entry {
        std::string key;
        std::string domain;   // domain-only partners
        std::string service;  // configured or discovered; empty while unknown
        Discovery state = Discovery::configured;
        std::chrono::steady_clock::time_point failed_at{};
    };
    const Entry* find(const std::string& key) const;
    Entry* find(const std::string& key);

    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
};

}  // namespace wl::server::waitlist
