// S1-S6 and E1: the stability checklist and the silence test, each driving the real
// SenderEngine against the emulator (or the configured peer). Over 500 lines because the seven
// harnesses share their producers and tag bookkeeping; their judges live in SenderJudges.cpp.
#include "Scenarios.h"

#include "audio/Framer.h"
#include "audio/G711.h"
#include "audio/Resampler.h"
#include "audio/SignalGenerator.h"
#include "check/WsTap.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

namespace pacelab::check {

namespace {

using Clock = std::chrono::steady_clock;

// Pushes `count` tagged frames (`bytes` each, numbered silence in `fmt`) at real time in uneven
// chunks, like a streaming source: after a 200 ms lead the chunk pattern averages 100 ms of audio
// per 100 ms (5 frames of 20 ms; one of 100 ms). Frame numbers start at `first`.
void streamRealTime(SenderEngine *eng, const std::atomic<bool> &stop, quint32 first, int count, int bytes,
                    bool blocking, const MediaFormat &fmt = MediaFormat::mulaw8k())
{
    static const int pattern[] = {5, 3, 8, 4, 6, 5, 2, 7}; // in 20 ms units of audio
    auto next = Clock::now();
    int sent = 0;
    // A 200 ms lead first, as a streaming source keeps: the uneven chunks then never leave the
    // sender without a frame (which the peer would hear as an underrun).
    const int lead = std::max(2, 200 / fmt.frameMs);
    for (; sent < std::min(lead, count) && !stop; ++sent)
        if (!eng->enqueueFrame(taggedFrame(first + quint32(sent), bytes, fmt), blocking))
            return;
    double owed = 0.0;
    for (int k = 0; sent < count && !stop; ++k) {
        owed += pattern[k % 8] * 20.0 / fmt.frameMs;
        const int chunk = std::min(int(owed), count - sent);
        owed -= int(owed);
        for (int i = 0; i < chunk; ++i)
            if (!eng->enqueueFrame(taggedFrame(first + quint32(sent++), bytes, fmt), blocking))
                return;
        next += std::chrono::milliseconds(100);
        std::this_thread::sleep_until(next);
    }
}

// Records which tagged frames reached the peer, in arrival order (-1 = untagged).
struct ArrivalLog
{
    MediaFormat format; // the provider's outbound audio
    QList<qint64> numbers;
    void add(const QByteArray &audio)
    {
        const auto t = readFrameTag(audio, format);
        numbers.append(t ? qint64(*t) : -1);
    }
};

// ================================================================================================
// S1 single transmit path
class S1SingleTransmit final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        m_total = std::max(fps(), int(dur().s1Sec * fps()));
        // Embedded: the connection goes through a tap that counts every TCP connection made to
        // the peer (the emulator itself refuses a second stream without telling anyone).
        std::function<quint16(quint16)> upstream;
        if (cfg().mode == TargetMode::Embedded) {
            upstream = [this](quint16 emuPort) -> quint16 {
                m_tap = new WsTap(this);
                QString err;
                if (!m_tap->listen(emuPort, &err)) {
                    finishError(err);
                    return 0;
                }
                return m_tap->port();
            };
        }
        openSender(senderConfig(), [this] { onStreaming(); }, {}, upstream);
    }

