#pragma once

#include "provider/Provider.h"

#include <QCommandLineParser>

namespace pacelab::app {

// --provider twilio|telnyx|vonage|plivo|exotel: the media-stream protocol spoken on the socket.
// Every command that streams takes it (default twilio).
void addProviderOption(QCommandLineParser &parser);
// False with *error ("--provider: unknown provider 'x' (one of twilio|...)") for a bad name;
// *id untouched when the option is absent.
bool readProviderOption(const QCommandLineParser &parser, provider::Id *id, QString *error);

} // namespace pacelab::app
