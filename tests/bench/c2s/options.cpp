#include "tests/bench/c2s/options.hpp"

#include <stdexcept>

namespace wl::bench {

Options::Options(int argc, char** argv, int first, const std::set<std::string>& known,
                 const std::set<std::string>& flags)
{
    for (int i = first; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + arg + "'");
        std::string name = arg.substr(2);
        if (flags.count(name)) {
            values_[name] = "1";
            continue;
        }
        if (!known.count(name)) throw std::invalid_argument("unknown option --" + name);
        if (i + 1 >= argc) throw std::invalid_argument("--" + name + " needs a value");
        values_[name] = argv[++i];
    }
}

std::string Options::text(const std::string& name, const std::string& fallback) const
{
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

std::string Options::required(const std::string& name) const
{
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) throw std::invalid_argument("--" + name + " is required");
    return it->second;
}

long Options::integer(const std::string& name, long fallback, long min, long max) const
{
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    std::size_t used = 0;
    long value = 0;
    try {
        value = std::stol(it->second, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != it->second.size() || value < min || value > max)
        throw std::invalid_argument("--" + name + " must be an integer in [" + std::to_string(min) + ", " +
                                    std::to_string(max) + "], got '" + it->second + "'");
    return value;
}

double Options::seconds(const std::string& name, double fallback) const
{
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    std::size_t used = 0;
    double value = -1;
    try {
        value = std::stod(it->second, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != it->second.size() || value < 0 || value > 86400)
        throw std::invalid_argument("--" + name + " must be seconds in [0, 86400], got '" + it->second + "'");
    return value;
}

}  // namespace wl::bench
