#pragma once

#include <QHostAddress>
#include <QString>
#include <QUrl>

// Option parsing shared by the sub-commands, so every command words the same mistake the same way.
namespace pacelab::app {

// "HOST:PORT" or "[IPv6]:PORT" ("localhost" = 127.0.0.1). minPort 0 allows "any free port".
bool parseHostPort(const QString &option, const QString &text, int minPort, QHostAddress *address,
                   quint16 *port, QString *error);

// pacelab::parseWebSocketUrl (core/util/UrlUtil.h), with a message naming the option.
bool parseWebSocketUrl(const QString &option, const QString &text, QUrl *url, QString *error);

// A finite number in [min, max]; `what` names it in the message ("seconds", "a factor"...).
// NaN and infinities are refused: QString::toDouble accepts "nan" and "inf", and NaN passes
// every range comparison.
bool parseNumber(const QString &option, const QString &text, double min, double max, double *value,
                 QString *error, const QString &what = QStringLiteral("a number"));

// An output file given with --option: it can be created before the run starts (see
// checkOutputPath), so a run never ends by failing to save what it measured.
bool checkOutputOption(const QString &option, const QString &path, QString *error);

// Runs the application's event loop for `seconds` or until quit(). Ctrl+C and SIGTERM end it
// early and cleanly (a queued quit()), so the caller still stops its engine and prints.
void runEventLoopFor(double seconds);

} // namespace pacelab::app
