#pragma once

namespace henge::core {

/// The draft-07 meta-schema as JSON text.
extern const char* const kDraft07MetaSchema;

}  // namespace henge::core
