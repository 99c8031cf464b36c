#pragma once

namespace pacelab {

// The engine's life cycle, on its own so the sender worker (PacedSender, EngineShared) needs
// no SenderEngine.h. SenderEngine::State (the public, Q_ENUM'd form) has the same values.
enum class EngineState : int { Idle, Connecting, Listening, Connected, Closing, Error };

} // namespace pacelab
