// wl_provision: the operator's side of the waiting list tests and benchmarks, straight on the
// Store (the database waitlistd uses), for runs where the admin API is not there or where
// thousands of accounts must exist in seconds.
//
//   wl_provision DB account JID PASSWORD [URI...]   create an account ("the contact registers")
//   wl_provision DB uri JID URI                     add a URI to an account (ditto)
//   wl_provision DB bulk PREFIX DOMAIN FIRST COUNT PASSWORD
//                                                   accounts PREFIX<FIRST>..: one credential
//                                                   derived once and shared (test data only)
//   wl_provision DB wait PREFIX DOMAIN FIRST COUNT URI
//                                                   each of those users waits for URI (an
//                                                   item served here), as if each had added it
//   wl_provision DB items PREFIX DOMAIN FIRST COUNT N
//                                                   each of those users gets N items of N
//                                                   distinct unregistered numbers (waiting)
//   wl_provision DB jobs                            print the job queue, one line per job
// DB is "sqlite:PATH" or "postgresql:DSN". URIs are given whole ("tel:+1 303 555 0100") and
// canonicalised as the admin API does. Prints one line per result; exits 1 on failure.
//
// Jobs written here are seen by waitlistd's dispatcher at its next poll (it cannot be woken
// from another process); the admin API wakes it at once.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/contact_uri.hpp"
#include "proto/sasl/scram.hpp"
#include "storage/store.hpp"

