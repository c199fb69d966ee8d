// waitlistctl directory import FILE | directory export [FILE].
//
// Import reads CSV (header "jid,uri", one URI a row) or JSON lines ({"jid", "uris": [...]}),
// sends the rows in batches (each batch one transaction on the server, repeatable without
// effect), shows progress on standard error, writes every refused row with its line number
// and reason to a report file, and ends with a summary. A batch the server did not answer
// is sent again a few times; after that the import stops and running the same command
// again finishes it, since batches already written come back "unchanged".
#include "server/waitlistctl_directory.hpp"

#include "server/waitlistctl_client.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

namespace wl::ctl {
namespace {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

std::string error_text(const Reply& reply)
{
    json j = json::parse(reply.body, nullptr, false);
    std::string text =
        j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : reply.body;
    return text + " (HTTP " + std::to_string(reply.status) + ")";
}

// RFC 4180 fields of one line (no quoted newlines); nullopt when a quote is not closed.
std::optional<std::vector<std::string>> csv_fields(std::string_view line)
{
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                out.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                out.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    if (quoted) return std::nullopt;
    return out;
}

std::string csv_field(const std::string& s)
{
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string duration_text(double seconds)
{
    auto s = static_cast<long>(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    return buf;
}

struct Totals {
    std::size_t rows = 0, added = 0, changed = 0, unchanged = 0, refused = 0;
    std::size_t accounts_created = 0, waiting_users_told = 0, partners_told = 0;
};

class Progress {
public:
    Progress(std::uintmax_t total_bytes, std::chrono::milliseconds interval)
        : total_bytes_(total_bytes),
          tty_(isatty(STDERR_FILENO) == 1),
          interval_(interval)
    {
    }

    void update(const Totals& t, std::uintmax_t bytes_read, bool final = false)
    {
        auto now = SteadyClock::now();
        if (!final && now - last_ < (tty_ ? std::chrono::milliseconds(200) : interval_)) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        const double rate = elapsed > 0 ? static_cast<double>(t.rows) / elapsed : 0;
        std::string eta;
        double fraction = -1;
        if (total_bytes_ > 0) {
            fraction = std::min(1.0, static_cast<double>(bytes_read) / static_cast<double>(total_bytes_));
            if (fraction > 0 && !final) eta = " ETA " + duration_text(elapsed / fraction - elapsed);
        }
        char line[256];
        if (tty_) {
            std::string bar;
            if (fraction >= 0) {
                const int width = 30, filled = static_cast<int>(fraction * width);
                bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] " +
                      std::to_string(static_cast<int>(fraction * 100)) + "% ";
            }
            std::snprintf(line, sizeof line, "\r%s%zu rows, %.0f rows/s%s   ", bar.c_str(), t.rows, rate, eta.c_str());
            std::fputs(line, stderr);
            if (final) std::fputc('\n', stderr);
        } else {
            std::snprintf(line, sizeof line, "import: %zu rows, %.0f rows/s%s%s\n", t.rows, rate,
                          fraction >= 0 ? (", " + std::to_string(static_cast<int>(fraction * 100)) + "%").c_str() : "",
                          eta.c_str());
            std::fputs(line, stderr);
        }
        std::fflush(stderr);
    }

private:
    std::uintmax_t total_bytes_;
    bool tty_;
    std::chrono::milliseconds interval_;
    SteadyClock::time_point start_ = SteadyClock::now();
    SteadyClock::time_point last_ = start_;
};

int usage(const std::string& problem)
{
    std::fprintf(
        stderr,
        "waitlistctl: %s\n"
        "usage: waitlistctl --config FILE directory import FILE|- [--report FILE] [--batch N] [--progress SECONDS]\n"
        "                                                   [--sync [--dry-run]] [--dry-run]\n"
        "       waitlistctl --config FILE directory export [FILE]\n",
        problem.c_str());
    return 2;
}

class Importer {
public:
    Importer(AdminClient& conn, std::ofstream& report, std::size_t batch_rows, std::string target)
        : conn_(conn),
          report_(report),
          batch_rows_(batch_rows),
          target_(std::move(target))
    {
    }

    void add(std::int64_t line, const std::string& jid, const std::string& uri)
    {
        body_ += json{{"line", line}, {"jid", jid}, {"uri", uri}}.dump();
        body_ += '\n';
        if (++pending_ >= batch_rows_) flush();
    }

    void refuse(std::int64_t line, const std::string& reason)
    {
        ++totals.rows;
        ++totals.refused;
        report_ << line << "," << csv_field(reason) << "\n";
    }

    // Sends the pending rows; a batch is idempotent, so one that went unanswered is sent again.
    void flush()
    {
        if (pending_ == 0) return;
        Reply reply;
        for (int attempt = 1;; ++attempt) {
            try {
                reply = conn_.call(bhttp::verb::post, target_, body_, "application/x-ndjson");
                if (reply.status != 503) break;
                if (attempt >= 5) throw std::runtime_error(error_text(reply));
            } catch (const std::runtime_error&) {
                if (attempt >= 5) throw;
            }
            std::this_thread::sleep_for(std::chrono::seconds(attempt));
        }
        if (reply.status != 200) throw std::runtime_error("the server refused a batch: " + error_text(reply));
        json j = json::parse(reply.body, nullptr, false);
        if (!j.is_object()) throw std::runtime_error("the admin API answered something that is not JSON");
        totals.rows += j.value("rows", std::size_t{0});
        totals.added += j.value("added", std::size_t{0});
        totals.changed += j.value("changed", std::size_t{0});
        totals.unchanged += j.value("unchanged", std::size_t{0});
        totals.refused += j.value("refused", std::size_t{0});
        totals.accounts_created += j.value("accounts_created", std::size_t{0});
        totals.waiting_users_told += j.value("waiting_users_told", std::size_t{0});
        totals.partners_told += j.value("partners_told", std::size_t{0});
        for (const auto& r : j.value("refusals", json::array()))
            report_ << r.value("line", std::int64_t{0}) << "," << csv_field(r.value("reason", std::string{})) << "\n";
        body_.clear();
        pending_ = 0;
    }

    Totals totals;

private:
    AdminClient& conn_;
    std::ofstream& report_;
    std::size_t batch_rows_;
    std::string target_;
    std::string body_;
    std::size_t pending_ = 0;
};

// After every batch of a --sync import is in: the URIs the file lacks are removed (or, in a
// dry run, listed). A file with refused rows is not the whole truth, so nothing is removed.
int finish_sync(AdminClient& conn, const std::string& run, bool dry_run, const Totals& t)
{
    if (t.refused > 0) {
        std::fprintf(stderr, "waitlistctl: sync skipped: %zu row(s) were refused; fix them and run again\n", t.refused);
        return 1;
    }
    Reply reply;
    try {
        reply = conn.call(bhttp::verb::post, "/v1/directory:sync", json{{"run", run}, {"dry_run", dry_run}}.dump());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "waitlistctl: sync: %s\n", e.what());
        return 1;
    }
    if (reply.status != 200) {
        std::fprintf(stderr, "waitlistctl: sync: %s\n", error_text(reply).c_str());
        return 1;
    }
    json j = json::parse(reply.body, nullptr, false);
    const json removed = j.is_object() ? j.value("removed", json::array()) : json::array();
    std::printf("%s: %zu\n", dry_run ? "would remove" : "removed", removed.size());
    for (const auto& r : removed)
        std::printf("  %s,%s\n", csv_field(r.value("jid", std::string{})).c_str(),
                    csv_field(r.value("uri", std::string{})).c_str());
    return 0;
}

int import_file(const ApiAddress& api, const std::vector<std::string>& args)
{
    std::string path, report_path;
    std::size_t batch_rows = 2000;
    std::chrono::milliseconds interval{5000};
    bool sync = false, dry_run = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--report" && i + 1 < args.size()) {
            report_path = args[++i];
        } else if (args[i] == "--batch" && i + 1 < args.size()) {
            batch_rows = std::strtoul(args[++i].c_str(), nullptr, 10);
            if (batch_rows == 0 || batch_rows > 5000) return usage("--batch takes 1 to 5000 rows");
        } else if (args[i] == "--sync") {
            sync = true;
        } else if (args[i] == "--dry-run") {
            dry_run = true;
        } else if (args[i] == "--progress" && i + 1 < args.size()) {
            double seconds = std::strtod(args[++i].c_str(), nullptr);
            if (!(seconds > 0)) return usage("--progress takes a number of seconds");
            interval = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
        } else if (path.empty()) {
            path = args[i];
        } else {
            return usage("directory import: unexpected argument '" + args[i] + "'");
        }
    }
    if (path.empty()) return usage("directory import: missing FILE (or - for standard input)");
    if (report_path.empty()) report_path = (path == "-" ? std::string("directory-import") : path) + ".refused.csv";

