#pragma once
// Which leaves differ between two JSON documents: what the agent logs after applying
// a config and what the CLI shows for a dry run.

#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace henge::core {

/// The JSON pointers of the leaves that differ between two values (added, removed or
/// changed), objects walked member by member, in sorted order; "" when the roots differ
/// and either is not an object.
std::vector<std::string> changed_paths(const boost::json::value& before, const boost::json::value& after);

}  // namespace henge::core
