#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace pacelab {

// A message from the bot that Twilio would reject or flag, with Twilio's error code:
// 31950 binary frame / raw audio, 31951 invalid message, 31931 media discarded (more than
// 10 minutes buffered), 31924 WebSocket protocol error (invalid UTF-8, oversized message).
struct Violation
{
    int code = 0;
    QString message;  // specific: "unexpected field 'media.track'", "binary frame of 320 bytes"
    qint64 timeUs = 0; // steady-clock µs when it was received
    double sessionSec = 0.0; // seconds since the session started (for humans and JSON)

    QJsonObject toJson() const;
};

// One line of the per-second receive report.
// fps, bytes and the *InSecond counters cover that second only; bufferedSec and jitterMs are
// the values at the end of the second; the *Total counters are cumulative for the session.
struct PerSecondRx
{
    int second = 0; // 0-based index since the session started
    int fps = 0;
    qint64 bytes = 0;
    double bufferedSec = 0.0;
    double jitterMs = 0.0;
    int underrunsInSecond = 0;
    int underrunsTotal = 0;
    int burstsInSecond = 0;
    int burstsTotal = 0;
    int violationsInSecond = 0;
    int violationsTotal = 0;
    int marksEchoedInSecond = 0;

    // "[RX] fps=50 buffered=0.12s jitter=0.3ms underruns=0 bursts=0 violations=0"
    // (underruns/bursts/violations printed as session totals).
    QString toLine() const;
    QJsonObject toJson() const;
};

} // namespace pacelab

Q_DECLARE_METATYPE(pacelab::Violation)
Q_DECLARE_METATYPE(pacelab::PerSecondRx)
