// Asio's and its SSL support's out-of-line code, compiled once for the whole program
// (BOOST_ASIO_SEPARATE_COMPILATION): every other TU includes only the headers.
#include <utility>  // Boost 1.74's Asio misses this include (std::exchange); must come first.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
