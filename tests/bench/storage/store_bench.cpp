// Storage benchmark: operations per second of the Store's hot use cases, on SQLite or
// PostgreSQL. Run by run_storage_bench.sh (which starts a durable throwaway PostgreSQL and
// runs pgbench beside it for reference); it can also be run by hand:
//   store_bench sqlite PATH [SCALE]
//   store_bench postgresql DSN [SCALE]
// SCALE (default 1.0) multiplies the operation counts.
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "storage/db_executor.hpp"
#include "storage/store.hpp"

using namespace wl::storage;
using Steady = std::chrono::steady_clock;

namespace {

double scale = 1.0;
int count(int n) { return std::max(1, static_cast<int>(n * scale)); }

void report(const char* what, int ops, Steady::duration took, const char* note = "")
{
    const double s = std::chrono::duration<double>(took).count();
    std::printf("%-44s %8d ops %9.3f s %11.1f ops/s %s\n", what, ops, s, ops / s, note);
    std::fflush(stdout);
}

std::string uri(const char* prefix, int i) { return std::string(prefix) + std::to_string(1000000 + i); }

NewItem waiting_item(const std::string& owner, const std::string& u)
{
    return NewItem{owner, u, u.substr(4), "tel", "", ItemPlan{true, {}}};
}

void bench_add_item(Store& s)
{
    const int n = count(2000);
    auto t0 = Steady::now();
    for (int i = 0; i < n; ++i)
        s.add_item(waiting_item("adder" + std::to_string(i % 50) + "@sp.example", uri("tel:+1720", i)));
    report("add item (served here, waiting)", n, Steady::now() - t0);
}

void bench_add_item_parallel(Store& s, std::size_t threads)
{
    const int n = count(2000);
    DbExecutor ex(s, threads);
    std::atomic<int> left{n};
    std::promise<void> all_done;
    auto t0 = Steady::now();
    for (int i = 0; i < n; ++i)
        ex.submit(
            [i](Store& st) {
                return st.add_item(waiting_item("par" + std::to_string(i % 50) + "@sp.example", uri("tel:+1721", i)))
                    .created;
            },
            [&](DbResult<bool> r) {
                r.get();
                if (--left == 0) all_done.set_value();
            });
    all_done.get_future().wait();
    const auto took = Steady::now() - t0;
    char what[64];
    std::snprintf(what, sizeof what, "add item, %zu database threads", threads);
    report(what, n, took);
}

// Group commit: the same adds, `batch` per transaction (Store::add_items), as the waiting
// list service writes them when requests arrive together.
void bench_add_items(Store& s, int batch)
{
    const int n = count(2000);
    auto t0 = Steady::now();
    for (int i = 0; i < n; i += batch) {
        std::vector<NewItem> items;
        for (int k = i; k < std::min(n, i + batch); ++k)
            items.push_back(
                waiting_item("batch" + std::to_string(k % 50) + "@sp.example", uri("tel:+1722", k + 100000 * batch)));
        for (const auto& o : s.add_items(items))
            if (o.error) std::rethrow_exception(o.error);
    }
    char what[64];
    std::snprintf(what, sizeof what, "add items, %d per transaction (group commit)", batch);
    report(what, n, Steady::now() - t0);
}

void bench_list_items(Store& s)
{
    const std::string owner = "lister@sp.example";
    for (int i = 0; i < 50; ++i) s.add_item(waiting_item(owner, uri("tel:+1730", i)));
    const int n = count(5000);
    auto t0 = Steady::now();
    std::size_t total = 0;
    for (int i = 0; i < n; ++i) total += s.list_items(owner)->size();
    report("list items of a user (50 items)", n, Steady::now() - t0);
    if (total != static_cast<std::size_t>(n) * 50)
        std::fprintf(stderr, "list_items returned wrong sizes\n"), std::exit(1);
}

void bench_register(Store& s, int k, int reps)
{
    // k owners each wait for the same URI; the contact then registers it: one transaction
    // marks k items found and queues k pushes.
    std::vector<std::string> uris;
    for (int r = 0; r < reps; ++r) {
        char u[64];
        std::snprintf(u, sizeof u, "tel:+1740%d0%d", k, r);
        uris.push_back(u);
        for (int i = 0; i < k; ++i) {
            char owner[64];
            std::snprintf(owner, sizeof owner, "w%d@sp.example", i);
            s.add_item(waiting_item(owner, u));
        }
    }
    s.create_account(NewAccount{"contact" + std::to_string(k) + "@sp.example", {}, {}});
    auto t0 = Steady::now();
    std::size_t found = 0;
    for (const auto& u : uris) found += s.add_uri("contact" + std::to_string(k) + "@sp.example", u).items_found;
    const auto took = Steady::now() - t0;
    if (found != static_cast<std::size_t>(k) * reps)
        std::fprintf(stderr, "register found %zu, want %d\n", found, k * reps), std::exit(1);
    char what[64], note[64];
    std::snprintf(what, sizeof what, "register URI with K=%d waiting items", k);
    std::snprintf(note, sizeof note, "(%.0f items found/s)", found / std::chrono::duration<double>(took).count());
    report(what, reps, took, note);
}

void bench_jobs(Store& s)
{
    // Pushes for items nobody serves: the cheapest way to fill the queue through the API.
    const int n = count(2000);
    for (int i = 0; i < n; ++i)
        s.add_item(NewItem{"jobs@sp.example", uri("tel:+3370", i), "x", "tel", "", ItemPlan{false, {}}});
    auto t0 = Steady::now();
    int done = 0;
    for (;;) {
        auto jobs = s.claim_jobs("bench-node", 1, std::chrono::minutes(1));
        if (jobs.empty()) break;
        s.complete_job(jobs[0].id);
        ++done;
    }
    report("claim+complete job (one at a time)", done, Steady::now() - t0, "(2 transactions each)");
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s sqlite PATH [SCALE] | postgresql DSN [SCALE]\n", argv[0]);
        return 2;
    }
    const std::string backend = argv[1];
    if (argc > 3) scale = std::atof(argv[3]);
    StoreConfig cfg;
    if (backend == "sqlite") {
        cfg.backend = Backend::sqlite;
        cfg.path = argv[2];
        std::printf(
            "backend: SQLite %s, journal_mode=WAL, synchronous=NORMAL (commits survive a process "
            "crash; a power loss may drop the last ones), one connection\n",
            argv[2]);
    } else if (backend == "postgresql") {
        cfg.backend = Backend::postgresql;
        cfg.dsn = argv[2];
        cfg.pool_size = 4;
        pqxx::connection c(cfg.dsn);
        pqxx::nontransaction w(c);
        auto setting = [&](const char* name) { return w.exec1(std::string("SHOW ") + name)[0].as<std::string>(); };
        std::printf("backend: PostgreSQL %s, fsync=%s, synchronous_commit=%s, full_page_writes=%s, pool of 4\n",
                    setting("server_version").c_str(), setting("fsync").c_str(), setting("synchronous_commit").c_str(),
                    setting("full_page_writes").c_str());
    } else {
        std::fprintf(stderr, "unknown backend %s\n", backend.c_str());
        return 2;
    }
    auto store = open_store(cfg);
    bench_jobs(*store);  // first, while the queue holds only its own jobs
    bench_add_item(*store);
    if (cfg.backend == Backend::postgresql) bench_add_item_parallel(*store, 4);
    for (int batch : {8, 64}) bench_add_items(*store, batch);
    bench_list_items(*store);
    bench_register(*store, 1, count(200));
    bench_register(*store, 100, std::max(1, count(10)));
    bench_register(*store, 10000, 1);
    return 0;
}
