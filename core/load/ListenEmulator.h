#pragma once

#include "load/LoadTypes.h"

#include "audio/AudioFormat.h"
#include "emulator/EmulatedCall.h"

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QUrl>

#include <atomic>
#include <memory>

class QThread;

namespace pacelab {

class ListenAcceptor;
class ListenWorker;

// `pacelab emulate --listen HOST:PORT --max-streams N`: what the listening side is asked to do.
struct ListenOptions
{
    static constexpr int kMaxStreams = 100000;

    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 0;            // 0 = any free port
    int maxStreams = 1;          // concurrent streams accepted; more are refused (1008 + reason)
    int workers = 0;             // worker threads; 0 = one per core (at least 2), never more than maxStreams
    int realtimePriority = 0;    // > 0: SCHED_FIFO for the workers (when allowed)
    EmulatorOptions call;        // per-stream emulator settings (caller audio already encoded)
    double bargeInAtSec = -1.0;  // each stream: a barge-in probe this long after its start; < 0 = none
    PcmBuffer bargeInSpeech;     // the probe's caller speech, 8 kHz
    int bargeInTailMs = 3000;

    int workerCount() const;
    // "--max-streams wants 1..100000, got 0"; true when usable.
    bool validate(QString *error) const;
};

// One closed second of one stream, as the per-stream `[RX]` line shows it.
struct StreamSecond
{
    int index = 0;
    PerSecondRx rx;
};

// The many-stream listening emulator: accepts up to maxStreams concurrent Twilio Media Streams
// connections (PaceLab's MultiStreamSender or any client) and judges each with its own
// EmulatedCall (connected/start, inbound media, validation, playout, analytics, mark echoes),
// exactly as one stream is judged. Built like LoadEmulator: a few ListenWorker threads, each an
// event loop owning its streams' sockets and ONE 20 ms grid tick serving all of them; no thread
// and no timer per stream. The listening socket lives on the first worker's thread; accepted
// descriptors are dealt round-robin to the workers, which do the WebSocket handshake.
// Connections past maxStreams are completed and closed at once with 1008 (policy violated)
// and the reason. This object lives in the owner's thread; every signal reaches it queued.
class ListenEmulator final : public QObject
{
    Q_OBJECT
public:
    explicit ListenEmulator(QObject *parent = nullptr);
    ~ListenEmulator() override; // stop(), then the workers go

    // Starts the workers and listens; false with *error (bad options, port in use).
    bool listen(const ListenOptions &options, QString *error);
    QUrl url() const; // ws://HOST:PORT/ (127.0.0.1 for an any-address listen)
    // Stops accepting and ends every stream (`stop`, then a normal close). Results stay.
    void stop();

    int accepted() const { return m_shared->accepted.load(); } // streams started so far
    int refused() const { return m_shared->refused.load(); }
    int active() const { return m_shared->active.load(); }     // streams up now

    // Every stream accepted so far, ordered by index, measured as of now.
    QList<CallResult> results() const;
    // CPU time used by the worker threads so far, seconds.
    double workersCpuSec() const;
    // Why the workers did not get real-time scheduling (empty when not asked or granted).
    QString realtimeError() const { return m_realtimeError; }

    // What the workers share (counters and the limit); public for the workers' use.
    struct Shared
    {
        int maxStreams = 1;
        std::atomic<int> accepted{0};
        std::atomic<int> refused{0};
        std::atomic<int> active{0};
    };

Q_SIGNALS:
    void streamStarted(int index, const QString &streamSid, const QString &peer);
    void streamEnded(const pacelab::CallResult &result); // reason in failReason when it failed
    void seconds(const QList<pacelab::StreamSecond> &batch); // the streams' closed seconds
    void violationFound(int index, const pacelab::Violation &v);
    void bargeInFinished(int index, const pacelab::BargeInResult &result);
    void connectionRefused(const QString &peer, const QString &reason);

private:
    void stopWorkers();

    ListenOptions m_opt;
    std::shared_ptr<Shared> m_shared;
    QList<QThread *> m_threads;
    QList<ListenWorker *> m_workers;
    ListenAcceptor *m_acceptor = nullptr; // on the first worker's thread
    QUrl m_url;
    QString m_realtimeError;
};

// One line across every stream for one wall-clock second, from the seconds the streams closed in
// it: "[LISTEN] streams=200/200 fps p1=49 p50=50 jitter worst=0.4ms buffered max=0.30s
// underruns=0 violations=0". streams = up now / the limit (refused=N, ended=N follow when
// non-zero); fps p1/p50 = nearest rank over those seconds; jitter = RFC 3550 at each second's
// end, the worst stream; buffered = the most at any stream; underruns and violations = the
// totals over every stream so far (given).
QString listenSecondLine(int up, int maxStreams, int refused, int ended, const QList<PerSecondRx> &second,
                         qint64 underrunsTotal, qint64 violationsTotal);

} // namespace pacelab

Q_DECLARE_METATYPE(pacelab::StreamSecond)
Q_DECLARE_METATYPE(pacelab::CallResult)
