#pragma once
// A real dnsmasq for one test: its own config in a temporary directory, on a free loopback
// port, stopped (and waited for) when the object goes away.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net_helpers.hpp"

extern char** environ;

namespace wl::test {

class Dnsmasq {
public:
    // records: dnsmasq config lines (host-record=..., srv-host=...).
    explicit Dnsmasq(const std::vector<std::string>& records, unsigned short port = 0)
        : port_(port ? port : free_port())
    {
        char tmpl[] = "/tmp/wl-dnsmasq.XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::ofstream conf(dir_ / "dnsmasq.conf");
        conf << "port=" << port_ << "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
             << "no-poll\nlocal=/test/\nuser=root\n";
        for (auto& r : records) conf << r << "\n";
        conf.close();
        const std::string conf_arg = "--conf-file=" + (dir_ / "dnsmasq.conf").string();
        const std::string pid_arg = "--pid-file=" + (dir_ / "dnsmasq.pid").string();
        const std::string log_arg = "--log-facility=" + (dir_ / "dnsmasq.log").string();
        std::vector<std::string> args{"dnsmasq", "--keep-in-foreground", conf_arg, pid_arg, log_arg, "--log-queries"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawnp(&pid_, "dnsmasq", nullptr, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("cannot start dnsmasq");
        // dnsmasq listens on TCP as well as UDP: once TCP accepts, it answers.
        for (int i = 0; i < 200; ++i) {
            if (tcp_port_open(port_)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop();
        throw std::runtime_error("dnsmasq did not start");
    }
    ~Dnsmasq()
    {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Dnsmasq(const Dnsmasq&) = delete;
    Dnsmasq& operator=(const Dnsmasq&) = delete;

    unsigned short port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

    void stop()
    {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

private:
    unsigned short port_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

}  // namespace wl::test
