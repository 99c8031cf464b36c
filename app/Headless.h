#pragma once

#include <QCommandLineParser>
#include <QString>

namespace pacelab::app {

// Options of the plain `pacelab --headless` run: the engine against the built-in emulator (or
// a given peer), printing the per-second [TX]/[RX] telemetry.
struct HeadlessOptions
{
    double durationSec = 10.0;
    QString source = QStringLiteral("tone");

    static void addTo(QCommandLineParser &parser);
    bool read(const QCommandLineParser &parser, QString *error);
};

int runHeadless(const HeadlessOptions &opts);

} // namespace pacelab::app
