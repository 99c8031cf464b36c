#pragma once

#include <QHostAddress>
#include <QString>
#include <QUrl>

// Option parsing shared by the sub-commands, so every command words the same mistake the same way.
namespace pacelab::app {

// "HOST:PORT" or "[IPv6]:PORT" ("localhost" = 127.0.0.1). minPort 0 allows "any free port".
bool parseHostPort(const QString &option, const QString &text, int minPort, QHostAddress *address,
                   quint16 *port, QString *error);

// A ws:// or wss:// URL with a host and a non-zero port, or a message naming the option.
bool parseWebSocketUrl(const QString &option, const QString &text, QUrl *url, QString *error);

} // namespace pacelab::app
