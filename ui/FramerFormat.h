#pragma once

#include "audio/MediaFormat.h"

namespace pacelab::ui {

// A producer or the microphone frames its audio in the session's format (the provider's
// outbound format); setFormat must come before start().
template<typename T>
void useFramerFormat(T *framer, const MediaFormat &format)
{
    framer->setFormat(format);
}

} // namespace pacelab::ui