    void stopProducers() override
    {
        m_second.reset();
    }

private:
    void onStreaming()
    {
        if (hasEmulator()) {
            m_log.format = format();
            connect(emulator(), &TwilioEmulator::mediaReceived, this, [this](const QByteArray &m) { m_log.add(m); });
        }
        markAudioStart();
        SenderEngine *eng = engine();
        // Producers share one counter; the lock makes "number order" = "queue order", so the
        // peer's order can be checked exactly while three threads push.
        auto pushNext = [this, eng]() -> bool {
            std::lock_guard lock(m_orderMutex);
            if (m_next >= m_total)
                return false;
            if (!eng->enqueueFrame(tagged(quint32(m_next)), true))
                return false;
            ++m_next;
            return true;
        };
        // "TTS": as fast as the back-pressure lets it.
        runProducer([pushNext](const std::atomic<bool> &stop) {
            while (!stop && pushNext()) {
            }
        });
        // "Opening tone": a frame every 100 ms.
        runProducer([pushNext](const std::atomic<bool> &stop) {
            while (!stop && pushNext())
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        });
        // Marks from this (the main) thread, every 500 ms while producing.
        // The main thread never takes m_orderMutex: producers hold it while blocked on the full
        // queue, and an unfair mutex would stall this thread (and the emulator living on it).
        pollUntil(500, dur().s1Sec + 30, [this] {
            if (m_next.load() >= m_total)
                return true;
            const QString name = QStringLiteral("s1-%1").arg(m_marks.size() + 1);
            m_marks << name;
            engine()->mark(name);
            return false;
        }, {});
        if (cfg().broken.secondTransmitPath && m_tap)
            after(1.0, [this] { startSecondSender(); });
        // Production ends when the shared counter is used up; then drain and judge.
        pollUntil(50, dur().s1Sec + 30, [this] {
            if (m_next.load() < m_total)
                return false;
            post([this] { waitDrained(10, [this] { judge(); }, true); });
            return true;
        }, [this] { finishError(QStringLiteral("producers did not finish")); });
    }

    // Broken twin: something else writes to the peer besides the sender thread (here a second
    // connection, like an "opening tone" sent straight to a WebSocket of its own).
    void startSecondSender()
    {
        SessionConfig sc;
        sc.sender = senderConfig();
        QString problem;
        m_second = Session::create(sc, &problem);
        if (!m_second)
            return detail(QStringLiteral("broken twin: no second writer: %1").arg(problem));
        SenderEngine *second = m_second->engine();
        connect(second, &SenderEngine::stateChanged, this, [this, second](SenderEngine::State st, const QString &) {
            if (st != SenderEngine::Connected)
                return;
            for (int i = 0; i < fps(); ++i)
                second->enqueueFrame(tagged(0x40000000u + quint32(i)), false);
        });
        detail(QStringLiteral("broken twin: a second writer opened its own connection to the peer after 1 s"));
        QUrl url = emulatorUrl();
        url.setPort(m_tap ? m_tap->port() : url.port());
        second->connectTo(url);
    }

    void judge()
    {
        S1Observation o;
        o.hasPeer = hasEmulator();
        o.offThreadWrites = std::max(engine()->offThreadWrites(), engine()->lastTelemetry().offThreadWrites);
        o.framesQueued = m_total;
        o.framesSent = engine()->totals().framesSent;
        o.connections = m_tap ? m_tap->connections() : m_peerConnections;
        o.arrivals = m_log.numbers;
        o.marksSent = m_marks;
        if (hasEmulator())
            o.marksEchoed = onEmulator([](TwilioEmulator &e) { return e.marksEchoedInOrder(); }).value_or(QStringList());
        judgeS1(o, th(), judgement());
        addStandardFigures();
        figure(QStringLiteral("framesQueued"), m_total);
        figure(QStringLiteral("marks"), QJsonArray::fromStringList(m_marks));
        finish();
    }

    int m_total = 0;
    std::mutex m_orderMutex;
    std::atomic<int> m_next{0}; // written under m_orderMutex, read anywhere
    QStringList m_marks;
    ArrivalLog m_log;
    std::unique_ptr<Session> m_second; // the broken twin's second writer
    WsTap *m_tap = nullptr;
};

// ================================================================================================
// S2 exact rate
class S2ExactRate final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        openSender(senderConfig(), [this] { onStreaming(); });
    }

