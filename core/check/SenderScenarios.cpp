// S1-S6 and E1: the stability checklist and the silence test, each driving the real
// SenderEngine against the emulator (or the configured peer).
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

// Pushes `count` tagged frames at real time (50 fps) in uneven chunks, like a streaming source:
// after a 200 ms lead the chunk pattern averages 5 frames per 100 ms. Frame numbers start at
// `first`.
void streamRealTime(SenderEngine *eng, const std::atomic<bool> &stop, quint32 first, int count, int bytes,
                    bool blocking)
{
    static const int pattern[] = {5, 3, 8, 4, 6, 5, 2, 7};
    auto next = Clock::now();
    int sent = 0;
    // A 200 ms lead first, as a streaming source keeps: the uneven chunks then never leave the
    // sender without a frame (which the peer would hear as an underrun).
    for (; sent < std::min(10, count) && !stop; ++sent)
        if (!eng->enqueueFrame(taggedFrame(first + quint32(sent), bytes), blocking))
            return;
    for (int k = 0; sent < count && !stop; ++k) {
        const int chunk = std::min(pattern[k % 8], count - sent);
        for (int i = 0; i < chunk; ++i)
            if (!eng->enqueueFrame(taggedFrame(first + quint32(sent++), bytes), blocking))
                return;
        next += std::chrono::milliseconds(100);
        std::this_thread::sleep_until(next);
    }
}

