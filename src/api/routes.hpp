#pragma once
// Each resource's routes, defined in its own file.

#include <vector>

#include "api/context.hpp"

namespace henge::api {

std::vector<Route> device_routes();
std::vector<Route> device_batch_routes();
std::vector<Route> config_routes();
std::vector<Route> schema_routes();
std::vector<Route> group_routes();
std::vector<Route> audit_routes();
std::vector<Route> device_api_routes();
std::vector<Route> event_routes();
std::vector<Route> token_routes();
std::vector<Route> metrics_routes();

}  // namespace henge::api