namespace {

using namespace wl;

storage::Bytes bytes(const std::string& s) { return storage::Bytes(s.begin(), s.end()); }

std::vector<storage::ScramCredential> credentials_for(const std::string& password)
{
    std::vector<storage::ScramCredential> out;
    for (auto hash : {proto::sasl::ScramHash::sha1, proto::sasl::ScramHash::sha256}) {
        auto c = proto::sasl::make_scram_credentials(hash, password);
        if (!c) throw std::runtime_error("the password is refused by SASLprep");
        storage::ScramCredential sc;
        sc.mechanism =
            hash == proto::sasl::ScramHash::sha1 ? storage::ScramMechanism::sha1 : storage::ScramMechanism::sha256;
        sc.salt = bytes(c->salt);
        sc.iterations = static_cast<std::uint32_t>(c->iterations);
        sc.stored_key = bytes(c->stored_key);
        sc.server_key = bytes(c->server_key);
        out.push_back(std::move(sc));
    }
    return out;
}

std::string canonical(const std::string& uri)
{
    auto parsed = proto::parse_contact_uri(uri, proto::UriPolicy{});
    if (!parsed) throw std::runtime_error("not a usable contact URI: " + parsed.reason);
    return parsed.uri->canonical;
}

std::unique_ptr<storage::Store> open(const std::string& spec)
{
    storage::StoreConfig sc;
    if (spec.rfind("sqlite:", 0) == 0) {
        sc.backend = storage::Backend::sqlite;
        sc.path = spec.substr(7);
    } else if (spec.rfind("postgresql:", 0) == 0) {
        sc.backend = storage::Backend::postgresql;
        sc.dsn = spec.substr(11);
        sc.pool_size = 4;
    } else {
        throw std::runtime_error("DB is sqlite:PATH or postgresql:DSN");
    }
    return storage::open_store(sc);
}

// Runs one(i) for i in [first, first + count): on PostgreSQL from one thread per pooled
// connection, since ten thousand durable commits one after another take minutes; SQLite
// has one connection and takes them in turn anyway.
void for_each_user(storage::Store& store, long first, long count, const std::function<void(long)>& one)
{
    const long threads = std::min<long>(static_cast<long>(store.max_concurrency()), std::max(1L, count));
    std::atomic<long> next{first};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    std::vector<std::thread> workers;
    for (long t = 0; t < threads; ++t)
        workers.emplace_back([&] {
            try {
                for (long i = next++; i < first + count; i = next++) one(i);
            } catch (...) {
                std::lock_guard lock(failure_mutex);
                if (!failure) failure = std::current_exception();
                next = first + count;
            }
        });
    for (auto& w : workers) w.join();
    if (failure) std::rethrow_exception(failure);
}

int usage()
{
    std::fprintf(stderr,
                 "usage: wl_provision DB account JID PASSWORD [URI...]\n"
                 "       wl_provision DB uri JID URI\n"
                 "       wl_provision DB bulk PREFIX DOMAIN FIRST COUNT PASSWORD\n"
                 "       wl_provision DB wait PREFIX DOMAIN FIRST COUNT URI\n"
                 "       wl_provision DB items PREFIX DOMAIN FIRST COUNT N\n"
                 "       wl_provision DB jobs\n");
    return 2;
}

int run(const std::vector<std::string>& a)
{
    if (a.size() < 2) return usage();
    const std::string& cmd = a[1];
    if (cmd == "account" && a.size() >= 4) {
        auto store = open(a[0]);
        storage::NewAccount acc{a[2], credentials_for(a[3]), {}};
        for (std::size_t i = 4; i < a.size(); ++i) acc.uris.push_back(canonical(a[i]));
        auto r = store->create_account(acc);
        if (r.status != storage::CreateAccountStatus::created) {
            std::printf("refused: %s\n",
                        r.status == storage::CreateAccountStatus::already_exists ? "exists" : "uri taken");
            return 1;
        }
        std::printf("created %s items_found=%zu\n", a[2].c_str(), r.items_found);
        return 0;
    }
    if (cmd == "uri" && a.size() == 4) {
        auto store = open(a[0]);
        auto r = store->add_uri(a[2], canonical(a[3]));
        if (r.status != storage::AddUriStatus::added && r.status != storage::AddUriStatus::already_yours) {
            std::printf("refused\n");
            return 1;
        }
        std::printf("added items_found=%zu\n", r.items_found);
        return 0;
    }
    if (cmd == "bulk" && a.size() == 7) {
        auto store = open(a[0]);
        const auto creds = credentials_for(a[6]);
        const long first = std::stol(a[4]), count = std::stol(a[5]);
        std::atomic<long> made{0};
        for_each_user(*store, first, count, [&](long i) {
            storage::NewAccount acc{a[2] + std::to_string(i) + "@" + a[3], creds, {}};
            if (store->create_account(acc).status == storage::CreateAccountStatus::created) ++made;
        });
        std::printf("created %ld\n", made.load());
        return made == count ? 0 : 1;
    }
    if (cmd == "wait" && a.size() == 7) {
        auto store = open(a[0]);
        const std::string uri = canonical(a[6]);
        const long first = std::stol(a[4]), count = std::stol(a[5]);
        for_each_user(*store, first, count, [&](long i) {
            storage::NewItem item;
            item.owner = a[2] + std::to_string(i) + "@" + a[3];
            item.uri = uri;
            item.given_uri = uri.substr(uri.find(':') + 1);
            item.scheme = uri.substr(0, uri.find(':'));
            item.plan.served_here = true;
            store->add_item(item);
        });
        std::printf("waiting %ld\n", count);
        return 0;
    }
    if (cmd == "items" && a.size() == 7) {
        auto store = open(a[0]);
        const long first = std::stol(a[4]), count = std::stol(a[5]), n = std::stol(a[6]);
        if (n < 0 || n > 9999) throw std::runtime_error("N is 0..9999");
        std::vector<std::string> uris;
        for (long k = 0; k < n; ++k) {
            // +1 719 555 0000.. : valid Colorado numbers no bench ever registers.
            char number[32];
            std::snprintf(number, sizeof number, "tel:+1719555%04ld", k);
            uris.push_back(canonical(number));
        }
        for_each_user(*store, first, count, [&](long i) {
            for (const auto& uri : uris) {
                storage::NewItem item;
                item.owner = a[2] + std::to_string(i) + "@" + a[3];
                item.uri = uri;
                item.given_uri = uri.substr(uri.find(':') + 1);
                item.scheme = "tel";
                item.plan.served_here = true;
                if (!store->add_item(item).created) throw std::runtime_error("an item existed already: " + item.owner);
            }
        });
        std::printf("items %ld x %ld\n", count, n);
        return 0;
    }
    if (cmd == "jobs" && a.size() == 2) {
        auto store = open(a[0]);
        for (const auto& j : store->list_jobs())
            std::printf("%lld %s %s attempts=%d %s\n", static_cast<long long>(j.id),
                        std::string(storage::to_string(j.kind)).c_str(), j.target.c_str(), j.attempts,
                        j.last_error.c_str());
        return 0;
    }
    return usage();
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        return run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wl_provision: %s\n", e.what());
        return 1;
    }
}
