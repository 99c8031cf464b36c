#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace pacelab {

// One second of the sender's life, taken on the sender thread.
struct TelemetrySnapshot
{
    qint64 secondIndex = 0;     // 0 = first second after start
    qint64 wallTimeMs = 0;      // ms since the epoch, end of the second
    int framesSent = 0;         // media frames written that second (= fps), comfort ones included
    int comfortFrames = 0;      // of which comfort silence
    int marksSent = 0;
    int queueDepth = 0;         // tx queue, now
    int queueMax = 0;           // tx queue, max during the second
    int sendQueueDepth = 0;     // send queue (clock -> socket), now
    int sendQueueMax = 0;
    int drops = 0;              // tx queue drop-oldest that second
    quint64 dropsTotal = 0;
    int lateResets = 0;         // that second
    quint64 lateResetsTotal = 0;
    qint64 latenessP50Us = 0;   // frame release vs the absolute grid
    qint64 latenessP99Us = 0;
    qint64 latenessMaxUs = 0;
    qint64 enqueueToSendP50Us = 0; // push into the tx queue -> written to the socket
    qint64 enqueueToSendP99Us = 0;
    qint64 bytesSent = 0;       // WebSocket text payload bytes that second
    qint64 bytesSentTotal = 0;
    qint64 bytesToWrite = 0;    // socket buffer, now
    int pingRttMs = -1;         // last pong RTT, -1 unknown
    int missedPongs = 0;        // total
    int stalledFrames = 0;      // deadlines skipped that second because the socket was backed up
    quint64 stalledTotal = 0;
    quint64 offThreadWrites = 0; // socket writes from a thread other than the sender's (must be 0)
    bool idle = false;          // no queued audio was available during the whole second
    QString sched;              // the sender thread's scheduling: fifo:50, rtkit:rr:20, nice:-10, normal, off

    // "[TX] fps=50 q=6 drops=0 late=0 p99=85us ..." — the first three fields are exactly the
    // checklist's.
    QString toLine() const;
    QJsonObject toJson() const;
    static TelemetrySnapshot fromJson(const QJsonObject &o);
};

} // namespace pacelab

Q_DECLARE_METATYPE(pacelab::TelemetrySnapshot)

namespace pacelab {

// Whole-run figures (bench, checks): kept on the sender thread, read from any thread.
struct SenderTotals
{
    quint64 framesSent = 0;
    quint64 comfortFrames = 0;
    quint64 marksSent = 0;
    quint64 clearsSent = 0;
    quint64 lateResets = 0;
    quint64 stalledFrames = 0;
    quint64 offThreadWrites = 0;
    quint64 bytesSent = 0;
    qint64 latenessP50Us = 0; // over every frame released, vs the absolute grid
    qint64 latenessP99Us = 0;
    qint64 latenessMaxUs = 0;
    // Last release minus its slot on the grid anchored at the first deadline (re-anchors and the
    // fixed-sleep pacer's relative delays show up here).
    qint64 finalDriftUs = 0;
    qint64 maxBytesToWrite = 0; // largest socket buffer seen
    int maxSendQueue = 0;
};

} // namespace pacelab
