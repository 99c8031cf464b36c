#pragma once

#include "provider/Provider.h"

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QUrl>

#include <atomic>

class QThread;

namespace pacelab {

class LoadBotServer;
class LoadBotWorker;

struct LoadBotOptions
{
    // The protocol of every call: what the bot parses, the audio it sends (the profile's
    // outboundFormat(), one message per frameMs, binary frames for Vonage), its marks and clears.
    provider::Id provider = provider::Id::Twilio;
    int workers = 1;              // threads carrying the calls (accepted calls spread round-robin)
    int realtimePriority = 0;     // > 0: SCHED_FIFO for the bot's threads (when allowed)
    int markEveryFrames = 50;     // a mark every N frames (1 s of Twilio's 20 ms frames); 0 = none
    // Barge-in: caller frames louder than this, this many in a row, make the bot send `clear`
    // and pause; it talks again after quietMsToResume of caller quiet.
    double speechDbfs = -40.0;
    int speechFrames = 2;
    int quietMsToResume = 600;

    // Twins that break under load, for the knee:
    int cpuUsPerFrame = 0;        // busy CPU work per frame sent (real work: the knee depends on the machine)
    int properCalls = 0;          // > 0: only the first K calls are paced; later ones get a frame
                                  // every 40 ms (a knee at K whatever the machine)
    // Faults:
    bool silent = false;          // accepts, never speaks
    int closeAfterMs = 0;         // > 0: closes each call this long after `start`
    bool resetOnAccept = false;   // drops the TCP connection before the WebSocket handshake
};

// A bot that holds many calls at once, for `pacelab load` tests and the load-self bench: each
// call is greeted by an endless, well-paced stream of frames (a quiet tone; 20 ms for Twilio,
// the profile's frame duration otherwise), with marks, and cleared on caller speech. Like the emulator it has no timer per call: a few worker
// threads, each with one grid tick per frame duration sending every frame due. The media message
// of a call is built once, so a frame costs the bot little more than the WebSocket write.
class LoadReferenceBot final : public QObject
{
    Q_OBJECT
public:
    explicit LoadReferenceBot(LoadBotOptions options = LoadBotOptions(), QObject *parent = nullptr);
    ~LoadReferenceBot() override;

    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0, QString *error = nullptr);
    QUrl url() const; // ws://127.0.0.1:PORT/

    int accepted() const { return m_accepted.load(); }  // TCP connections
    int started() const { return m_started.load(); }    // calls that sent `start`
    int clearsSent() const { return m_clears.load(); }
    qint64 framesSent() const { return m_frames.load(); }
    int stopsReceived() const { return m_stops.load(); }
    int dtmfReceived() const { return m_dtmf.load(); }

private:
    friend class LoadBotWorker;
    friend class LoadBotServer;
    void dispatch(qintptr descriptor);

    LoadBotOptions m_opt;
    LoadBotServer *m_server = nullptr;
    QList<QThread *> m_threads;
    QList<LoadBotWorker *> m_workers;
    int m_next = 0;
    std::atomic<int> m_accepted{0};
    std::atomic<int> m_started{0};
    std::atomic<int> m_clears{0};
    std::atomic<qint64> m_frames{0};
    std::atomic<int> m_stops{0};
    std::atomic<int> m_dtmf{0};
};

} // namespace pacelab
