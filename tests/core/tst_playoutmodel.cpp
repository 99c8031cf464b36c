// PlayoutModel: Twilio's buffer replayed on synthetic timelines (time passed in, µs).
#include "emulator/PlayoutModel.h"

#include <QtTest>

using namespace pacelab;

namespace {
constexpr qint64 kT0 = 7'000'000'000LL;

PlayoutConfig cfgWithJitterBuffer(qint64 us)
{
    PlayoutConfig c;
    c.jitterBufferUs = us;
    return c;
}
} // namespace

class TestPlayoutModel final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void perfectPaceNoJitterBuffer()
    {
        PlayoutModel p(cfgWithJitterBuffer(0));
        qint64 maxBuf = 0;
        for (int i = 0; i < 500; ++i) {
            const qint64 t = kT0 + i * 20000;
            p.advance(t);
            QVERIFY(p.bufferedUs() <= 20000); // at most one frame, the one playing
            QVERIFY(p.feed(t, 160));
            maxBuf = std::max(maxBuf, p.bufferedUs());
        }
        QCOMPARE(maxBuf, 20000);
        QCOMPARE(p.maxBufferedUs(), 20000);
        QCOMPARE(p.underrunCount(), 0);
        QCOMPARE(p.receivedAudioUs(), 10'000'000);
        p.advance(kT0 + 500 * 20000 + 5'000'000);
        QCOMPARE(p.bufferedUs(), 0);
        QCOMPARE(p.playedUs(), 10'000'000);
        QCOMPARE(p.underrunCount(), 0);
    }

    void perfectPaceDefaultJitterBuffer()
    {
        PlayoutModel p; // 40 ms jitter buffer
        for (int i = 0; i < 500; ++i) {
            const qint64 t = kT0 + i * 20000;
            p.feed(t, 160);
            QVERIFY(p.bufferedUs() <= 60000); // one frame + the jitter buffer
            p.advance(t + 10000);
            QVERIFY(p.bufferedUs() <= 50000);
        }
        QCOMPARE(p.underrunCount(), 0);
        QVERIFY(p.isPlaying());
        p.advance(kT0 + 499 * 20000 + 60000);
        QCOMPARE(p.bufferedUs(), 0);
        QCOMPARE(p.underrunCount(), 0);
    }

    void jitterWithinBufferIsAbsorbed()
    {
        PlayoutModel p;
        quint32 seed = 12345;
        for (int i = 0; i < 1000; ++i) {
            seed = seed * 1103515245u + 12345u;
            const qint64 lateUs = (seed >> 8) % 30000; // 0..30 ms late, random
            p.feed(kT0 + i * 20000 + lateUs, 160);
        }
        QCOMPARE(p.underrunCount(), 0);
        QVERIFY(p.maxBufferedUs() <= 90000);
    }

    void burstFiveSeconds()
    {
        PlayoutModel p;
        for (int i = 0; i < 250; ++i)
            p.feed(kT0 + i * 10, 160);
        QVERIFY2(std::abs(p.bufferedSec() - 5.0) < 0.001, qPrintable(QString::number(p.bufferedSec())));
        QVERIFY(p.maxBufferedUs() >= 5'000'000);
        p.advance(kT0 + 2'000'000);
        QVERIFY(std::abs(p.bufferedSec() - 3.04) < 0.001); // playing began after the 40 ms jitter buffer
        QVERIFY(p.isPlaying());
        QCOMPARE(p.underrunCount(), 0);
    }

    void twoPercentSlowUnderruns()
    {
        PlayoutModel p; // 40 ms jitter buffer: lateness accumulates 0.4 ms per frame
        for (int i = 0; i < 500; ++i)
            p.feed(kT0 + i * 20400, 160);
        p.advance(kT0 + 500 * 20400);
        // ~every 100 frames the buffer runs dry and re-buffers 40 ms
        QVERIFY2(p.underrunCount() >= 3 && p.underrunCount() <= 6, qPrintable(QString::number(p.underrunCount())));
        QVERIFY(p.underrunTotalUs() >= 3 * 40000);
        for (const Underrun &u : p.underruns())
            QVERIFY(u.durationUs > 40000 && u.durationUs < 41000);

        PlayoutModel tight(cfgWithJitterBuffer(0));
        for (int i = 0; i < 500; ++i)
            tight.feed(kT0 + i * 20400, 160);
        QCOMPARE(tight.underrunCount(), 499);
        QCOMPARE(tight.underrunTotalUs(), 499 * 400);
        QCOMPARE(tight.underruns().first().startUs, kT0 + 20000);
    }

    void pauseIsNotUnderrun()
    {
        PlayoutModel p;
        for (int i = 0; i < 50; ++i)
            p.feed(kT0 + i * 20000, 160);
        for (int i = 0; i < 50; ++i)
            p.feed(kT0 + 4'000'000 + i * 20000, 160);
        QCOMPARE(p.underrunCount(), 0);
        QCOMPARE(p.pauseCount(), 1);
    }

    void markEchoTiming()
    {
        PlayoutModel p;
        QList<MarkEcho> seen;
        p.setEchoCallback([&seen](const MarkEcho &e) { seen.append(e); });

        // Nothing buffered: echoed at once.
        p.mark(kT0, QStringLiteral("m0"));
        QCOMPARE(seen.size(), 1);
        QCOMPARE(seen[0].echoedUs, kT0);

        // 1 s of audio at once, then two marks: both due when the second of audio is played
        // (after the 40 ms jitter buffer), a third after 200 ms more.
        const qint64 t1 = kT0 + 1'000'000;
        for (int i = 0; i < 50; ++i)
            p.feed(t1, 160);
        p.mark(t1, QStringLiteral("m1"));
        p.mark(t1, QStringLiteral("m2"));
        for (int i = 0; i < 10; ++i)
            p.feed(t1, 160);
        p.mark(t1, QStringLiteral("m3"));
        QCOMPARE(p.marksPending(), 3);
        QCOMPARE(p.nextEventUs(), t1 + 40000 + 1'000'000);
        p.advance(t1 + 1'000'000);
        QCOMPARE(seen.size(), 1);
        p.advance(t1 + 1'040'000);
        QCOMPARE(seen.size(), 3);
        QCOMPARE(seen[1].name, QStringLiteral("m1"));
        QCOMPARE(seen[2].name, QStringLiteral("m2"));
        QCOMPARE(seen[1].echoedUs, t1 + 1'040'000);
        QVERIFY(!seen[1].byClear);
        p.advance(t1 + 5'000'000);
        QCOMPARE(seen.size(), 4);
        QCOMPARE(seen[3].name, QStringLiteral("m3"));
        QCOMPARE(seen[3].echoedUs, t1 + 1'240'000); // echoed at its due time, not at advance time
        QCOMPARE(p.marksEchoed(), 4);
        QCOMPARE(p.echoes().size(), 4);
    }

    void clearEmptiesAndEchoesPending()
    {
        PlayoutModel p;
        QStringList order;
        p.setEchoCallback([&order](const MarkEcho &e) { order << e.name + (e.byClear ? "*" : ""); });
        for (int i = 0; i < 250; ++i) { // 5 s burst with a mark every second
            p.feed(kT0, 160);
            if (i % 50 == 49)
                p.mark(kT0, QStringLiteral("s%1").arg(i / 50));
        }
        p.advance(kT0 + 1'500'000);
        QCOMPARE(order, QStringList{"s0"});
        QCOMPARE(p.clear(kT0 + 1'500'000), 4);
        QCOMPARE(order, (QStringList{"s0", "s1*", "s2*", "s3*", "s4*"}));
        QCOMPARE(p.bufferedUs(), 0);
        QCOMPARE(p.discardedByClearUs(), 5'040'000 - 1'500'000);
        QCOMPARE(p.clearCount(), 1);
        QCOMPARE(p.clears()[0].clearToSilenceUs, -1); // not known until the silence holds
        p.advance(kT0 + 1'550'000);
        QCOMPARE(p.clears()[0].clearToSilenceUs, -1);
        p.advance(kT0 + 1'600'000);
        QCOMPARE(p.clears()[0].clearToSilenceUs, 0);
        // the gap after a clear is not an underrun
        p.feed(kT0 + 1'700'000, 160);
        QCOMPARE(p.underrunCount(), 0);
    }

    void clearThenStaleMediaDelaysSilence()
    {
        // A bot that clears but keeps sending its old audio for 300 ms: the caller still hears it.
        PlayoutModel p;
        qint64 t = kT0;
        for (int i = 0; i < 100; ++i, t += 20000)
            p.feed(t, 160);
        const qint64 clearAt = t;
        p.clear(clearAt);
        for (int i = 0; i < 15; ++i, t += 20000)
            p.feed(t, 160);
        p.advance(t + 1'000'000);
        QCOMPARE(p.clearCount(), 1);
        // the stale audio restarts (jitter buffer) and plays 15 frames
        const qint64 expected = (clearAt + 40000 + 15 * 20000) - clearAt;
        QCOMPARE(p.clears()[0].clearToSilenceUs, expected);
        QCOMPARE(p.underrunCount(), 0);
    }

    void overflowDiscards()
    {
        PlayoutConfig c;
        c.maxBufferedUs = 1'000'000; // Twilio's is 10 min; 1 s keeps the test small
        PlayoutModel p(c);
        int accepted = 0;
        for (int i = 0; i < 100; ++i)
            accepted += p.feed(kT0, 160) ? 1 : 0;
        QVERIFY(accepted >= 50 && accepted <= 52);
        QCOMPARE(p.discardedOverflowBytes(), qint64(100 - accepted) * 160);
        p.advance(kT0 + 500'000);
        QVERIFY(p.feed(kT0 + 500'000, 160)); // room again
    }

    void timeNeverRunsBackwards()
    {
        PlayoutModel p;
        p.feed(kT0 + 100000, 160);
        p.advance(kT0); // stale: ignored
        QCOMPARE(p.nowUs(), kT0 + 100000);
        p.feed(kT0, 160); // treated as now
        QCOMPARE(p.bufferedUs(), 40000); // two frames, not yet playing
        QVERIFY(p.feed(kT0, 0));
        p.reset();
        QCOMPARE(p.receivedAudioUs(), 0);
        QCOMPARE(p.nextEventUs(), -1);
        const QJsonObject o = p.toJson();
        QCOMPARE(o.value("underruns").toInt(), 0);
    }
};

QTEST_APPLESS_MAIN(TestPlayoutModel)
#include "tst_playoutmodel.moc"