private:
    void onStreaming()
    {
        markAudioStart();
        const int total = std::max(2 * fps(), int(dur().s2Sec * fps()));
        SenderEngine *eng = engine();
        const int bytes = producerFrameBytes();
        const MediaFormat fmt = format();
        runProducer([this, eng, total, bytes, fmt](const std::atomic<bool> &stop) {
            for (int i = 0; i < total && !stop; ++i)
                if (!eng->enqueueFrame(taggedFrame(quint32(i), bytes, fmt), true))
                    return;
            post([this] { waitDrained(10, [this] { judge(); }); });
        });
    }

    void judge()
    {
        S2Observation o;
        o.txFps = activeTxFps();
        o.rxFps = activeRxFps();
        const SenderTotals t = engine()->totals();
        o.latenessP99Ms = t.latenessP99Us / 1000.0;
        o.latenessMaxMs = t.latenessMaxUs / 1000.0;
        o.lateResets = t.lateResets;
        o.framesSent = t.framesSent;
        o.finalDriftMs = t.finalDriftUs / 1000.0;
        o.fixedSleep = engine()->config().pacing == SenderConfig::Pacing::FixedSleep;
        if (hasEmulator())
            o.peer = peerObservation();
        judgeS2(o, th(), judgement());
        addStandardFigures();
        finish();
    }
};

// ================================================================================================
// S3 drop policy
class S3DropPolicy final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        openSender(senderConfig(), [this] { onStreaming(); });
    }

private:
    int bound() const
    {
        const int c = engine()->config().queueCapacity;
        return c > 0 ? c : th().queueCapacity;
    }

    void onStreaming()
    {
        if (hasEmulator()) {
            m_log.format = format();
            connect(emulator(), &TwilioEmulator::mediaReceived, this, [this](const QByteArray &m) { m_log.add(m); });
        }
        markAudioStart();
        m_burstSize = bound() + 80;
        // The queue drains a full bound in bound × 20 ms; leave it that long between bursts so
        // each burst's survivors can be told apart.
        const double gap = bound() * frameSec() + 0.2;
        m_bursts = std::max(2, int((dur().s3Sec - gap) / gap) + 1);
        for (int b = 0; b < m_bursts; ++b)
            after(0.3 + b * gap, [this, b] { burst(b); });
    }

    void burst(int b)
    {
        // A real-time source (microphone, relay) flooding: never waits, drop-oldest.
        const bool blocking = false;
        for (int i = 0; i < m_burstSize; ++i)
            engine()->enqueueFrame(tagged(quint32(b * 100000 + i)), blocking);
        m_pushed += m_burstSize;
        if (b == m_bursts - 1)
            waitDrained(std::max(8.0, m_pushed * frameSec()), [this] { judge(); }, true);
    }

    void judge()
    {
        S3Observation o;
        o.hasPeer = hasEmulator();
        o.bound = bound();
        o.bursts = m_bursts;
        o.burstSize = m_burstSize;
        o.pushed = m_pushed;
        o.drops = engine()->queue()->totalDrops();
        o.arrivals = m_log.numbers;
        for (const TxSecond &s : std::as_const(m_tx))
            o.queuePeak = std::max(o.queuePeak, s.queueMax);
        o.warnings = m_warnings;
        o.warningTimesMs = m_warningTimesMs;
        judgeS3(o, th(), judgement());
        addStandardFigures();
        finish();
    }

    int m_burstSize = 0;
    int m_bursts = 0;
    int m_pushed = 0;
    ArrivalLog m_log;
};

// ================================================================================================
// S4 queue sizes
class S4QueueSizes final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        openSender(senderConfig(), [this] { onStreaming(); });
    }

