// Asio's TLS layer, compiled once (BOOST_ASIO_SEPARATE_COMPILATION) for henged's TLS
// listener and the clients.
#include <boost/asio/ssl/impl/src.hpp>
