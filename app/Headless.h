#pragma once

#include "session/SessionConfig.h"

#include <QCommandLineParser>
#include <QHostAddress>
#include <QString>
#include <QUrl>

namespace pacelab::app {

// Options of the plain `pacelab --headless` run: PaceLab's sender fed by one source, facing the
// built-in emulator (default), a WebSocket URL, or Twilio itself (listen), printing the
// per-second [TX] (and, with the emulator, [RX]) telemetry and a summary.
struct HeadlessOptions
{
    double durationSec = 10.0;
    QString source = QStringLiteral("tone"); // tone | silence | noise | file | tts
    double toneHz = 440.0;
    double levelDbfs = -12.0;
    QString file;
    QString text;
    QUrl target;            // connect to this peer instead of the emulator
    QHostAddress listenAddress; // or listen for Twilio
    quint16 listenPort = 0;
    bool listen = false;
    QString telemetryJsonl;
    QString summaryJson;
    QString capturePath; // record the session (docs/capture-format.md)
    // Every engine and emulator setting (--high-water, --ping-interval-ms, --jitter-buffer-ms...,
    // app/SessionOptions.h), validated; the telemetry file and the capture go in here too.
    SessionConfig session;
    // --streams N: N streams of the tone from one pacing thread to --target (app/HeadlessStreams).
    int streams = 0;

    static void addTo(QCommandLineParser &parser);
    bool read(const QCommandLineParser &parser, QString *error);
};

int runHeadless(const HeadlessOptions &opts);

// Printed once at the start of every GUI-less run that streams, e.g.
// "[TX] provider=vonage 16 kHz L16, 20 ms frames (640 B), binary messages". No fps=/q=/drops=
// key in it: `pacelab doctor` reads only the per-second lines.
QString providerLine(const SenderConfig &cfg);

} // namespace pacelab::app
