#pragma once
// Certificates made for one test run with the openssl command line tool: self-signed ones
// (which never validate, so dialback is used) and ones signed by a test CA (which validate
// when the peer trusts that CA, so SASL EXTERNAL is used).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace wl::test {

class CertDir {
public:
    CertDir()
    {
        char tmpl[] = "/tmp/wl-certs.XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
    }
    ~CertDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    CertDir(const CertDir&) = delete;
    CertDir& operator=(const CertDir&) = delete;

    std::string cert(const std::string& name) const { return (dir_ / (name + ".crt")).string(); }
    std::string key(const std::string& name) const { return (dir_ / (name + ".key")).string(); }
    std::string ca() const { return cert("ca"); }

    // A certificate for `domain` and *.domain, signed by itself.
    void self_signed(const std::string& domain)
    {
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" + domain +
            " -addext subjectAltName=DNS:" + domain + ",DNS:*." + domain + " -keyout " + key(domain) + " -out " +
            cert(domain));
    }
    // The test CA (once), then a certificate for `domain` and *.domain signed by it.
    void ca_signed(const std::string& domain)
    {
        if (!std::filesystem::exists(ca()))
            run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=wl-test-ca"
                " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout " +
                key("ca") + " -out " + ca());
        const auto ext = (dir_ / (domain + ".ext")).string();
        std::ofstream(ext) << "subjectAltName=DNS:" << domain << ",DNS:*." << domain
                           << "\nextendedKeyUsage=serverAuth,clientAuth\n";
        const auto csr = (dir_ / (domain + ".csr")).string();
        run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + domain +
            " -keyout " + key(domain) + " -out " + csr);
        run("openssl x509 -req -in " + csr + " -CA " + ca() + " -CAkey " + key("ca") +
            " -CAcreateserial -days 2 -extfile " + ext + " -out " + cert(domain));
    }

private:
    static void run(const std::string& command)
    {
        if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
    }
    std::filesystem::path dir_;
};

}  // namespace wl::test