private:
    void onStreaming()
    {
        const SenderConfig &c = engine()->config();
        m_obs.queueCapacity = c.queueCapacity;
        m_obs.sendQueueCapacity = c.sendQueueCapacity;
        // Probe: twice the bound at once, as a real-time source would when the network stalls.
        m_obs.probePushed = 2 * th().queueCapacity;
        for (int i = 0; i < m_obs.probePushed; ++i)
            engine()->enqueueFrame(tagged(quint32(i)), false);
        m_obs.probeHeld = engine()->queue()->size();
        // Local only, on purpose: the probe is discarded before the measured part, and
        // SenderEngine::clear() would also send Twilio's `clear`, a barge-in this scenario
        // does not make (the emulator would count it and flush its buffer).
        engine()->queue()->clear();
        // Steady state: a streaming producer at real time, in uneven chunks.
        after(1.0, [this] {
            markAudioStart();
            m_steadyFromMs = wallMs();
            const int frames = std::max(fps(), int((dur().s4Sec - 1.0) * fps()));
            SenderEngine *eng = engine();
            const int bytes = producerFrameBytes();
        const MediaFormat fmt = format();
            const bool blocking = !cfg().broken.ignoreBackPressure;
            runProducer([this, eng, frames, bytes, blocking, fmt](const std::atomic<bool> &stop) {
                streamRealTime(eng, stop, 100000, frames, bytes, blocking, fmt);
                post([this] { waitDrained(10, [this] { judge(); }, true); });
            });
        });
    }

    void judge()
    {
        m_obs.steadyQueueMax.clear();
        for (const TxSecond &s : std::as_const(m_tx))
            if (s.wallTimeMs - 1000 >= m_steadyFromMs)
                m_obs.steadyQueueMax << s.queueMax;
        m_obs.maxSendQueue = engine()->totals().maxSendQueue;
        judgeS4(m_obs, th(), judgement());
        addStandardFigures();
        finish();
    }

    qint64 m_steadyFromMs = 0;
    S4Observation m_obs;
};

// ================================================================================================
// S5 true 20 ms frames
class S5TrueFrames final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        // Prepare every rate up front: PCM16 -> Framer (the healthy path) or, broken twin, cut
        // into frames of another size without the Framer.
        const int bytes = producerFrameBytes();
        const MediaFormat fmt = format();
        m_format = fmt;
        struct Rate { int rate; int channels; };
        const Rate rates[] = {{8000, 1}, {16000, 1}, {22050, 1}, {24000, 1}, {44100, 1}, {48000, 2}};
        for (const Rate &r : rates) {
            Segment seg;
            seg.rate = r.rate;
            seg.channels = r.channels;
            const double sec = dur().s5SecPerRate + 0.0137; // deliberately not a whole number of frames
            QVector<qint16> mono = signal::sweep(r.rate, sec, 200.0, 3400.0, -12.0);
            QVector<qint16> pcm;
            if (r.channels == 2) {
                pcm.reserve(mono.size() * 2);
                for (qint16 v : std::as_const(mono))
                    pcm << v << v;
            } else {
                pcm = mono;
            }
            seg.inputFrames = mono.size();
            seg.expected8k = qRound64(double(mono.size()) * fmt.sampleRate / r.rate);
            if (bytes == fmt.frameBytes() && fmt == MediaFormat::mulaw8k()) {
                Framer framer(r.rate, r.channels);
                if (!framer.isValid())
                    return finishError(framer.errorString());
                // Uneven chunks, as a TTS engine or a device hands them over.
                qsizetype pos = 0;
                int k = 0;
                const qsizetype total = mono.size();
                while (pos < total) {
                    const qsizetype n = std::min<qsizetype>(total - pos, 97 + (k++ % 7) * 131);
                    seg.frames += framer.push(pcm.constData() + pos * r.channels, n);
                    pos += n;
                }
                const Framer::FlushResult fr = framer.flush();
                seg.frames += fr.frames;
                seg.padded = fr.paddedSamples;
                seg.got8k = framer.samplesIn8k();
            } else {
                // Another provider's format (resampled and framed at its rate and frame size), or
                // the broken twin: fixed-size chunks of `bytes` (e.g. two frames at once).
                Resampler rs(r.rate, r.channels, fmt.sampleRate);
                if (!rs.isValid())
                    return finishError(rs.errorString());
                QVector<qint16> out = rs.process(pcm.constData(), mono.size());
                out += rs.flush();
                seg.got8k = out.size();
                const qsizetype per = bytes / fmt.bytesPerSample();
                for (qsizetype i = 0; i < out.size(); i += per) {
                    const qsizetype n = std::min<qsizetype>(per, out.size() - i);
                    QVector<qint16> chunk(out.mid(i, n));
                    chunk.resize(per, 0); // the last frame padded with silence
                    seg.padded += int(per - n);
                    seg.frames << fmt.encode(chunk);
                }
            }
            for (const QByteArray &f : std::as_const(seg.frames))
                seg.bytes += f.size();
            m_segments << seg;
        }
        openSender(senderConfig(), [this] { onStreaming(); });
    }

