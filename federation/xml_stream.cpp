#include "federation/xml_stream.hpp"

#include <boost/asio/write.hpp>

#include "proto/ns.hpp"

namespace wl::federation {

namespace xml = proto::xml;

const xml::WriteContext& s2s_write_context()
{
    static const xml::WriteContext ctx{std::string(proto::ns::server),
                                       {{"stream", std::string(proto::ns::stream)},
                                        {"db", std::string(proto::ns::dialback)}}};
    return ctx;
}

namespace {
xml::ParserLimits limits_for(std::size_t max_stanza_bytes)
{
    xml::ParserLimits l;
    l.max_stanza_bytes = max_stanza_bytes;
    return l;
}
}  // namespace

XmlStream::XmlStream(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls,
                     std::size_t max_stanza_bytes, std::size_t max_write_buffer)
    : tls_stream_(executor, *tls),
      tls_context_(std::move(tls)),
      parser_(limits_for(max_stanza_bytes)),
      max_write_buffer_(max_write_buffer),
      deadline_(executor),
      flushed_(executor)
{
}

XmlStream::XmlStream(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                     std::size_t max_stanza_bytes, std::size_t max_write_buffer)
    : tls_stream_(std::move(socket), *tls),
      tls_context_(std::move(tls)),
      parser_(limits_for(max_stanza_bytes)),
      max_write_buffer_(max_write_buffer),
      deadline_(tls_stream_.get_executor()),
      flushed_(tls_stream_.get_executor())
{
    boost::system::error_code ec;
    auto ep = tls_stream_.next_layer().remote_endpoint(ec);
    if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

XmlStream::~XmlStream() = default;

asio::awaitable<void> XmlStream::connect(const asio::ip::tcp::endpoint& endpoint)
{
    peer_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    boost::system::error_code ec;
    co_await tls_stream_.next_layer().async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        closed_ = true;
        throw StreamFailure(timed_out_ ? FailureKind::timeout : FailureKind::unreachable,
                            "connect to " + peer_ + ": " + (timed_out_ ? "timed out" : ec.message()));
    }
    closed_ = false;
    tls_stream_.next_layer().set_option(asio::ip::tcp::no_delay(true));
}

asio::awaitable<void> XmlStream::start_tls(asio::ssl::stream_base::handshake_type type, const std::string& sni)
{
    if (type == asio::ssl::stream_base::client && !sni.empty())
        SSL_set_tlsext_host_name(tls_stream_.native_handle(), sni.c_str());
    boost::system::error_code ec;
    co_await tls_stream_.async_handshake(type, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        close();
        throw StreamFailure(timed_out_ ? FailureKind::timeout : FailureKind::protocol,
                            "TLS handshake with " + peer_ + ": " + ec.message());
    }
    tls_active_ = true;
}

asio::awaitable<xml::StreamEvent> XmlStream::read()
{
    for (;;) {
        if (auto ev = parser_.next()) co_return std::move(*ev);
        if (parse_error_) {
            auto err = *parse_error_;
            auto condition =
                proto::stream_condition_from_name(err.condition).value_or(proto::StreamCondition::not_well_formed);
            co_await fail(condition, err.text);
            throw StreamFailure(FailureKind::protocol, "from " + peer_ + ": " + err.condition + ": " + err.text);
        }
        if (closed_)
            throw StreamFailure(timed_out_ ? FailureKind::timeout : FailureKind::closed,
                                "stream to " + peer_ + " closed");
        boost::system::error_code ec;
        std::size_t n = 0;
        if (tls_active_)
            n = co_await tls_stream_.async_read_some(asio::buffer(read_buffer_),
                                                     asio::redirect_error(asio::use_awaitable, ec));
        else
            n = co_await tls_stream_.next_layer().async_read_some(asio::buffer(read_buffer_),
                                                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            close();
            throw StreamFailure(timed_out_ ? FailureKind::timeout : FailureKind::closed,
                                "read from " + peer_ + ": " + (timed_out_ ? "timed out" : ec.message()));
        }
        parse_error_ = parser_.feed(std::string_view(read_buffer_.data(), n));
    }
}

void XmlStream::send_header(const xml::Element& header)
{
    header_sent_ = true;
    send_raw(xml::open_stream_tag(header, s2s_write_context()));
}

void XmlStream::send(const xml::Element& element) { send_raw(xml::serialize(element, s2s_write_context())); }

void XmlStream::send_raw(std::string bytes)
{
    if (closed_ || close_sent_) return;
    pending_ += bytes;
    if (pending_.size() + in_flight_.size() > max_write_buffer_) {
        // The peer stopped reading: holding more would let it grow our memory without bound.
        close();
        return;
    }
    if (!writing_) write_more();
}

void XmlStream::write_more()
{
    writing_ = true;
    in_flight_.swap(pending_);
    pending_.clear();
    auto self = shared_from_this();
    auto done = [self](boost::system::error_code ec, std::size_t) {
        self->writing_ = false;
        self->in_flight_.clear();
        if (ec) {
            self->close();
            return;
        }
        if (!self->pending_.empty() && !self->closed_)
            self->write_more();
        else
            self->flushed_.cancel();
    };
    if (tls_active_)
        asio::async_write(tls_stream_, asio::buffer(in_flight_), std::move(done));
    else
        asio::async_write(tls_stream_.next_layer(), asio::buffer(in_flight_), std::move(done));
}

asio::awaitable<void> XmlStream::flush()
{
    while (!closed_ && (writing_ || !pending_.empty())) {
        flushed_.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ec;
        co_await flushed_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> XmlStream::fail(proto::StreamCondition condition, const std::string& text)
{
    if (closed_) co_return;
    if (!header_sent_) {
        xml::Element header("stream", std::string(proto::ns::stream));
        header.set_attr("version", "1.0");
        send_header(header);
    }
    send(proto::make_stream_error(condition, text));
    send_raw(std::string(xml::close_stream_tag()));
    close_sent_ = true;
    expires_after(std::chrono::seconds(2));
    co_await flush();
    close();
}

void XmlStream::send_close(std::chrono::milliseconds grace)
{
    if (closed_) return;
    if (!close_sent_) {
        send_raw(std::string(xml::close_stream_tag()));
        close_sent_ = true;
    }
    expires_after(grace);
}

asio::awaitable<void> XmlStream::answer_close()
{
    send_close(std::chrono::milliseconds(500));
    co_await flush();
    close();
}

asio::awaitable<void> XmlStream::close_gracefully(std::chrono::milliseconds grace)
{
    if (closed_) co_return;
    send_close(grace);
    co_await flush();
    // RFC 6120 §4.4: wait for the peer to close its side too, within the grace period.
    try {
        for (;;) {
            auto ev = co_await read();
            if (ev.kind == xml::StreamEvent::Kind::close) break;
        }
    } catch (const StreamFailure&) {
    }
    close();
}

void XmlStream::expires_after(std::chrono::steady_clock::duration d)
{
    deadline_.expires_after(d);
    std::weak_ptr<XmlStream> weak = weak_from_this();
    deadline_.async_wait([weak](boost::system::error_code ec) {
        if (ec) return;
        if (auto self = weak.lock()) {
            self->timed_out_ = true;
            self->close();
        }
    });
}

void XmlStream::expires_never() { deadline_.cancel(); }

void XmlStream::close()
{
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    tls_stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    tls_stream_.next_layer().close(ec);
    deadline_.cancel();
    flushed_.cancel();
}

}  // namespace wl::federation
