// Beast's out-of-line code, compiled once (BOOST_BEAST_SEPARATE_COMPILATION).
#include <utility>  // see asio_impl.cpp
#include <boost/beast/src.hpp>