private:
    struct Segment
    {
        int rate = 0, channels = 1;
        qint64 inputFrames = 0, expected8k = 0, got8k = 0;
        int padded = 0;
        qint64 bytes = 0;
        QList<QByteArray> frames;
    };

    void onStreaming()
    {
        markAudioStart();
        SenderEngine *eng = engine();
        QList<QByteArray> all;
        for (const Segment &s : std::as_const(m_segments))
            all += s.frames;
        m_pushedFrames = int(all.size());
        for (const QByteArray &f : std::as_const(all))
            m_pushedBytes += f.size();
        runProducer([this, eng, all](const std::atomic<bool> &stop) {
            for (const QByteArray &f : all)
                if (stop || !eng->enqueueFrame(f, true))
                    return;
            post([this] { waitDrained(10, [this] { judge(); }); });
        });
    }

    void judge()
    {
        S5Observation o;
        for (const Segment &s : std::as_const(m_segments)) {
            S5Segment g;
            g.rate = s.rate;
            g.channels = s.channels;
            g.inputFrames = s.inputFrames;
            g.expected8k = s.expected8k;
            g.got8k = s.got8k;
            g.padded = s.padded;
            g.frames = int(s.frames.size());
            g.frameBytes = s.frames.isEmpty() ? 0 : int(s.frames.first().size());
            g.bytesPerSample = m_format.bytesPerSample();
            g.outputRate = m_format.sampleRate;
            for (const QByteArray &f : s.frames)
                g.nonStandardFrames += f.size() != th().frameBytes ? 1 : 0;
            o.segments << g;
        }
        o.pushedFrames = m_pushedFrames;
        o.pushedBytes = m_pushedBytes;
        if (hasEmulator())
            o.peer = onEmulator([](TwilioEmulator &e) { return e.stats(); }).value_or(ArrivalStats());
        judgeS5(o, th(), judgement());
        addStandardFigures();
        finish();
    }

    QList<Segment> m_segments;
    MediaFormat m_format;
    int m_pushedFrames = 0;
    qint64 m_pushedBytes = 0;
};

// ================================================================================================
// S6 keep-alive
class S6KeepAlive final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        SenderConfig sc = senderConfig();
        m_productionMs = sc.pingIntervalMs;
        if (m_productionMs > 0)
            sc.pingIntervalMs = dur().s6PingIntervalMs;
        m_testMs = sc.pingIntervalMs;
        detail(QStringLiteral("runs with a %1 ms ping interval instead of %2 ms, to see several pings in %3 s")
                   .arg(dur().s6PingIntervalMs).arg(m_productionMs).arg(dur().s6Sec));
        auto tapper = [this](quint16 emuPort) -> quint16 {
            m_tap = new WsTap(this);
            QString err;
            if (!m_tap->listen(emuPort, &err)) {
                finishError(err);
                return 0;
            }
            return m_tap->port();
        };
        std::function<quint16(quint16)> upstream;
        if (hasTapMode())
            upstream = tapper;
        openSender(sc, [this] { onStreaming(); }, {}, upstream);
    }