    std::ifstream file;
    std::uintmax_t total_bytes = 0;
    if (path != "-") {
        file.open(path, std::ios::binary);
        if (!file) {
            std::fprintf(stderr, "waitlistctl: cannot open %s\n", path.c_str());
            return 1;
        }
        file.seekg(0, std::ios::end);
        total_bytes = static_cast<std::uintmax_t>(file.tellg());
        file.seekg(0);
    }
    std::istream& in = path == "-" ? std::cin : file;
    std::ofstream report(report_path, std::ios::trunc);
    if (!report) {
        std::fprintf(stderr, "waitlistctl: cannot write the report %s\n", report_path.c_str());
        return 1;
    }
    report << "line,reason\n";

    // A batch is one transaction of a few thousand rows; a minute means the server is stuck.
    AdminClient conn(api, std::chrono::seconds(60));
    std::string target = "/v1/directory:import";
    std::string run;
    if (sync) {
        std::random_device random;
        char id[32];
        std::snprintf(id, sizeof id, "sync-%08x%08x", random(), random());
        run = id;
        target += "?run=" + run;
    }
    if (dry_run) target += sync ? "&dry_run=true" : "?dry_run=true";
    Importer importer(conn, report, batch_rows, target);
    Progress progress(total_bytes, interval);
    std::uintmax_t bytes_read = 0;
    std::string line;
    std::int64_t number = 0;
    enum class Format {
        unknown,
        csv,
        jsonl
    } format = Format::unknown;
    try {
        while (std::getline(in, line)) {
            ++number;
            bytes_read += line.size() + 1;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            if (format == Format::unknown) {
                if (line.front() == '{') {
                    format = Format::jsonl;
                } else {
                    auto header = csv_fields(line);
                    if (!header || header->size() != 2 || (*header)[0] != "jid" || (*header)[1] != "uri") {
                        std::fprintf(stderr,
                                     "waitlistctl: %s: line %lld: expected the CSV header \"jid,uri\" or a JSON line\n",
                                     path.c_str(), static_cast<long long>(number));
                        return 1;
                    }
                    format = Format::csv;
                    continue;
                }
            }
            if (format == Format::csv) {
                auto fields = csv_fields(line);
                if (!fields)
                    importer.refuse(number, "a quoted field is not closed");
                else if (fields->size() != 2)
                    importer.refuse(number, "expected 2 fields (jid,uri)");
                else
                    importer.add(number, (*fields)[0], (*fields)[1]);
            } else {
                json j = json::parse(line, nullptr, false);
                auto uris = j.is_object() ? j.find("uris") : json::iterator{};
                if (!j.is_object()) {
                    importer.refuse(number, "the line is not a JSON object");
                } else if (!j.contains("jid") || !j["jid"].is_string()) {
                    importer.refuse(number, "\"jid\" must be a string");
                } else if (uris == j.end() || !uris->is_array() || uris->empty()) {
                    importer.refuse(number, "\"uris\" must be a non-empty array of strings");
                } else {
                    for (const auto& u : *uris) {
                        if (u.is_string())
                            importer.add(number, j["jid"].get<std::string>(), u.get<std::string>());
                        else
                            importer.refuse(number, "\"uris\" must be a non-empty array of strings");
                    }
                }
            }
            progress.update(importer.totals, bytes_read);
        }
        importer.flush();
    } catch (const std::exception& e) {
        progress.update(importer.totals, bytes_read, true);
        std::fprintf(stderr,
                     "waitlistctl: import stopped after %zu rows: %s\n"
                     "waitlistctl: the rows written stay written; run the same command again to finish\n",
                     importer.totals.rows, e.what());
        return 1;
    }
    progress.update(importer.totals, bytes_read, true);
    const Totals& t = importer.totals;
    if (dry_run) std::printf("dry run: nothing was written; the counts say what the import would do\n");
    std::printf(
        "rows read: %zu\nadded: %zu\nchanged: %zu\nunchanged: %zu\nrefused: %zu%s\n"
        "accounts created: %zu\nwaiting users told: %zu\npartners told: %zu\n",
        t.rows, t.added, t.changed, t.unchanged, t.refused, t.refused ? (" (see " + report_path + ")").c_str() : "",
        t.accounts_created, t.waiting_users_told, t.partners_told);
    if (sync) return finish_sync(conn, run, dry_run, t);
    return 0;
}

