#pragma once

#include "audio/MediaFormat.h"

namespace pacelab::ui {

// A producer or the microphone frames its audio in the session's format (the provider's
// outbound format) where core lets it choose (setFormat, before start()); with a core whose
// producers frame only 20 ms mu-law, nothing to do and the ui still builds.
template<typename T>
void useFramerFormat(T *framer, const MediaFormat &format)
{
    if constexpr (requires { framer->setFormat(format); })
        framer->setFormat(format);
}

} // namespace pacelab::ui