// Records which tagged frames reached the peer, in arrival order.
struct ArrivalLog
{
    QList<qint64> numbers; // -1 = untagged
    void add(const QByteArray &mulaw)
    {
        const auto t = readFrameTag(mulaw);
        numbers.append(t ? qint64(*t) : -1);
    }
    // Order check against 0..expected-1: counts of missing, duplicated, out-of-order, foreign.
    struct Order
    {
        int arrived = 0, missing = 0, duplicates = 0, outOfOrder = 0, foreign = 0;
        qint64 firstBad = -1;
        bool perfect() const { return missing == 0 && duplicates == 0 && outOfOrder == 0 && foreign == 0; }
        QString text(int expected) const
        {
            if (perfect())
                return QStringLiteral("%1 of %2 frames, all in order").arg(arrived).arg(expected);
            return QStringLiteral("%1 of %2 frames: %3 missing, %4 duplicated, %5 out of order, %6 foreign%7")
                .arg(arrived).arg(expected).arg(missing).arg(duplicates).arg(outOfOrder).arg(foreign)
                .arg(firstBad >= 0 ? QStringLiteral(" (first problem at arrival #%1)").arg(firstBad) : QString());
        }
    };
    Order orderAgainst(qint64 expected) const
    {
        Order o;
        QSet<qint64> seen;
        qint64 prev = -1;
        for (qsizetype i = 0; i < numbers.size(); ++i) {
            const qint64 n = numbers[i];
            ++o.arrived;
            bool bad = false;
            if (n < 0 || n >= expected) {
                ++o.foreign;
                bad = true;
            } else if (seen.contains(n)) {
                ++o.duplicates;
                bad = true;
            } else {
                if (n < prev) {
                    ++o.outOfOrder;
                    bad = true;
                }
                seen.insert(n);
                prev = std::max(prev, n);
            }
            if (bad && o.firstBad < 0)
                o.firstBad = i;
        }
        o.missing = int(expected - seen.size());
        return o;
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
        m_total = std::max(50, int(dur().s1Sec * 50));
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
        if (hasEmulator())
            connect(emulator(), &TwilioEmulator::mediaReceived, this, [this](const QByteArray &m) { m_log.add(m); });
        markAudioStart();
        SenderEngine *eng = engine();
        // Producers share one counter; the lock makes "number order" = "queue order", so the
        // peer's order can be checked exactly while three threads push.
        auto pushNext = [this, eng]() -> bool {
            std::lock_guard lock(m_orderMutex);
            if (m_next >= m_total)
                return false;
            if (!eng->enqueueFrame(taggedFrame(quint32(m_next), cfg().broken.frameBytes), true))
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
        m_second = std::make_unique<SenderEngine>(senderConfig());
        SenderEngine *second = m_second.get();
        connect(second, &SenderEngine::stateChanged, this, [this, second](SenderEngine::State st, const QString &) {
            if (st != SenderEngine::Connected)
                return;
            for (int i = 0; i < 50; ++i)
                second->enqueueFrame(taggedFrame(0x40000000u + quint32(i)), false);
        });
        detail(QStringLiteral("broken twin: a second writer opened its own connection to the peer after 1 s"));
        QUrl url = emulator()->serverUrl();
        url.setPort(m_tap ? m_tap->port() : url.port());
        second->connectTo(url);
    }

    void judge()
    {
        const quint64 offThread = engine()->offThreadWrites();
        const quint64 offTelemetry = engine()->lastTelemetry().offThreadWrites;
        check(QStringLiteral("socket writes off the sender thread"), offThread == 0 && offTelemetry == 0,
              QString::number(std::max(offThread, offTelemetry)), QStringLiteral("0"));
        note(QStringLiteral("producers"), QStringLiteral("3 threads (fast TTS-like, 10 fps tone, marks from the main thread), %1 frames, %2 marks")
                                             .arg(m_total).arg(m_marks.size()));
        const SenderTotals t = engine()->totals();
        if (hasEmulator()) {
            const int connections = m_tap ? m_tap->connections() : m_peerConnections;
            check(QStringLiteral("connections at the peer"), connections == 1, QString::number(connections),
                  QStringLiteral("1"));
            const ArrivalLog::Order o = m_log.orderAgainst(m_total);
            check(QStringLiteral("media order at the peer"), o.perfect(), o.text(m_total),
                  QStringLiteral("every frame once, in queue order"));
            const QStringList echoed = emulator()->marksEchoedInOrder();
            const bool marksOk = echoed == m_marks;
            check(QStringLiteral("marks echoed in order"), marksOk,
                  marksOk ? QStringLiteral("%1 of %1").arg(m_marks.size())
                          : QStringLiteral("%1 of %2 echoed%3").arg(echoed.size()).arg(m_marks.size())
                                .arg(echoed == m_marks.mid(0, echoed.size()) ? QString() : QStringLiteral(", out of order")),
                  QStringLiteral("all, in order"));
        } else {
            check(QStringLiteral("frames written by the sender thread"), t.framesSent == quint64(m_total),
                  QString::number(t.framesSent), QString::number(m_total));
            note(QStringLiteral("peer side"), QStringLiteral("not observable with an external peer"));
        }
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
    std::unique_ptr<SenderEngine> m_second;
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
        const int total = std::max(100, int(dur().s2Sec * 50));
        SenderEngine *eng = engine();
        const int bytes = cfg().broken.frameBytes;
        runProducer([this, eng, total, bytes](const std::atomic<bool> &stop) {
            for (int i = 0; i < total && !stop; ++i)
                if (!eng->enqueueFrame(taggedFrame(quint32(i), bytes), true))
                    return;
            post([this] { waitDrained(10, [this] { judge(); }); });
        });
    }

    void judge()
    {
        checkFps(th().fpsTolerance);
        const SenderTotals t = engine()->totals();
        const double p99 = t.latenessP99Us / 1000.0, mx = t.latenessMaxUs / 1000.0;
        setLimit(QStringLiteral("latenessP99MaxMs"), th().latenessP99MaxMs);
        setLimit(QStringLiteral("latenessMaxMs"), th().latenessMaxMs);
        check(QStringLiteral("send lateness p99"), p99 <= th().latenessP99MaxMs, fmtMs(p99, 2),
              QStringLiteral("≤ %1").arg(fmtMs(th().latenessP99MaxMs, 0)));
        check(QStringLiteral("send lateness max"), mx <= th().latenessMaxMs, fmtMs(mx, 2),
              QStringLiteral("≤ %1").arg(fmtMs(th().latenessMaxMs, 0)));
        check(QStringLiteral("late resets"), t.lateResets <= quint64(th().maxLateResets), QString::number(t.lateResets),
              QStringLiteral("≤ %1").arg(th().maxLateResets));
        const double spanSec = t.framesSent * 0.02;
        if (hasEmulator()) {
            const ArrivalStats st = emulator()->stats();
            if (!st.driftValid) {
                check(QStringLiteral("clock drift at the peer"), false, QStringLiteral("too few frames to fit"),
                      QStringLiteral("|drift| ≤ %1 ppm").arg(th().maxDriftPpm));
            } else {
                check(QStringLiteral("clock drift at the peer"), std::fabs(st.driftPpm) <= th().maxDriftPpm,
                      QStringLiteral("%1 ppm (%2 over %3 s of audio)")
                          .arg(st.driftPpm, 0, 'f', 0)
                          .arg(fmtMs(st.driftMs, 1))
                          .arg(st.audioMs / 1000.0, 0, 'f', 1),
                      QStringLiteral("|drift| ≤ %1 ppm").arg(th().maxDriftPpm, 0, 'f', 0));
            }
            note(QStringLiteral("inter-arrival at the peer"), QStringLiteral("min %1, mean %2, p99 %3, max %4; jitter %5")
                                                                 .arg(fmtMs(st.deltaMinMs, 2), fmtMs(st.deltaMeanMs, 2),
                                                                      fmtMs(st.deltaP99Ms, 2), fmtMs(st.deltaMaxMs, 2),
                                                                      fmtMs(st.jitterMs, 2)));
        } else {
            // No peer analytics: the sender's own drift against its grid.
            const double ppm = spanSec > 0 ? t.finalDriftUs / (spanSec * 1e6) * 1e6 : 0.0;
            check(QStringLiteral("clock drift at the sender"), std::fabs(ppm) <= th().maxDriftPpm,
                  QStringLiteral("%1 ppm (%2 over %3 s)").arg(ppm, 0, 'f', 0).arg(fmtMs(t.finalDriftUs / 1000.0, 1)).arg(spanSec, 0, 'f', 1),
                  QStringLiteral("|drift| ≤ %1 ppm").arg(th().maxDriftPpm, 0, 'f', 0));
        }
        note(QStringLiteral("sender's final drift vs its grid"), fmtMs(t.finalDriftUs / 1000.0, 2));
        note(QStringLiteral("pacing"), engine()->config().pacing == SenderConfig::Pacing::FixedSleep
                                           ? QStringLiteral("fixed sleep after each send (broken twin)")
                                           : QStringLiteral("absolute deadlines"));
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
        if (hasEmulator())
            connect(emulator(), &TwilioEmulator::mediaReceived, this, [this](const QByteArray &m) { m_log.add(m); });
        markAudioStart();
        m_burstSize = bound() + 80;
        // The queue drains a full bound in bound × 20 ms; leave it that long between bursts so
        // each burst's survivors can be told apart.
        const double gap = bound() * 0.02 + 0.2;
        m_bursts = std::max(2, int((dur().s3Sec - gap) / gap) + 1);
        for (int b = 0; b < m_bursts; ++b)
            after(0.3 + b * gap, [this, b] { burst(b); });
    }

    void burst(int b)
    {
        // A real-time source (microphone, relay) flooding: never waits, drop-oldest.
        const bool blocking = false;
        for (int i = 0; i < m_burstSize; ++i)
            engine()->enqueueFrame(taggedFrame(quint32(b * 100000 + i), cfg().broken.frameBytes), blocking);
        m_pushed += m_burstSize;
        if (b == m_bursts - 1)
            waitDrained(std::max(8.0, m_pushed * 0.02), [this] { judge(); }, true);
    }

    void judge()
    {
        const int keep = bound();
        int newestOk = 0, oldestOk = 0, arrivedTotal = 0;
        QStringList perBurst;
        for (int b = 0; b < m_bursts; ++b) {
            QSet<qint64> got;
            for (qint64 n : std::as_const(m_log.numbers))
                if (n >= b * 100000 && n < b * 100000 + m_burstSize)
                    got.insert(n - b * 100000);
            arrivedTotal += int(got.size());
            bool newest = true;
            for (int i = m_burstSize - keep; i < m_burstSize; ++i)
                newest = newest && got.contains(i);
            // Dropped frames must be the oldest: nothing missing inside the newest `keep`, and
            // at most 3 early frames (taken by the sender while the burst was being pushed)
            // survive from the rest.
            int earlySurvivors = 0;
            for (int i = 0; i < m_burstSize - keep; ++i)
                earlySurvivors += got.contains(i) ? 1 : 0;
            const bool oldestDropped = earlySurvivors <= 3;
            newestOk += newest ? 1 : 0;
            oldestOk += oldestDropped ? 1 : 0;
            perBurst << QStringLiteral("burst %1: %2 of %3 arrived, newest %4 %5, %6 older survived")
                            .arg(b + 1).arg(got.size()).arg(m_burstSize).arg(keep)
                            .arg(newest ? QStringLiteral("all arrived") : QStringLiteral("NOT all arrived"))
                            .arg(earlySurvivors);
        }
        const quint64 drops = engine()->queue()->totalDrops();
        if (hasEmulator()) {
            check(QStringLiteral("newest frames survive"), newestOk == m_bursts,
                  QStringLiteral("newest %1 of each %2-frame burst arrived in %3 of %4 bursts").arg(keep).arg(m_burstSize).arg(newestOk).arg(m_bursts),
                  QStringLiteral("every burst"));
            check(QStringLiteral("oldest frames dropped"), oldestOk == m_bursts && drops > 0,
                  QStringLiteral("%1 of %2 pushed dropped; oldest-first in %3 of %4 bursts").arg(drops).arg(m_pushed).arg(oldestOk).arg(m_bursts),
                  QStringLiteral("the oldest go first"));
            const quint64 missing = quint64(m_pushed - arrivedTotal);
            check(QStringLiteral("drops counted"), drops == missing,
                  QStringLiteral("%1 counted, %2 missing at the peer").arg(drops).arg(missing), QStringLiteral("equal"));
            int outOfOrder = 0;
            for (qsizetype i = 1; i < m_log.numbers.size(); ++i)
                outOfOrder += m_log.numbers[i] <= m_log.numbers[i - 1] ? 1 : 0;
            check(QStringLiteral("order at the peer"), outOfOrder == 0, QStringLiteral("%1 out of order").arg(outOfOrder),
                  QStringLiteral("0"));
        } else {
            check(QStringLiteral("oldest frames dropped"), drops > 0, QStringLiteral("%1 of %2 pushed dropped").arg(drops).arg(m_pushed),
                  QStringLiteral("> 0 (a full queue drops)"));
        }
        int peak = 0;
        for (const TxSecond &s : std::as_const(m_tx))
            peak = std::max(peak, s.queueMax);
        check(QStringLiteral("queue peak"), peak <= th().queueCapacity, QString::number(peak),
              QStringLiteral("≤ bound %1").arg(th().queueCapacity));
        setLimit(QStringLiteral("queueCapacity"), th().queueCapacity);

        // Warnings: throttled to one per ~interval, and they account for the drops.
        const QString sample = m_warnings.isEmpty() ? QString() : m_warnings.first();
        QList<qint64> times;
        quint64 reported = 0;
        static const QRegularExpression re(QStringLiteral("dropped (\\d+)"));
        for (qsizetype i = 0; i < m_warnings.size(); ++i) {
            const auto m = re.match(m_warnings[i]);
            if (!m.hasMatch())
                continue; // other warnings are not drop warnings
            reported += m.captured(1).toULongLong();
            times << m_warningTimesMs[i];
        }
        double minGap = 1e9;
        for (qsizetype i = 1; i < times.size(); ++i)
            minGap = std::min(minGap, (times[i] - times[i - 1]) / 1000.0);
        const double wantGap = 0.9 * th().dropWarnIntervalSec;
        const bool throttled = times.size() <= 1 || minGap >= wantGap;
        check(QStringLiteral("drop warnings throttled"), drops == 0 || (!times.isEmpty() && throttled),
              times.isEmpty() ? QStringLiteral("no drop warning")
                              : QStringLiteral("%1 warnings%2").arg(times.size())
                                    .arg(times.size() > 1 ? QStringLiteral(", ≥ %1 s apart").arg(minGap, 0, 'f', 2) : QString()),
              QStringLiteral("at least one, ≥ %1 s apart").arg(wantGap, 0, 'f', 1));
        note(QStringLiteral("drops reported by the warnings"), QStringLiteral("%1 of %2").arg(reported).arg(drops));
        if (!sample.isEmpty())
            note(QStringLiteral("warning text"), sample);
        for (const QString &l : std::as_const(perBurst))
            detail(l);
        addStandardFigures();
        figure(QStringLiteral("bursts"), m_bursts);
        figure(QStringLiteral("burstSize"), m_burstSize);
        figure(QStringLiteral("pushed"), m_pushed);
        figure(QStringLiteral("dropWarnings"), int(times.size()));
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
        auto name = [](int n) { return n == 0 ? QStringLiteral("unbounded") : QString::number(n); };
        check(QStringLiteral("configured bounds (tx / send)"),
              c.queueCapacity == th().queueCapacity && c.sendQueueCapacity == th().sendQueueCapacity,
              QStringLiteral("%1 / %2").arg(name(c.queueCapacity), name(c.sendQueueCapacity)),
              QStringLiteral("%1 / %2").arg(th().queueCapacity).arg(th().sendQueueCapacity));
        // Probe: twice the bound at once, as a real-time source would when the network stalls.
        const int probe = 2 * th().queueCapacity;
        for (int i = 0; i < probe; ++i)
            engine()->enqueueFrame(taggedFrame(quint32(i), cfg().broken.frameBytes), false);
        const int held = engine()->queue()->size();
        check(QStringLiteral("bound holds"), held <= th().queueCapacity,
              QStringLiteral("held %1 after %2 pushed at once").arg(held).arg(probe),
              QStringLiteral("≤ %1").arg(th().queueCapacity));
        engine()->queue()->clear();
        // Steady state: a streaming producer at real time, in uneven chunks.
        after(1.0, [this] {
            markAudioStart();
            m_steadyFromMs = wallMs();
            const int frames = std::max(50, int((dur().s4Sec - 1.0) * 50));
            SenderEngine *eng = engine();
            const int bytes = cfg().broken.frameBytes;
            const bool blocking = !cfg().broken.ignoreBackPressure;
            runProducer([this, eng, frames, bytes, blocking](const std::atomic<bool> &stop) {
                streamRealTime(eng, stop, 100000, frames, bytes, blocking);
                post([this] { waitDrained(10, [this] { judge(); }, true); });
            });
        });
    }

    void judge()
    {
        int seconds = 0, under = 0, peak = 0;
        for (const TxSecond &s : std::as_const(m_tx)) {
            if (s.wallTimeMs - 1000 < m_steadyFromMs)
                continue;
            ++seconds;
            under += s.queueMax < th().steadyDepthLimit ? 1 : 0;
            peak = std::max(peak, s.queueMax);
        }
        const double share = seconds ? double(under) / seconds : 0.0;
        check(QStringLiteral("steady-state depth"), seconds > 0 && share >= th().steadyDepthShare,
              QStringLiteral("< %1 in %2 of %3 s (%4), peak %5").arg(th().steadyDepthLimit).arg(under).arg(seconds).arg(fmtPct(share)).arg(peak),
              QStringLiteral("< %1 in ≥ %2 of seconds").arg(th().steadyDepthLimit).arg(fmtPct(th().steadyDepthShare)));
        const SenderTotals t = engine()->totals();
        const int sendCap = engine()->config().sendQueueCapacity;
        check(QStringLiteral("send queue peak"), sendCap > 0 && t.maxSendQueue <= sendCap,
              QString::number(t.maxSendQueue), QStringLiteral("≤ %1").arg(sendCap > 0 ? QString::number(sendCap) : QStringLiteral("a bound")));
        note(QStringLiteral("ceiling"), QStringLiteral("%1 + %2 frames = %3 s of audio")
                                            .arg(th().queueCapacity).arg(th().sendQueueCapacity)
                                            .arg((th().queueCapacity + th().sendQueueCapacity) * 0.02, 0, 'f', 1));
        setLimit(QStringLiteral("queueLimit"), th().steadyDepthLimit);
        setLimit(QStringLiteral("queueCapacity"), th().queueCapacity);
        addStandardFigures();
        finish();
    }

    qint64 m_steadyFromMs = 0;
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
        const int bytes = cfg().broken.frameBytes;
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
            seg.expected8k = qRound64(double(mono.size()) * kTwilioRate / r.rate);
            if (bytes == kFrameBytes) {
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
                // Broken: resample, then cut fixed-size chunks of `bytes` (e.g. 320 = 40 ms).
                Resampler rs(r.rate, r.channels, kTwilioRate);
                QVector<qint16> s8 = rs.process(pcm.constData(), mono.size());
                s8 += rs.flush();
                seg.got8k = s8.size();
                for (qsizetype i = 0; i < s8.size(); i += bytes) {
                    const qsizetype n = std::min<qsizetype>(bytes, s8.size() - i);
                    QByteArray f = g711::encodeMulaw(s8.constData() + i, n);
                    seg.padded += int(bytes - n);
                    f.append(bytes - n, char(g711::kMulawSilence));
                    seg.frames << f;
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
        int conserved = 0;
        for (const Segment &s : std::as_const(m_segments)) {
            // Resampling may round the length by a sample or two; framing must not lose any.
            const qint64 framed = qint64(s.frames.size()) * (s.frames.isEmpty() ? 0 : s.frames.first().size());
            const bool ok = std::llabs(s.got8k - s.expected8k) <= std::max<qint64>(2, s.expected8k / 2000)
                            && framed - s.padded == s.got8k;
            conserved += ok ? 1 : 0;
            detail(QStringLiteral("%1 Hz %2: %3 input samples -> %4 at 8 kHz (expected %5) -> %6 frames of %7 B, %8 padded%9")
                       .arg(s.rate).arg(s.channels == 2 ? QStringLiteral("stereo") : QStringLiteral("mono"))
                       .arg(s.inputFrames).arg(s.got8k).arg(s.expected8k).arg(s.frames.size())
                       .arg(s.frames.isEmpty() ? 0 : s.frames.first().size()).arg(s.padded)
                       .arg(ok ? QString() : QStringLiteral("  <- NOT conserved")));
        }
        check(QStringLiteral("sample count conserved"), conserved == m_segments.size(),
              QStringLiteral("%1 of %2 input formats").arg(conserved).arg(m_segments.size()),
              QStringLiteral("all (resampler rounding: ±2 samples or 0.05 %)"));
        if (hasEmulator()) {
            const ArrivalStats st = emulator()->stats();
            QStringList hist;
            for (auto it = st.sizeHistogram.cbegin(); it != st.sizeHistogram.cend(); ++it)
                hist << QStringLiteral("%1 B × %2").arg(it.key()).arg(it.value());
            check(QStringLiteral("frames of 160 B at the peer"), st.nonStandardFrames == 0 && st.frames > 0,
                  st.nonStandardFrames == 0 ? QStringLiteral("%1 of %1").arg(st.frames)
                                            : QStringLiteral("%1 of %2 frames were not 160 B (%3)").arg(st.nonStandardFrames).arg(st.frames).arg(hist.join(QStringLiteral(", "))),
                  QStringLiteral("every frame 160 B (20 ms)"));
            check(QStringLiteral("audio bytes at the peer"), st.bytes == m_pushedBytes,
                  QStringLiteral("%1 of %2").arg(st.bytes).arg(m_pushedBytes), QStringLiteral("all, to the byte"));
        } else {
            int bad = 0;
            for (const Segment &s : std::as_const(m_segments))
                for (const QByteArray &f : s.frames)
                    bad += f.size() != kFrameBytes ? 1 : 0;
            check(QStringLiteral("frames of 160 B sent"), bad == 0, QStringLiteral("%1 of %2 not 160 B").arg(bad).arg(m_pushedFrames),
                  QStringLiteral("every frame 160 B"));
        }
        addStandardFigures();
        figure(QStringLiteral("framesPushed"), m_pushedFrames);
        figure(QStringLiteral("bytesPushed"), double(m_pushedBytes));
        finish();
    }

    QList<Segment> m_segments;
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
        const bool inRange = m_productionMs >= th().pingMinSec * 1000 && m_productionMs <= th().pingMaxSec * 1000;
        check(QStringLiteral("configured keep-alive interval"), inRange,
              m_productionMs > 0 ? QStringLiteral("%1 s").arg(m_productionMs / 1000.0) : QStringLiteral("off"),
              QStringLiteral("%1–%2 s").arg(th().pingMinSec).arg(th().pingMaxSec));
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
        const int frames = int(dur().s6Sec * 50);
        const int bytes = cfg().broken.frameBytes;
        runProducer([eng, frames, bytes](const std::atomic<bool> &stop) {
            streamRealTime(eng, stop, 0, frames, bytes, true);
        });
        after(dur().s6Sec, [this] { judge(); });
    }

    void judge()
    {
        markAudioEnd();
        const double window = elapsedSec() - m_streamingAt;
        const int expected = m_testMs > 0 ? int(window * 1000 / m_testMs) : 0;
        const TelemetrySnapshot last = engine()->lastTelemetry();
        if (m_tap) {
            const QList<double> pings = m_tap->pingTimesMs();
            QList<double> gaps;
            for (qsizetype i = 1; i < pings.size(); ++i)
                gaps << pings[i] - pings[i - 1];
            const bool enough = m_testMs > 0 && pings.size() >= std::max(2, expected - 1);
            bool regular = !gaps.isEmpty();
            double mn = 1e9, mx = 0, mean = 0;
            for (double g : std::as_const(gaps)) {
                mn = std::min(mn, g);
                mx = std::max(mx, g);
                mean += g / gaps.size();
                regular = regular && std::fabs(g - m_testMs) <= 0.25 * m_testMs;
            }
            check(QStringLiteral("pings on the wire"), enough && regular,
                  pings.isEmpty() ? QStringLiteral("none in %1 s").arg(window, 0, 'f', 1)
                                  : QStringLiteral("%1 in %2 s, every %3 s (%4..%5)")
                                        .arg(pings.size()).arg(window, 0, 'f', 1)
                                        .arg(mean / 1000.0, 0, 'f', 2).arg(mn / 1000.0, 0, 'f', 2).arg(mx / 1000.0, 0, 'f', 2),
                  m_testMs > 0 ? QStringLiteral("≥ %1, every %2 s ± 25 %").arg(std::max(2, expected - 1)).arg(m_testMs / 1000.0)
                               : QStringLiteral("pings at the configured interval"));
            const int pongs = int(m_tap->pongTimesMs().size());
            check(QStringLiteral("pongs"), !pings.isEmpty() && pongs >= pings.size() - 1,
                  QStringLiteral("%1 for %2 pings").arg(pongs).arg(pings.size()), QStringLiteral("every ping answered"));
            figure(QStringLiteral("pingTimesMs"), QJsonArray::fromVariantList([&] {
                       QVariantList l;
                       for (double p : pings)
                           l << p;
                       return l;
                   }()));
        }
        check(QStringLiteral("RTT reported"), last.pingRttMs >= 0,
              last.pingRttMs >= 0 ? QStringLiteral("%1 ms").arg(last.pingRttMs) : QStringLiteral("unknown (no pong)"),
              QStringLiteral("known"));
        check(QStringLiteral("missed pongs"), last.missedPongs == 0, QString::number(last.missedPongs), QStringLiteral("0"));
        addStandardFigures();
        figure(QStringLiteral("productionPingIntervalMs"), m_productionMs);
        figure(QStringLiteral("testPingIntervalMs"), m_testMs);
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
        if (hasEmulator())
            connect(emulator(), &TwilioEmulator::mediaReceived, this, [this](const QByteArray &m) { m_log.add(m); });
        markAudioStart();
        m_warningsBefore = int(m_warnings.size());
        SenderEngine *eng = engine();
        const int n = th().e1Frames;
        const int bytes = cfg().broken.frameBytes;
        // The healthy producer uses the back-pressured enqueue; the broken twin ignores it.
        const bool blocking = !cfg().broken.ignoreBackPressure;
        runProducer([this, eng, n, bytes, blocking](const std::atomic<bool> &stop) {
            for (int i = 0; i < n && !stop; ++i)
                if (!eng->enqueueFrame(taggedFrame(quint32(i), bytes), blocking))
                    return;
            post([this] { waitDrained(15, [this] { judge(); }, true); });
        });
    }

    void judge()
    {
        const int n = th().e1Frames;
        const double expectSpan = (n - 1) * 0.02;
        if (hasEmulator()) {
            const ArrivalLog::Order o = m_log.orderAgainst(n);
            check(QStringLiteral("frames at the peer, in order"), o.perfect(), o.text(n), QStringLiteral("%1, in order").arg(n));
            const ArrivalStats st = emulator()->stats();
            const double span = st.frames > 1 ? (st.lastArrivalUs - st.firstArrivalUs) / 1e6 : 0.0;
            check(QStringLiteral("arrival span"), std::fabs(span - expectSpan) <= th().e1SpanToleranceSec,
                  QStringLiteral("%1 s first to last").arg(span, 0, 'f', 2),
                  QStringLiteral("%1 ± %2 s").arg(expectSpan, 0, 'f', 2).arg(th().e1SpanToleranceSec));
        } else {
            const SenderTotals t = engine()->totals();
            check(QStringLiteral("frames sent"), t.framesSent == quint64(n), QString::number(t.framesSent), QString::number(n));
        }
        const int warnings = int(m_warnings.size()) - m_warningsBefore;
        check(QStringLiteral("warnings"), warnings == 0,
              warnings == 0 ? QStringLiteral("0") : QStringLiteral("%1 (first: %2)").arg(warnings).arg(m_warnings.value(m_warningsBefore)),
              QStringLiteral("0"));
        const quint64 drops = engine()->queue()->totalDrops();
        check(QStringLiteral("drops"), drops == 0, QString::number(drops), QStringLiteral("0"));
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
