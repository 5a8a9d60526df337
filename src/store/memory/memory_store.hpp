#pragma once
// An in-memory Store for unit tests and `--store memory`. A write transaction works
// on a copy of the whole state and swaps it in on commit: simple and obviously
// atomic, at a cost proportional to the data, which is fine for what it is for.

#include <memory>

#include "store/store.hpp"

namespace henge::store {

std::unique_ptr<Store> make_memory_store();

}  // namespace henge::store