private:
    bool hasTapMode() const { return cfg().mode == TargetMode::Embedded; }

    void onStreaming()
    {
        markAudioStart();
        m_streamingAt = elapsedSec();
        SenderEngine *eng = engine();
        const int frames = int(dur().s6Sec * fps());
        const int bytes = producerFrameBytes();
        const MediaFormat fmt = format();
        runProducer([eng, frames, bytes, fmt](const std::atomic<bool> &stop) {
            streamRealTime(eng, stop, 0, frames, bytes, true, fmt);
        });
        after(dur().s6Sec, [this] { judge(); });
    }

    void judge()
    {
        markAudioEnd();
        S6Observation o;
        o.productionIntervalMs = m_productionMs;
        o.testIntervalMs = m_testMs;
        o.windowSec = elapsedSec() - m_streamingAt;
        o.tapped = m_tap != nullptr;
        if (m_tap) {
            o.pingTimesMs = m_tap->pingTimesMs();
            o.pongTimesMs = m_tap->pongTimesMs();
        }
        const TelemetrySnapshot last = engine()->lastTelemetry();
        o.rttMs = last.pingRttMs;
        o.missedPongs = last.missedPongs;
        judgeS6(o, th(), judgement());
        addStandardFigures();
        finish();
    }

    int m_productionMs = 0;
    int m_testMs = 0;
    double m_streamingAt = 0;
    WsTap *m_tap = nullptr;
};

// ================================================================================================
// E1 silence
class E1Silence final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        openSender(senderConfig(), [this] { onStreaming(); });
    }

private:
    void onStreaming()
    {
        if (hasEmulator()) {
            m_log.format = format();
            connect(emulator(), &TwilioEmulator::mediaReceived, this, [this](const QByteArray &m) { m_log.add(m); });
        }
        markAudioStart();
        m_warningsBefore = int(m_warnings.size());
        SenderEngine *eng = engine();
        const int n = th().e1Frames;
        const int bytes = producerFrameBytes();
        const MediaFormat fmt = format();
        // The healthy producer uses the back-pressured enqueue; the broken twin ignores it.
        const bool blocking = !cfg().broken.ignoreBackPressure;
        runProducer([this, eng, n, bytes, blocking, fmt](const std::atomic<bool> &stop) {
            for (int i = 0; i < n && !stop; ++i)
                if (!eng->enqueueFrame(taggedFrame(quint32(i), bytes, fmt), blocking))
                    return;
            post([this] { waitDrained(15, [this] { judge(); }, true); });
        });
    }

    void judge()
    {
        E1Observation o;
        o.frames = th().e1Frames;
        o.arrivals = m_log.numbers;
        if (hasEmulator())
            o.peer = peerObservation();
        o.framesSent = engine()->totals().framesSent;
        o.warnings = m_warnings.mid(m_warningsBefore);
        o.drops = engine()->queue()->totalDrops();
        judgeE1(o, th(), judgement());
        addStandardFigures();
        finish();
    }

    ArrivalLog m_log;
    int m_warningsBefore = 0;
};

} // namespace

Scenario *createSenderScenario(const ScenarioInfo &info, const RunContext &ctx, QObject *parent)
{
    const QString &id = info.id;
    if (id == QLatin1String("S1")) return new S1SingleTransmit(info, ctx, parent);
    if (id == QLatin1String("S2")) return new S2ExactRate(info, ctx, parent);
    if (id == QLatin1String("S3")) return new S3DropPolicy(info, ctx, parent);
    if (id == QLatin1String("S4")) return new S4QueueSizes(info, ctx, parent);
    if (id == QLatin1String("S5")) return new S5TrueFrames(info, ctx, parent);
    if (id == QLatin1String("S6")) return new S6KeepAlive(info, ctx, parent);
    if (id == QLatin1String("E1")) return new E1Silence(info, ctx, parent);
    return nullptr;
}

} // namespace pacelab::check
