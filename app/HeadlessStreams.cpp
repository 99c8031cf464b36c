#include "HeadlessStreams.h"

#include "CliOutput.h"
#include "CliUtil.h"

#include "audio/Framer.h"
#include "audio/SignalGenerator.h"
#include "engine/MultiStreamSender.h"
#include "util/FileUtil.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <sys/resource.h>

namespace pacelab::app {

namespace {

constexpr int kMaxStreams = 10000;
// Sockets beyond the streams: stdio, the event loop's pipes, files, a margin.
constexpr int kSpareFds = 64;

// One second of the tone in frames of the provider's format (50 x 160 B mu-law for Twilio);
// every stream cycles through them. A whole number of tone periods per second at any whole
// frequency, so the cycle has no click.
QList<QByteArray> toneFrames(double hz, double dbfs, const MediaFormat &format)
{
    const QVector<qint16> pcm = signal::sine(format.sampleRate, 1.0, hz, dbfs);
    Framer framer(format.sampleRate, 1, format);
    return framer.push(pcm); // 1 s is a whole number of frames for every provider's frameMs
}

} // namespace

HeadlessStreamsOptions HeadlessStreamsOptions::fromHeadless(const HeadlessOptions &o, int streams)
{
    HeadlessStreamsOptions s;
    s.streams = streams;
    s.target = o.target;
    s.durationSec = o.durationSec;
    s.toneHz = o.toneHz;
    s.levelDbfs = o.levelDbfs;
    s.telemetryJsonl = o.telemetryJsonl;
    s.summaryJson = o.summaryJson;
    s.sender = o.session.sender;
    return s;
}

QString HeadlessStreamsOptions::validate() const
{
    if (streams < 1 || streams > kMaxStreams)
        return QStringLiteral("--streams wants 1..%1 streams, got %2").arg(kMaxStreams).arg(streams);
    if (target.isEmpty())
        return QStringLiteral("--streams needs --target URL (the peer that accepts the streams)");
    if (durationSec <= 0)
        return QStringLiteral("--duration must be > 0 s");
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
        && rlim_t(streams + kSpareFds) > rl.rlim_cur)
        return QStringLiteral("%1 streams need %2 file descriptors but the limit is %3: raise it first "
                              "(ulimit -n %2)")
            .arg(streams)
            .arg(streams + kSpareFds)
            .arg(qulonglong(rl.rlim_cur));
    return {};
}

int runHeadlessStreams(const HeadlessStreamsOptions &opts)
{
    // One socket per stream: raise the soft descriptor limit as far as the hard one allows
    // (validate() then says what is missing, if anything).
    rlimit rl{};
    const rlim_t need = rlim_t(std::max(0, opts.streams) + kSpareFds);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? need : std::min(need, rl.rlim_max);
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (const QString problem = opts.validate(); !problem.isEmpty()) {
        err() << "pacelab: " << problem << "\n";
        return 2;
    }
    SenderConfig cfg = opts.sender;
    cfg.telemetryJsonlPath = opts.telemetryJsonl;
    MultiStreamSender sender(cfg, opts.phases);
    if (const QString problem = sender.validate(); !problem.isEmpty()) {
        err() << "pacelab: " << problem << "\n";
        return 2;
    }
    int exitCode = 0;
    QObject::connect(&sender, &MultiStreamSender::second, [](const MultiStreamSecond &s) {
        out() << s.toLine() << "\n";
        out().flush();
    });
    QObject::connect(&sender, &MultiStreamSender::logMessage, [](int, const QString &level, const QString &text) {
        if (level != QLatin1String("info")) // N streams x "connecting/streaming" is noise
            err() << "[" << level << "] " << text << "\n";
    });
    for (int i = 0; i < opts.streams; ++i) {
        QString problem;
        if (sender.addStream(opts.target, {}, &problem) < 0) {
            err() << "pacelab: " << problem << "\n";
            return 2;
        }
    }
    out() << "pacelab: " << opts.streams << " streams of a " << opts.toneHz << " Hz tone -> "
          << opts.target.toString() << " for " << opts.durationSec << " s (one pacing thread)\n";
    out() << providerLine(cfg) << "\n";
    out().flush();

    // The producer: every frame duration, each stream's queue is topped up to its high-water
    // mark (the tone keeps its phase per stream). Never more: nothing is dropped on our side.
    const QList<QByteArray> tone = toneFrames(opts.toneHz, opts.levelDbfs, sender.format());
    if (tone.isEmpty()) {
        err() << "pacelab: cannot make the tone in " << sender.format().describe() << "\n";
        return 2;
    }
    std::vector<int> next(size_t(opts.streams), 0);
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        for (int i = 0; i < opts.streams; ++i) {
            TxQueue *q = sender.queue(i);
            while (q->size() < q->highWater()) {
                if (q->tryPush(TxItem::media(tone[next[size_t(i)]])) != TxQueue::PushResult::Ok)
                    break;
                next[size_t(i)] = (next[size_t(i)] + 1) % int(tone.size());
            }
        }
    });
    feeder.start(sender.format().frameMs);

    runEventLoopFor(opts.durationSec);
    feeder.stop();

    // Drain and close every stream, then read the totals (published on stop).
    sender.stop();
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        for (int i = 0; i < opts.streams; ++i) {
            const EngineState st = sender.streamState(i);
            if (st != EngineState::Idle && st != EngineState::Error)
                return;
        }
        loop.quit();
    });
    poll.start(50);
    QTimer::singleShot(cfg.drainTimeoutMs + 5000, &loop, &QEventLoop::quit);
    loop.exec();

    const MultiStreamTotals t = sender.totals();
    int failed = 0;
    for (int i = 0; i < opts.streams; ++i)
        failed += sender.streamState(i) == EngineState::Error ? 1 : 0;
    out() << QStringLiteral("[TX] summary: streams=%1 failed=%2 frames=%3 drops=%4 late_resets=%5 "
                            "lateness p50=%6us p99=%7us max=%8us (after the flush, all streams)\n")
                 .arg(opts.streams).arg(failed).arg(t.framesSent).arg(t.drops).arg(t.lateResets)
                 .arg(t.latenessP50Us).arg(t.latenessP99Us).arg(t.latenessMaxUs);
    out().flush();
    if (failed > 0) {
        for (int i = 0; i < opts.streams; ++i)
            if (sender.streamState(i) == EngineState::Error) {
                err() << "pacelab: stream " << i << ": " << sender.streamStats(i).lastError << "\n";
                break; // the first says why; the count says how many
            }
        exitCode = 1;
    }
    if (!opts.summaryJson.isEmpty()) {
        const QJsonObject summary{{QStringLiteral("streams"), opts.streams},
                                  {QStringLiteral("failed"), failed},
                                  {QStringLiteral("framesSent"), qint64(t.framesSent)},
                                  {QStringLiteral("dropsTotal"), qint64(t.drops)},
                                  {QStringLiteral("lateResets"), qint64(t.lateResets)},
                                  {QStringLiteral("latenessP50Us"), t.latenessP50Us},
                                  {QStringLiteral("latenessP99Us"), t.latenessP99Us},
                                  {QStringLiteral("latenessMaxUs"), t.latenessMaxUs}};
        QString writeError;
        if (!saveFileAtomically(opts.summaryJson, QJsonDocument(summary).toJson(), &writeError)) {
            err() << "pacelab: " << writeError << "\n";
            exitCode = 1;
        }
    }
    err().flush();
    return exitCode;
}

} // namespace pacelab::app
