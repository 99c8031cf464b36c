// ArrivalAnalytics on synthetic arrival timelines: time is passed in, so every figure is exact.
#include "emulator/ArrivalAnalytics.h"

#include <QtTest>

using namespace pacelab;

namespace {
constexpr qint64 kT0 = 5'000'000'000LL; // an arbitrary steady-clock origin (µs)

// frames of `bytes` at t0 + sum(intervals), cycling through `intervalsUs`
ArrivalAnalytics feed(int frames, QList<qint64> intervalsUs, int bytes = 160,
                      ArrivalAnalytics::Config cfg = {})
{
    ArrivalAnalytics a(cfg);
    qint64 t = kT0;
    for (int i = 0; i < frames; ++i) {
        a.addFrame(t, bytes);
        t += intervalsUs[i % intervalsUs.size()];
    }
    return a;
}
} // namespace

class TestArrivalAnalytics final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void perfectPace()
    {
        const ArrivalStats s = feed(500, {20000}).stats();
        QCOMPARE(s.frames, 500);
        QCOMPARE(s.bytes, 500 * 160);
        QCOMPARE(s.audioMs, 10000.0);
        QCOMPARE(s.spurts, 1);
        QCOMPARE(s.fpsPerSecond.size(), 10);
        for (int f : s.fpsPerSecond)
            QCOMPARE(f, 50);
        QCOMPARE(s.deltaCount, 499);
        QCOMPARE(s.deltaMinMs, 20.0);
        QCOMPARE(s.deltaMaxMs, 20.0);
        QCOMPARE(s.deltaMeanMs, 20.0);
        QCOMPARE(s.deltaP99Ms, 20.0);
        QVERIFY(s.jitterMs < 1e-9);
        QVERIFY(std::abs(s.skewMs) < 1e-9);
        QVERIFY(std::abs(s.skewMaxMs) < 1e-9);
        QVERIFY(s.driftValid);
        QVERIFY2(std::abs(s.driftPpm) < 1.0, qPrintable(QString::number(s.driftPpm)));
        QVERIFY(std::abs(s.driftMs) < 0.01);
        QCOMPARE(s.burstCount, 0);
        QCOMPARE(s.nonStandardFrames, 0);
        QCOMPARE(s.sizeHistogram.value(160), 500);
    }

    void burstFiveSecondsAtOnce()
    {
        // 250 frames (5 s of audio) within 2.5 ms, then silence.
        ArrivalAnalytics a = feed(250, {10});
        const ArrivalStats s = a.stats();
        QCOMPARE(s.burstCount, 1);
        QCOMPARE(s.bursts.size(), 1);
        QCOMPARE(s.bursts[0].startUs, kT0);
        QVERIFY2(s.bursts[0].excessMs > 4900 && s.bursts[0].excessMs <= 5000,
                 qPrintable(QString::number(s.bursts[0].excessMs)));
        QVERIFY(s.bursts[0].audioMs > 4900);
        QVERIFY(s.bursts[0].frames >= 245);
        // skew: far ahead of the schedule
        QVERIFY(s.skewMaxMs > 4900);
        QCOMPARE(s.fpsPerSecond.value(0), 250);
    }

    void burstAfterSteadyPacing()
    {
        // 2 s steady, then 30 frames at once (600 ms ahead), then steady again.
        ArrivalAnalytics a;
        qint64 t = kT0;
        for (int i = 0; i < 100; ++i, t += 20000)
            a.addFrame(t, 160);
        for (int i = 0; i < 30; ++i)
            a.addFrame(t + i * 50, 160);
        t += 20000;
        for (int i = 0; i < 200; ++i, t += 20000)
            a.addFrame(t, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.burstCount, 1);
        QVERIFY2(s.bursts[0].excessMs > 500 && s.bursts[0].excessMs < 620,
                 qPrintable(QString::number(s.bursts[0].excessMs)));
    }

    void twoPercentSlow()
    {
        // 20.4 ms per 20 ms frame: audio arrives at 1/1.02 of real time.
        const ArrivalStats s = feed(500, {20400}).stats();
        QVERIFY(s.driftValid);
        QVERIFY2(s.driftPpm < -19000 && s.driftPpm > -21000, qPrintable(QString::number(s.driftPpm)));
        // fitted over 9980 ms of audio: 2 % of it lost
        QVERIFY2(s.driftMs < -190 && s.driftMs > -210, qPrintable(QString::number(s.driftMs)));
        QVERIFY(s.skewMs < -190); // late
        QCOMPARE(s.skewMaxMs, s.skewMs);
        QVERIFY(std::abs(s.jitterMs - 0.4) < 0.01);
        QCOMPARE(s.burstCount, 0);
    }

    void twoPercentFast()
    {
        const ArrivalStats s = feed(500, {19600}).stats();
        QVERIFY2(s.driftPpm > 19000 && s.driftPpm < 21500, qPrintable(QString::number(s.driftPpm)));
        QVERIFY(s.driftMs > 190);
        QVERIFY(s.skewMs > 190); // ahead
        QCOMPARE(s.burstCount, 0); // 20 ms per second ahead is drift, not a burst
    }

    void fiftyPercentFastIsABurst()
    {
        const ArrivalStats s = feed(300, {13333}).stats();
        QVERIFY(s.burstCount >= 1);
        QVERIFY(s.driftPpm > 400000);
    }

    void alternating19And21()
    {
        const ArrivalStats s = feed(501, {19000, 21000}).stats();
        QCOMPARE(s.deltaMinMs, 19.0);
        QCOMPARE(s.deltaMaxMs, 21.0);
        QCOMPARE(s.deltaMaxFrame, 2); // the first 21 ms delta ends at frame 2
        QCOMPARE(s.deltaMeanMs, 20.0);
        QVERIFY(std::abs(s.jitterMs - 1.0) < 0.01);
        QVERIFY(std::abs(s.driftPpm) < 100);
        QVERIFY(std::abs(s.skewMaxMs) <= 1.0 + 1e-9);
        QCOMPARE(s.burstCount, 0);
        QVERIFY(s.deltaP99Ms > 20.9 && s.deltaP99Ms <= 21.0);
    }

    void nonStandardFramesFlagged()
    {
        // 320 B every 40 ms is correctly paced audio, just not in 160 B frames.
        const ArrivalStats s = feed(200, {40000}, 320).stats();
        QCOMPARE(s.nonStandardFrames, 200);
        QCOMPARE(s.firstNonStandardFrame, 0);
        QCOMPARE(s.sizeHistogram.value(320), 200);
        QVERIFY(s.jitterMs < 1e-9);
        QVERIFY(std::abs(s.driftPpm) < 1.0);
        QCOMPARE(s.burstCount, 0);
        QCOMPARE(s.audioMs, 8000.0);

        ArrivalAnalytics a;
        qint64 t = kT0;
        for (int i = 0; i < 100; ++i) {
            const int bytes = (i == 37) ? 100 : 160;
            a.addFrame(t, bytes);
            t += bytes * 125;
        }
        const ArrivalStats m = a.stats();
        QCOMPARE(m.nonStandardFrames, 1);
        QCOMPARE(m.firstNonStandardFrame, 37);
        QCOMPARE(m.sizeHistogram.value(100), 1);
        QCOMPARE(m.sizeHistogram.value(160), 99);
        QVERIFY(m.jitterMs < 1e-9);
    }

    void p99AndMaxFrame()
    {
        ArrivalAnalytics a;
        qint64 t = kT0;
        for (int i = 0; i < 1000; ++i) {
            a.addFrame(t, 160);
            t += (i % 200 == 50) ? 120000 : 20000; // five 120 ms stalls (under the spurt gap)
        }
        const ArrivalStats s = a.stats();
        QCOMPARE(s.deltaMaxMs, 120.0);
        QCOMPARE(s.deltaMaxFrame, 51);
        // 5 of 999 deltas are 120 ms: the 99th percentile (nearest rank) is below them
        QVERIFY2(s.deltaP99Ms >= 20.0 && s.deltaP99Ms <= 20.1, qPrintable(QString::number(s.deltaP99Ms)));
        QVERIFY(s.skewMaxMs < -450); // 0.5 s behind by the end
    }

    void pausesStartNewSpurts()
    {
        // Two utterances 5 s apart, each perfectly paced: the pause is not drift or skew.
        ArrivalAnalytics a;
        qint64 t = kT0;
        for (int i = 0; i < 100; ++i, t += 20000)
            a.addFrame(t, 160);
        t += 5'000'000;
        for (int i = 0; i < 100; ++i, t += 20000)
            a.addFrame(t, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.spurts, 2);
        QVERIFY(std::abs(s.skewMaxMs) < 1e-9);
        QVERIFY(std::abs(s.driftPpm) < 1.0);
        QVERIFY(s.jitterMs < 1e-9);
        QCOMPARE(s.deltaCount, 198); // the pause is not an inter-arrival delta
        QCOMPARE(s.burstCount, 0);
    }

    void reanchorAfterClear()
    {
        ArrivalAnalytics a;
        qint64 t = kT0;
        for (int i = 0; i < 50; ++i, t += 20000)
            a.addFrame(t, 160);
        a.reanchor(); // a clear; the bot restarts its schedule 500 ms later
        t += 500'000;
        for (int i = 0; i < 50; ++i, t += 20000)
            a.addFrame(t, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.spurts, 2);
        QVERIFY(std::abs(s.skewMaxMs) < 1e-9);
    }

    void originAndClockSanity()
    {
        ArrivalAnalytics a;
        a.setOriginUs(kT0 - 2'500'000); // session began 2.5 s before the first frame
        a.addFrame(kT0, 160);
        a.addFrame(kT0 - 1000, 160); // clock went backwards: clamped, not negative
        const ArrivalStats s = a.stats();
        QCOMPARE(s.fpsPerSecond.size(), 3);
        QCOMPARE(s.fpsPerSecond[2], 2);
        QCOMPARE(s.deltaMinMs, 0.0);
        QVERIFY(!s.driftValid);
        a.addFrame(kT0, 0);
        QCOMPARE(a.stats().sizeHistogram.value(0), 1);
        a.reset();
        QCOMPARE(a.stats().frames, 0);
    }

    // ---- counting the way a user would (issue 12) ----------------------------------------

    void burstEverySecondForTenSeconds()
    {
        // The bot sends one second of audio (50 frames, 10 µs apart) at the start of each
        // second, ten times: ten bursts, and its long-run rate is exactly real time.
        ArrivalAnalytics a;
        for (int b = 0; b < 10; ++b)
            for (int i = 0; i < 50; ++i)
                a.addFrame(kT0 + b * 1'000'000LL + i * 10, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.frames, 500);
        QCOMPARE(s.spurts, 1);
        QCOMPARE(s.burstCount, 10);
        QCOMPARE(s.bursts.size(), 10);
        for (int b = 0; b < 10; ++b) {
            QCOMPARE(s.bursts[b].startUs, kT0 + b * 1'000'000LL);
            QVERIFY2(s.bursts[b].excessMs > 970 && s.bursts[b].excessMs <= 980,
                     qPrintable(QString::number(s.bursts[b].excessMs)));
            QCOMPARE(s.bursts[b].audioMs, 1000.0);
        }
        QVERIFY(s.driftValid);
        QVERIFY2(std::abs(s.driftPpm) < 1.0, qPrintable(QString::number(s.driftPpm)));
        QVERIFY2(std::abs(s.driftMs) < 0.01, qPrintable(QString::number(s.driftMs)));
    }

    void burstEverySecondWithTimerJitter()
    {
        // The same bot on a real timer: each second's chunk goes out up to ±8 ms off and its
        // frames spread over 2 ms. Still ten bursts and no drift worth the name.
        const int jitterUs[10] = {0, 8000, -8000, 3000, -5000, 7000, -2000, 6000, -7000, 1000};
        ArrivalAnalytics a;
        for (int b = 0; b < 10; ++b)
            for (int i = 0; i < 50; ++i)
                a.addFrame(kT0 + b * 1'000'000LL + jitterUs[b] + i * 40, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.burstCount, 10);
        QVERIFY(s.driftValid);
        QVERIFY2(std::abs(s.driftPpm) < 2000, qPrintable(QString::number(s.driftPpm)));
    }

    void burstEverySecondSlightlyFast()
    {
        // One second of audio every 0.9 s (11 % fast): ten bursts, not one long one, and a
        // drift that says the sender runs fast.
        ArrivalAnalytics a;
        for (int b = 0; b < 10; ++b)
            for (int i = 0; i < 50; ++i)
                a.addFrame(kT0 + b * 900'000LL + i * 10, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.burstCount, 10);
        QVERIFY2(s.driftPpm > 100000 && s.driftPpm < 120000, qPrintable(QString::number(s.driftPpm)));
    }

    void steadyBotOnePointThreePercentSlow()
    {
        // 20.26 ms per 20 ms frame: 1.3 % slow, every frame its own send.
        const ArrivalStats s = feed(1000, {20260}).stats();
        QVERIFY(s.driftValid);
        QVERIFY2(s.driftPpm < -12700 && s.driftPpm > -12950, qPrintable(QString::number(s.driftPpm)));
        QCOMPARE(s.burstCount, 0);
    }

    void singleFiveSecondBurstThenPacing()
    {
        // 5 s of audio at once, then 5 s paced: one burst.
        ArrivalAnalytics a;
        qint64 t = kT0;
        for (int i = 0; i < 250; ++i)
            a.addFrame(t + i * 10, 160);
        t += 20000;
        for (int i = 0; i < 250; ++i, t += 20000)
            a.addFrame(t, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.burstCount, 1);
        QCOMPARE(s.bursts[0].startUs, kT0);
        // the burst lasts until the window is back within the tolerance: 1 s into the pacing
        QCOMPARE(s.bursts[0].frames, 300);
        QVERIFY(s.bursts[0].excessMs > 4900);
        // the burst's frames spread over 2.5 ms: its end is 2.5 ms late against the pacing
        QVERIFY2(std::abs(s.driftPpm) < 50.0, qPrintable(QString::number(s.driftPpm)));
    }

    void catchUpAfterStallCountsOnce()
    {
        // Paced, then nothing for 200 ms, then the late frames all at once (the catch-up of
        // checklist step 2), then paced again. The sliding window has always called this one
        // burst (200 ms at once inside a second of real-time audio); the send run must not add
        // a second one: the run only returns the stream to its schedule.
        ArrivalAnalytics a;
        qint64 t = kT0;
        for (int i = 0; i < 100; ++i, t += 20000)
            a.addFrame(t, 160);
        t += 180'000;
        for (int i = 0; i < 10; ++i)
            a.addFrame(t + i * 20, 160);
        t += 20000;
        for (int i = 0; i < 100; ++i, t += 20000)
            a.addFrame(t, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.burstCount, 1);
        QCOMPARE(s.bursts[0].startUs, kT0 + 2'180'000);
        QVERIFY2(std::abs(s.driftPpm) < 1.0, qPrintable(QString::number(s.driftPpm)));
    }

    void openingLeadDoesNotBendTheFit()
    {
        // A 100 ms lead (5 frames at once), then paced for 3 s: no drift, no burst (the lead
        // is within the tolerance).
        ArrivalAnalytics a;
        for (int i = 0; i < 5; ++i)
            a.addFrame(kT0 + i * 10, 160);
        for (int i = 1; i <= 150; ++i)
            a.addFrame(kT0 + i * 20000, 160);
        const ArrivalStats s = a.stats();
        QCOMPARE(s.burstCount, 0);
        QVERIFY(s.driftValid);
        QVERIFY2(std::abs(s.driftPpm) < 1.0, qPrintable(QString::number(s.driftPpm)));
    }

    void jsonCarriesFigures()
    {
        const QJsonObject o = feed(100, {20400}).stats().toJson();
        QCOMPARE(o.value("frames").toInt(), 100);
        QVERIFY(o.value("drift").toObject().value("ppm").toDouble() < -19000);
        QCOMPARE(o.value("payloadSizes").toObject().value("160").toInt(), 100);
    }
};

QTEST_APPLESS_MAIN(TestArrivalAnalytics)
#include "tst_arrivalanalytics.moc"
