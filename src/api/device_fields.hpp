#pragma once
// The fields of a device as operators write them (id, schema, labels, groups, config):
// parsed and checked the same way for one device, a batch of them and a change to one.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace henge::api {

/// Sets `labels` from a JSON object of strings; with `merge`, a null removes a label and
/// the others are kept.
core::Status parse_labels(const boost::json::value& v, std::map<std::string, std::string>& labels, bool merge);

/// Group names, sorted and without duplicates.
core::Status parse_groups(const boost::json::value& v, std::vector<std::string>& out);

/// A schema name, or null for none (empty).
core::Status parse_schema_name(const boost::json::value& v, std::string& out);

/// A fresh device token ("hdt_…"); only its hash is stored.
std::string new_device_token();

struct NewDevice {
  core::Device device;  ///< token_hash set, desired not yet planned
  std::string token;
};

/// A device to register, from POST /v1/devices's body or one item of a batch: only the
/// fields above, `id` required.
core::Result<NewDevice> parse_new_device(const boost::json::object& body, core::TimeMs now);

/// What an operator should hear about `devices` without the write being refused: a
/// schema they name that does not exist (yet), so they get no defaults and no
/// validation until it does. One line per such schema; empty when there is nothing.
boost::json::array device_warnings(store::ReadTx& tx, const std::vector<core::Device>& devices);

}  // namespace henge::api
