#pragma once
// RFC 7386 JSON Merge Patch, and its inverse: the patch that turns one document into
// another (used to record what changed between two revisions).

#include <boost/json/value.hpp>

namespace henge::core {

/// Applies `patch` to `target` per RFC 7386 §2 and returns the result.
boost::json::value apply_merge_patch(boost::json::value target, const boost::json::value& patch);

/// A merge patch p with apply_merge_patch(from, p) == to. Object members whose value
/// in `to` is null cannot be expressed by a merge patch; such an object is replaced
/// whole. Returns an empty object when the documents are equal.
boost::json::value merge_diff(const boost::json::value& from, const boost::json::value& to);

}  // namespace henge::core
