#pragma once

namespace henge::api {

/// api/openapi.yaml, embedded at build time and served at /v1/openapi.yaml.
extern const char* const kOpenApiDocument;

}  // namespace henge::api
