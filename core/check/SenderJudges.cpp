// The judges of S1-S6 and E1 (the sender scenarios), moved out of the real-time harness.
#include "Judges.h"

#include "CheckUtil.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace pacelab::check {

QString FrameOrder::text(int expected) const
{
    if (perfect())
        return QStringLiteral("%1 of %2 frames, all in order").arg(arrived).arg(expected);
    return QStringLiteral("%1 of %2 frames: %3 missing, %4 duplicated, %5 out of order, %6 foreign%7")
        .arg(arrived).arg(expected).arg(missing).arg(duplicates).arg(outOfOrder).arg(foreign)
        .arg(firstBad >= 0 ? QStringLiteral(" (first problem at arrival #%1)").arg(firstBad) : QString());
}

FrameOrder FrameOrder::of(const QList<qint64> &numbers, qint64 expected)
{
    FrameOrder o;
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

// ---- S1 ---------------------------------------------------------------------------------------

void judgeS1(const S1Observation &o, const Thresholds &, Judgement &j)
{
    j.check(QStringLiteral("socket writes off the sender thread"), o.offThreadWrites == 0, QString::number(o.offThreadWrites),
            QStringLiteral("0"));
    j.note(QStringLiteral("producers"), QStringLiteral("3 threads (fast TTS-like, 10 fps tone, marks from the main thread), %1 frames, %2 marks")
                                            .arg(o.framesQueued).arg(o.marksSent.size()));
    if (!o.hasPeer) {
        j.check(QStringLiteral("frames written by the sender thread"), o.framesSent == quint64(o.framesQueued),
                QString::number(o.framesSent), QString::number(o.framesQueued));
        j.note(QStringLiteral("peer side"), QStringLiteral("not observable with an external peer"));
        return;
    }
    j.check(QStringLiteral("connections at the peer"), o.connections == 1, QString::number(o.connections), QStringLiteral("1"));
    const FrameOrder ord = FrameOrder::of(o.arrivals, o.framesQueued);
    j.check(QStringLiteral("media order at the peer"), ord.perfect(), ord.text(o.framesQueued),
            QStringLiteral("every frame once, in queue order"));
    const bool marksOk = o.marksEchoed == o.marksSent;
    j.check(QStringLiteral("marks echoed in order"), marksOk,
            marksOk ? QStringLiteral("%1 of %1").arg(o.marksSent.size())
                    : QStringLiteral("%1 of %2 echoed%3").arg(o.marksEchoed.size()).arg(o.marksSent.size())
                          .arg(o.marksEchoed == o.marksSent.mid(0, o.marksEchoed.size()) ? QString() : QStringLiteral(", out of order")),
            QStringLiteral("all, in order"));
}

// ---- S2 ---------------------------------------------------------------------------------------

void judgeS2(const S2Observation &o, const Thresholds &th, Judgement &j)
{
    judgeFps(j, th, th.fpsTolerance, o.txFps, QStringLiteral("fps sent"));
    if (o.peer)
        judgeFps(j, th, th.fpsTolerance, o.rxFps, QStringLiteral("fps at the peer"));
    j.setLimit(QStringLiteral("latenessP99MaxMs"), th.latenessP99MaxMs);
    j.setLimit(QStringLiteral("latenessMaxMs"), th.latenessMaxMs);
    j.check(QStringLiteral("send lateness p99"), o.latenessP99Ms <= th.latenessP99MaxMs, fmtMs(o.latenessP99Ms, 2),
            QStringLiteral("≤ %1").arg(fmtMs(th.latenessP99MaxMs, 0)));
    j.check(QStringLiteral("send lateness max"), o.latenessMaxMs <= th.latenessMaxMs, fmtMs(o.latenessMaxMs, 2),
            QStringLiteral("≤ %1").arg(fmtMs(th.latenessMaxMs, 0)));
    j.check(QStringLiteral("late resets"), o.lateResets <= quint64(th.maxLateResets), QString::number(o.lateResets),
            QStringLiteral("≤ %1").arg(th.maxLateResets));
    if (o.peer) {
        const ArrivalStats &st = o.peer->stats;
        judgeDrift(j, th, st, QStringLiteral("clock drift at the peer"));
        j.note(QStringLiteral("inter-arrival at the peer"), QStringLiteral("min %1, mean %2, p99 %3, max %4; jitter %5")
                                                               .arg(fmtMs(st.deltaMinMs, 2), fmtMs(st.deltaMeanMs, 2),
                                                                    fmtMs(st.deltaP99Ms, 2), fmtMs(st.deltaMaxMs, 2),
                                                                    fmtMs(st.jitterMs, 2)));
    } else {
        // No peer analytics: the sender's own drift against its grid.
        const double spanSec = o.framesSent / double(std::max(1, th.fpsTarget));
        const double ppm = spanSec > 0 ? o.finalDriftMs / 1000.0 / spanSec * 1e6 : 0.0;
        j.check(QStringLiteral("clock drift at the sender"), std::fabs(ppm) <= th.maxDriftPpm,
                QStringLiteral("%1 ppm (%2 over %3 s)").arg(ppm, 0, 'f', 0).arg(fmtMs(o.finalDriftMs, 1)).arg(spanSec, 0, 'f', 1),
                QStringLiteral("|drift| ≤ %1 ppm").arg(th.maxDriftPpm, 0, 'f', 0));
    }
    j.note(QStringLiteral("sender's final drift vs its grid"), fmtMs(o.finalDriftMs, 2));
    j.note(QStringLiteral("pacing"), o.fixedSleep ? QStringLiteral("fixed sleep after each send (broken twin)")
                                                  : QStringLiteral("absolute deadlines"));
}

// ---- S3 ---------------------------------------------------------------------------------------

void judgeS3(const S3Observation &o, const Thresholds &th, Judgement &j)
{
    const int keep = o.bound;
    int newestOk = 0, oldestOk = 0, arrivedTotal = 0;
    QStringList perBurst;
    for (int b = 0; b < o.bursts; ++b) {
        QSet<qint64> got;
        for (qint64 n : o.arrivals)
            if (n >= b * 100000 && n < b * 100000 + o.burstSize)
                got.insert(n - b * 100000);
        arrivedTotal += int(got.size());
        bool newest = true;
        for (int i = o.burstSize - keep; i < o.burstSize; ++i)
            newest = newest && got.contains(i);
        // Dropped frames must be the oldest: nothing missing inside the newest `keep`, and at
        // most 3 early frames (taken by the sender while the burst was being pushed) survive.
        int earlySurvivors = 0;
        for (int i = 0; i < o.burstSize - keep; ++i)
            earlySurvivors += got.contains(i) ? 1 : 0;
        const bool oldestDropped = earlySurvivors <= 3;
        newestOk += newest ? 1 : 0;
        oldestOk += oldestDropped ? 1 : 0;
        perBurst << QStringLiteral("burst %1: %2 of %3 arrived, newest %4 %5, %6 older survived")
                        .arg(b + 1).arg(got.size()).arg(o.burstSize).arg(keep)
                        .arg(newest ? QStringLiteral("all arrived") : QStringLiteral("NOT all arrived"))
                        .arg(earlySurvivors);
    }
    if (o.hasPeer) {
        j.check(QStringLiteral("newest frames survive"), o.bursts > 0 && newestOk == o.bursts,
                QStringLiteral("newest %1 of each %2-frame burst arrived in %3 of %4 bursts").arg(keep).arg(o.burstSize).arg(newestOk).arg(o.bursts),
                QStringLiteral("every burst"));
        j.check(QStringLiteral("oldest frames dropped"), oldestOk == o.bursts && o.drops > 0,
                QStringLiteral("%1 of %2 pushed dropped; oldest-first in %3 of %4 bursts").arg(o.drops).arg(o.pushed).arg(oldestOk).arg(o.bursts),
                QStringLiteral("the oldest go first"));
        const qint64 missing = qint64(o.pushed) - arrivedTotal;
        j.check(QStringLiteral("drops counted"), qint64(o.drops) == missing,
                QStringLiteral("%1 counted, %2 missing at the peer").arg(o.drops).arg(missing), QStringLiteral("equal"));
        int outOfOrder = 0;
        for (qsizetype i = 1; i < o.arrivals.size(); ++i)
            outOfOrder += o.arrivals[i] <= o.arrivals[i - 1] ? 1 : 0;
        j.check(QStringLiteral("order at the peer"), outOfOrder == 0, QStringLiteral("%1 out of order").arg(outOfOrder), QStringLiteral("0"));
    } else {
        j.check(QStringLiteral("oldest frames dropped"), o.drops > 0, QStringLiteral("%1 of %2 pushed dropped").arg(o.drops).arg(o.pushed),
                QStringLiteral("> 0 (a full queue drops)"));
    }
    j.check(QStringLiteral("queue peak"), o.queuePeak <= th.queueCapacity, QString::number(o.queuePeak),
            QStringLiteral("≤ bound %1").arg(th.queueCapacity));
    j.setLimit(QStringLiteral("queueCapacity"), th.queueCapacity);

    // Warnings: throttled to one per ~interval, and they account for the drops.
    QList<qint64> times;
    quint64 reported = 0;
    static const QRegularExpression re(QStringLiteral("dropped (\\d+)"));
    for (qsizetype i = 0; i < o.warnings.size(); ++i) {
        const auto m = re.match(o.warnings[i]);
        if (!m.hasMatch())
            continue; // other warnings are not drop warnings
        reported += m.captured(1).toULongLong();
        times << o.warningTimesMs.value(i);
    }
    double minGap = 1e9;
    for (qsizetype i = 1; i < times.size(); ++i)
        minGap = std::min(minGap, (times[i] - times[i - 1]) / 1000.0);
    const double wantGap = 0.9 * th.dropWarnIntervalSec;
    const bool throttled = times.size() <= 1 || minGap >= wantGap;
    j.check(QStringLiteral("drop warnings throttled"), o.drops == 0 || (!times.isEmpty() && throttled),
            times.isEmpty() ? QStringLiteral("no drop warning")
                            : QStringLiteral("%1 warnings%2").arg(times.size())
                                  .arg(times.size() > 1 ? QStringLiteral(", ≥ %1 s apart").arg(minGap, 0, 'f', 2) : QString()),
            QStringLiteral("at least one, ≥ %1 s apart").arg(wantGap, 0, 'f', 1));
    j.note(QStringLiteral("drops reported by the warnings"), QStringLiteral("%1 of %2").arg(reported).arg(o.drops));
    if (!o.warnings.isEmpty())
        j.note(QStringLiteral("warning text"), o.warnings.first());
    for (const QString &l : std::as_const(perBurst))
        j.detail(l);
    j.figure(QStringLiteral("bursts"), o.bursts);
    j.figure(QStringLiteral("burstSize"), o.burstSize);
    j.figure(QStringLiteral("pushed"), o.pushed);
    j.figure(QStringLiteral("dropWarnings"), int(times.size()));
}

// ---- S4 ---------------------------------------------------------------------------------------

void judgeS4(const S4Observation &o, const Thresholds &th, Judgement &j)
{
    auto name = [](int n) { return n == 0 ? QStringLiteral("unbounded") : QString::number(n); };
    j.check(QStringLiteral("configured bounds (tx / send)"),
            o.queueCapacity == th.queueCapacity && o.sendQueueCapacity == th.sendQueueCapacity,
            QStringLiteral("%1 / %2").arg(name(o.queueCapacity), name(o.sendQueueCapacity)),
            QStringLiteral("%1 / %2").arg(th.queueCapacity).arg(th.sendQueueCapacity));
    j.check(QStringLiteral("bound holds"), o.probeHeld <= th.queueCapacity,
            QStringLiteral("held %1 after %2 pushed at once").arg(o.probeHeld).arg(o.probePushed),
            QStringLiteral("≤ %1").arg(th.queueCapacity));
    int under = 0, peak = 0;
    for (int q : o.steadyQueueMax) {
        under += q < th.steadyDepthLimit ? 1 : 0;
        peak = std::max(peak, q);
    }
    const int seconds = int(o.steadyQueueMax.size());
    const double share = seconds ? double(under) / seconds : 0.0;
    j.check(QStringLiteral("steady-state depth"), seconds > 0 && share >= th.steadyDepthShare,
            QStringLiteral("< %1 in %2 of %3 s (%4), peak %5").arg(th.steadyDepthLimit).arg(under).arg(seconds).arg(fmtPct(share)).arg(peak),
            QStringLiteral("< %1 in ≥ %2 of seconds").arg(th.steadyDepthLimit).arg(fmtPct(th.steadyDepthShare)));
    j.check(QStringLiteral("send queue peak"), o.sendQueueCapacity > 0 && o.maxSendQueue <= o.sendQueueCapacity,
            QString::number(o.maxSendQueue),
            QStringLiteral("≤ %1").arg(o.sendQueueCapacity > 0 ? QString::number(o.sendQueueCapacity) : QStringLiteral("a bound")));
    j.note(QStringLiteral("ceiling"), QStringLiteral("%1 + %2 frames = %3 s of audio")
                                          .arg(th.queueCapacity).arg(th.sendQueueCapacity)
                                          .arg((th.queueCapacity + th.sendQueueCapacity) / double(std::max(1, th.fpsTarget)), 0, 'f', 1));
    j.setLimit(QStringLiteral("queueLimit"), th.steadyDepthLimit);
    j.setLimit(QStringLiteral("queueCapacity"), th.queueCapacity);
}

// ---- S5 ---------------------------------------------------------------------------------------

void judgeS5(const S5Observation &o, const Thresholds &th, Judgement &j)
{
    int conserved = 0, bad = 0;
    for (const S5Segment &s : o.segments) {
        // Resampling may round the length by a sample or two; framing must not lose any.
        const qint64 framed = qint64(s.frames) * s.frameBytes / std::max(1, s.bytesPerSample); // samples
        const bool ok = std::llabs(s.got8k - s.expected8k) <= std::max<qint64>(2, s.expected8k / 2000)
                        && framed - s.padded == s.got8k;
        conserved += ok ? 1 : 0;
        bad += s.nonStandardFrames;
        j.detail(QStringLiteral("%1 Hz %2: %3 input samples -> %4 at %10 kHz (expected %5) -> %6 frames of %7 B, %8 padded%9")
                     .arg(s.rate).arg(s.channels == 2 ? QStringLiteral("stereo") : QStringLiteral("mono"))
                     .arg(s.inputFrames).arg(s.got8k).arg(s.expected8k).arg(s.frames)
                     .arg(s.frameBytes).arg(s.padded)
                     .arg(ok ? QString() : QStringLiteral("  <- NOT conserved"))
                     .arg(s.outputRate / 1000.0));
    }
    j.check(QStringLiteral("sample count conserved"), !o.segments.isEmpty() && conserved == o.segments.size(),
            QStringLiteral("%1 of %2 input formats").arg(conserved).arg(o.segments.size()),
            QStringLiteral("all (resampler rounding: ±2 samples or 0.05 %)"));
    if (o.peer) {
        const ArrivalStats &st = *o.peer;
        QStringList hist;
        for (auto it = st.sizeHistogram.cbegin(); it != st.sizeHistogram.cend(); ++it)
            hist << QStringLiteral("%1 B × %2").arg(it.key()).arg(it.value());
        const int fb = th.frameBytes; // the provider's frame (160 B for Twilio)
        j.check(QStringLiteral("frames of %1 B at the peer").arg(fb), st.nonStandardFrames == 0 && st.frames > 0,
                st.nonStandardFrames == 0 ? QStringLiteral("%1 of %1").arg(st.frames)
                                          : QStringLiteral("%1 of %2 frames were not %3 B (%4)").arg(st.nonStandardFrames).arg(st.frames).arg(fb).arg(hist.join(QStringLiteral(", "))),
                QStringLiteral("every frame %1 B (%2 ms)").arg(fb).arg(1000 / std::max(1, th.fpsTarget)));
        j.check(QStringLiteral("audio bytes at the peer"), st.bytes == o.pushedBytes,
                QStringLiteral("%1 of %2").arg(st.bytes).arg(o.pushedBytes), QStringLiteral("all, to the byte"));
    } else {
        j.check(QStringLiteral("frames of %1 B sent").arg(th.frameBytes), bad == 0, QStringLiteral("%1 of %2 not %3 B").arg(bad).arg(o.pushedFrames).arg(th.frameBytes),
                QStringLiteral("every frame %1 B").arg(th.frameBytes));
    }
    j.figure(QStringLiteral("framesPushed"), o.pushedFrames);
    j.figure(QStringLiteral("bytesPushed"), double(o.pushedBytes));
}

// ---- S6 ---------------------------------------------------------------------------------------

void judgeS6(const S6Observation &o, const Thresholds &th, Judgement &j)
{
    const bool inRange = o.productionIntervalMs >= th.pingMinSec * 1000 && o.productionIntervalMs <= th.pingMaxSec * 1000;
    j.check(QStringLiteral("configured keep-alive interval"), inRange,
            o.productionIntervalMs > 0 ? QStringLiteral("%1 s").arg(o.productionIntervalMs / 1000.0) : QStringLiteral("off"),
            QStringLiteral("%1–%2 s").arg(th.pingMinSec).arg(th.pingMaxSec));
    const int expected = o.testIntervalMs > 0 ? int(o.windowSec * 1000 / o.testIntervalMs) : 0;
    if (o.tapped) {
        const QList<double> &pings = o.pingTimesMs;
        QList<double> gaps;
        for (qsizetype i = 1; i < pings.size(); ++i)
            gaps << pings[i] - pings[i - 1];
        const bool enough = o.testIntervalMs > 0 && pings.size() >= std::max(2, expected - 1);
        bool regular = !gaps.isEmpty();
        double mn = 1e9, mx = 0, mean = 0;
        for (double g : std::as_const(gaps)) {
            mn = std::min(mn, g);
            mx = std::max(mx, g);
            mean += g / gaps.size();
            regular = regular && std::fabs(g - o.testIntervalMs) <= 0.25 * o.testIntervalMs;
        }
        j.check(QStringLiteral("pings on the wire"), enough && regular,
                pings.isEmpty() ? QStringLiteral("none in %1 s").arg(o.windowSec, 0, 'f', 1)
                                : QStringLiteral("%1 in %2 s, every %3 s (%4..%5)")
                                      .arg(pings.size()).arg(o.windowSec, 0, 'f', 1)
                                      .arg(mean / 1000.0, 0, 'f', 2).arg(mn / 1000.0, 0, 'f', 2).arg(mx / 1000.0, 0, 'f', 2),
                o.testIntervalMs > 0 ? QStringLiteral("≥ %1, every %2 s ± 25 %").arg(std::max(2, expected - 1)).arg(o.testIntervalMs / 1000.0)
                                     : QStringLiteral("pings at the configured interval"));
        const int pongs = int(o.pongTimesMs.size());
        j.check(QStringLiteral("pongs"), !pings.isEmpty() && pongs >= pings.size() - 1,
                QStringLiteral("%1 for %2 pings").arg(pongs).arg(pings.size()), QStringLiteral("every ping answered"));
        QJsonArray a;
        for (double p : pings)
            a.append(p);
        j.figure(QStringLiteral("pingTimesMs"), a);
    }
    j.check(QStringLiteral("RTT reported"), o.rttMs >= 0,
            o.rttMs >= 0 ? QStringLiteral("%1 ms").arg(o.rttMs) : QStringLiteral("unknown (no pong)"), QStringLiteral("known"));
    j.check(QStringLiteral("missed pongs"), o.missedPongs == 0, QString::number(o.missedPongs), QStringLiteral("0"));
    j.figure(QStringLiteral("productionPingIntervalMs"), o.productionIntervalMs);
    j.figure(QStringLiteral("testPingIntervalMs"), o.testIntervalMs);
}

// ---- E1 ---------------------------------------------------------------------------------------

void judgeE1(const E1Observation &o, const Thresholds &th, Judgement &j)
{
    const int n = o.frames;
    const double expectSpan = (n - 1) / double(std::max(1, th.fpsTarget));
    if (o.peer) {
        const FrameOrder ord = FrameOrder::of(o.arrivals, n);
        j.check(QStringLiteral("frames at the peer, in order"), ord.perfect(), ord.text(n), QStringLiteral("%1, in order").arg(n));
        const ArrivalStats &st = o.peer->stats;
        const double span = st.frames > 1 ? (st.lastArrivalUs - st.firstArrivalUs) / 1e6 : 0.0;
        // The span catches a stall or a burst; a clock 1 % slow stays inside it (50 ms over 5 s),
        // so drift and underruns are judged as well.
        j.check(QStringLiteral("arrival span"), std::fabs(span - expectSpan) <= th.e1SpanToleranceSec,
                QStringLiteral("%1 s first to last").arg(span, 0, 'f', 3),
                QStringLiteral("%1 ± %2 s").arg(expectSpan, 0, 'f', 2).arg(th.e1SpanToleranceSec));
        judgeDrift(j, th, st, QStringLiteral("clock drift at the peer"));
        judgeUnderruns(j, th, *o.peer, QStringLiteral("underruns at the peer"));
    } else {
        j.check(QStringLiteral("frames sent"), o.framesSent == quint64(n), QString::number(o.framesSent), QString::number(n));
    }
    j.check(QStringLiteral("warnings"), o.warnings.isEmpty(),
            o.warnings.isEmpty() ? QStringLiteral("0") : QStringLiteral("%1 (first: %2)").arg(o.warnings.size()).arg(o.warnings.first()),
            QStringLiteral("0"));
    j.check(QStringLiteral("drops"), o.drops == 0, QString::number(o.drops), QStringLiteral("0"));
}

} // namespace pacelab::check
