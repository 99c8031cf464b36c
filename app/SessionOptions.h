#pragma once

#include "session/SessionConfig.h"

#include <QCommandLineParser>
#include <QString>

// The session's settings (core/session/SessionConfig.h, sessionSettings()) as command-line
// options: one table, so `pacelab --headless`, `pacelab emulate` and `pacelab replay --send` take
// the same flags, worded the same, checked by the same SessionConfig::validate().
namespace pacelab::app {

enum class SessionGroups { Sender = 1, Emulator = 2, All = 3 };

// --KEY VALUE for each integer setting, --KEY for each switch, of the groups asked for.
void addSessionOptions(QCommandLineParser &parser, SessionGroups groups = SessionGroups::All);

// Puts the options given onto *cfg (the rest keep cfg's values) and validates the result.
// false with *error: "--KEY wants a whole number, got 'x'" or "--KEY: <validate() message>".
bool readSessionOptions(const QCommandLineParser &parser, SessionConfig *cfg, QString *error,
                        SessionGroups groups = SessionGroups::All);

} // namespace pacelab::app