int export_file(const ApiAddress& api, const std::vector<std::string>& args)
{
    if (args.size() > 1) return usage("directory export: takes at most one FILE");
    std::ofstream file;
    if (!args.empty() && args[0] != "-") {
        file.open(args[0], std::ios::trunc);
        if (!file) {
            std::fprintf(stderr, "waitlistctl: cannot write %s\n", args[0].c_str());
            return 1;
        }
    }
    std::ostream& out = file.is_open() ? static_cast<std::ostream&>(file) : std::cout;
    out << "jid,uri\n";
    // A batch is one transaction of a few thousand rows; a minute means the server is stuck.
    AdminClient conn(api, std::chrono::seconds(60));
    std::string after;
    try {
        for (;;) {
            auto reply = conn.call(bhttp::verb::get, "/v1/directory?limit=10000&after=" + percent_encode(after));
            if (reply.status != 200) throw std::runtime_error(error_text(reply));
            json j = json::parse(reply.body, nullptr, false);
            if (!j.is_object()) throw std::runtime_error("the admin API answered something that is not JSON");
            for (const auto& r : j.value("rows", json::array()))
                out << csv_field(r.value("jid", std::string{})) << "," << csv_field(r.value("uri", std::string{}))
                    << "\n";
            if (!j.contains("next")) break;
            after = j["next"].get<std::string>();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "waitlistctl: export stopped: %s\n", e.what());
        return 1;
    }
    out.flush();
    return out ? 0 : 1;
}

}  // namespace

int directory_command(const ApiAddress& api, const std::vector<std::string>& args)
{
    if (args.empty()) return usage("directory: expected import or export");
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "import") return import_file(api, rest);
    if (args[0] == "export") return export_file(api, rest);
    return usage("unknown command 'directory " + args[0] + "'");
}

}  // namespace wl::ctl
