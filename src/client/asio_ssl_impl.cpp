// Asio's TLS layer, compiled once (BOOST_ASIO_SEPARATE_COMPILATION) for the clients.
#include <boost/asio/ssl/impl/src.hpp>
