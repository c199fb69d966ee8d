#pragma once
// Command line of bench_c2s: "--name value" pairs after a mode word, each name known to the
// mode; anything else is an error naming the option, so a typo never runs a different test.
#include <map>
#include <set>
#include <string>

namespace wl::bench {

class Options {
public:
    // argv[first..argc) as --name value pairs; throws std::invalid_argument naming the culprit.
    Options(int argc, char** argv, int first, const std::set<std::string>& known, const std::set<std::string>& flags);

    bool has(const std::string& name) const { return values_.count(name) != 0; }
    std::string text(const std::string& name, const std::string& fallback) const;
    std::string required(const std::string& name) const;
    long integer(const std::string& name, long fallback, long min, long max) const;
    double seconds(const std::string& name, double fallback) const;

private:
    std::map<std::string, std::string> values_;
};

}  // namespace wl::bench
