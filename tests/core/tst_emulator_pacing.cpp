// The emulator's verdicts on misbehaving bots. Verdicts about rates (a 5 s burst, a bot
// drifting 2 % slow, 40 ms frames, a healthy sender, a receiver stall) run on simulated time:
// each bot's arrival timeline is synthesized and judged by the emulator's analysis path
// (replay::analyze: ArrivalAnalytics + PlayoutModel + PerSecondRxBuilder, as live), so they
// give the same answer at any load. The live tests over real loopback WebSockets assert only
// what holds on a saturated machine: counts, order, codes, the verdict's kind, and that the
// live figures equal a replay of the arrival times they saw.
#include "EmulatorTestBots.h"
#include "emulator/TwilioEmulator.h"
#include "replay/Replay.h"

#include <QSignalSpy>
#include <QtTest>

using namespace pacelab;
using testbots::FakeBot;

namespace {
constexpr qint64 kT0 = 5'000'000'000LL; // an arbitrary steady-clock origin

// A bot's outbound timeline, as the emulator would receive it.
struct Timeline
{
    replay::LoadedCall call;
    Timeline() { call.originUs = kT0; }
    void media(qint64 tUs, int bytes = 160)
    {
        replay::OutEvent e;
        e.type = replay::OutEvent::Type::Media;
        e.tUs = kT0 + tUs;
        e.bytes = bytes;
        call.out << e;
    }
    void mark(qint64 tUs, const QString &name)
    {
        replay::OutEvent e;
        e.type = replay::OutEvent::Type::Mark;
        e.tUs = kT0 + tUs;
        e.name = name;
        call.out << e;
    }
    void other(qint64 tUs) // any other message: time passes
    {
        replay::OutEvent e;
        e.type = replay::OutEvent::Type::Other;
        e.tUs = kT0 + tUs;
        call.out << e;
    }
    replay::Analysis analyze() const { return replay::analyze(call); }
};

QString dump(const replay::Analysis &a) { return a.toText(); }
} // namespace

class TestEmulatorPacing final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // ---- simulated time: the rate verdicts ----
    void simulatedHealthySender()
    {
        // 20 ms frames with ±3 ms of deterministic jitter and a mark each second, 6 s.
        Timeline tl;
        for (int i = 0; i < 300; ++i) {
            tl.media(i * 20000 + ((i * 7919) % 7 - 3) * 1000);
            if (i % 50 == 49)
                tl.mark(i * 20000 + 5000, QStringLiteral("s%1").arg(i / 50 + 1));
        }
        const replay::Analysis a = tl.analyze();
        QCOMPARE(a.stats.frames, 300);
        QCOMPARE(a.underruns, 0);
        QCOMPARE(a.stats.burstCount, 0);
        QCOMPARE(a.violationCount, 0);
        QVERIFY2(a.maxBufferedSec < 0.1, qPrintable(dump(a)));
        QVERIFY(a.stats.driftValid);
        QVERIFY2(std::abs(a.stats.driftPpm) < 1000, qPrintable(QString::number(a.stats.driftPpm)));
        QVERIFY2(a.stats.deltaMeanMs > 19.9 && a.stats.deltaMeanMs < 20.1, qPrintable(dump(a)));
        QCOMPARE(a.marksSent, 6);
        QCOMPARE(a.marksEchoed, 6);
        QVERIFY2(!a.problems, qPrintable(dump(a)));
        // The per-second records the live emulator prints: 50 fps in every full second.
        QVERIFY(a.perSecond.size() >= 5);
        for (int i = 1; i < 5; ++i) {
            QVERIFY2(a.perSecond[i].fps >= 49 && a.perSecond[i].fps <= 51, qPrintable(a.perSecond[i].toLine()));
            QVERIFY2(a.perSecond[i].bufferedSec < 0.1, qPrintable(a.perSecond[i].toLine()));
            QCOMPARE(a.perSecond[i].underrunsTotal, 0);
        }
    }

    void simulatedReceiverStall()
    {
        // Why a live test cannot assert 0 underruns: the same healthy sender, but the receiving
        // thread stalls 150 ms (a loaded machine) and then reads the queued frames at once.
        // The model hears one gap although the sender was perfect.
        Timeline tl;
        for (int i = 0; i < 150; ++i) {
            qint64 t = i * 20000;
            if (t >= 1'000'000 && t < 1'150'000)
                t = 1'150'000; // delivered together when the thread wakes up
            tl.media(t);
        }
        const replay::Analysis a = tl.analyze();
        QCOMPARE(a.stats.frames, 150);
        QCOMPARE(a.underruns, 1);
        QVERIFY2(a.underrunTotalUs > 0 && a.underrunTotalUs <= 150000, qPrintable(dump(a)));
        // ...and the catch-up (150 ms of audio at once, over the 100 ms tolerance) reads as a
        // burst: live tests on a loaded machine can assert neither 0 underruns nor 0 bursts.
        QCOMPARE(a.stats.burstCount, 1);
    }

    void simulatedBurstFiveSeconds()
    {
        // 250 frames and a mark sent at once (loopback spreads them over ~5 ms).
        Timeline tl;
        for (int i = 0; i < 250; ++i)
            tl.media(i * 20);
        tl.mark(250 * 20, QStringLiteral("end-of-burst"));
        tl.other(6'000'000); // the call goes on (replay's final drain stops 40 ms short when
                             // playback never started before the last message)
        const replay::Analysis a = tl.analyze();
        QCOMPARE(a.stats.frames, 250);
        QVERIFY2(a.maxBufferedSec > 4.9 && a.maxBufferedSec <= 5.05, qPrintable(dump(a)));
        QVERIFY(a.stats.burstCount >= 1);
        QVERIFY2(a.stats.bursts.first().excessMs > 4000, qPrintable(QString::number(a.stats.bursts.first().excessMs)));
        QVERIFY(a.stats.skewMaxMs > 4000); // far ahead of the 20 ms schedule
        QCOMPARE(a.violationCount, 0);     // legal for Twilio, just bad pacing
        QCOMPARE(a.underruns, 0);
        QVERIFY(a.problems);
        QVERIFY2(a.verdicts.join(QLatin1Char('\n')).contains(QStringLiteral("burst")), qPrintable(dump(a)));
        QCOMPARE(a.stats.fpsPerSecond.value(0), 250); // five seconds' worth in the first second
        QCOMPARE(a.marksEchoed, 1); // once its audio has played out
        // The per-second records: second 0 ends with ~4 s still buffered.
        QVERIFY(!a.perSecond.isEmpty());
        QVERIFY2(a.perSecond[0].bufferedSec > 3.9 && a.perSecond[0].burstsTotal >= 1, qPrintable(a.perSecond[0].toLine()));
        QCOMPARE(a.perSecond[0].fps, 250);
    }

    void simulatedTwoPercentSlow()
    {
        Timeline tl;
        for (int i = 0; i < 400; ++i)
            tl.media(i * 20400); // 8.16 s for 8 s of audio
        const replay::Analysis a = tl.analyze();
        QVERIFY(a.stats.driftValid);
        QVERIFY2(a.stats.driftPpm < -15000 && a.stats.driftPpm > -25000, qPrintable(QString::number(a.stats.driftPpm)));
        QVERIFY2(a.stats.driftMs < -100, qPrintable(QString::number(a.stats.driftMs)));
        QVERIFY2(a.underruns >= 2, qPrintable(dump(a)));
        QVERIFY(a.maxBufferedSec < 0.1);
        QCOMPARE(a.stats.burstCount, 0);
        QCOMPARE(a.violationCount, 0);
        QVERIFY2(a.verdicts.join(QLatin1Char('\n')).contains(QStringLiteral("slower than real time")), qPrintable(dump(a)));
    }

    void simulatedFortyMsFrames()
    {
        // 320-byte frames every 40 ms: the right rate in the wrong size.
        Timeline tl;
        for (int i = 0; i < 75; ++i)
            tl.media(i * 40000, 320);
        const replay::Analysis a = tl.analyze();
        QCOMPARE(a.stats.nonStandardFrames, 75);
        QCOMPARE(a.stats.sizeHistogram.value(320), 75);
        QCOMPARE(a.underruns, 0);
        QCOMPARE(a.stats.burstCount, 0);
        QVERIFY2(a.maxBufferedSec < 0.1, qPrintable(dump(a)));
        QVERIFY2(std::abs(a.stats.driftPpm) < 1000, qPrintable(QString::number(a.stats.driftPpm)));
        QVERIFY2(a.verdicts.join(QLatin1Char('\n')).contains(QStringLiteral("not 160 B")), qPrintable(dump(a)));
    }

    // ---- real time over loopback: structure only ----
    void burstFiveSecondsAtOnce()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) {
            for (int i = 0; i < 250; ++i)
                b.sendMedia(QByteArray(160, char(0x55)));
            b.sendMark(QStringLiteral("end-of-burst"));
        };
        TwilioEmulator emu;
        testbots::TapRecorder tap(emu);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 250, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(emu.playout().marksEchoed() + emu.playout().marksPending(), 1, 30000);
        QCOMPARE(emu.violationCount(), 0); // legal for Twilio, just bad pacing
        QCOMPARE(emu.stats().nonStandardFrames, 0);
        QVERIFY(emu.playout().maxBufferedUs() > 0);
        tap.compareWithLive(emu); // the burst figures themselves: simulatedBurstFiveSeconds
    }

    // Barge-in probes run on the emulator's own clock (TwilioEmulator reads the steady clock), so
    // only the verdict's kind and relations that hold at any load are asserted, not latencies.
    void bargeInBotThatClears()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bool cleared = false;
        bot.onStart = [](FakeBot &b) { b.startPacing(3000, 20000); }; // talks until it hears the caller
        bot.onInboundMedia = [&cleared](FakeBot &b, const twilio::Message &m) {
            // the caller is silent (0xFF) until the probe speaks
            if (!cleared && m.payload.count(char(0xFF)) != m.payload.size()) {
                cleared = true;
                b.stopPacing();
                b.sendClear();
            }
        };
        TwilioEmulator emu;
        QSignalSpy done(&emu, &TwilioEmulator::bargeInFinished);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        // the bot is talking: audio is buffered at the emulator
        QTRY_VERIFY_WITH_TIMEOUT(bot.framesSent >= 10 && emu.playout().bufferedUs() > 0, 30000);
        QVERIFY(emu.startBargeInTone(300, 440.0, -10.0, 5000)); // ends once silent: the tail only bounds a slow machine
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 30000);
        const BargeInResult r = emu.bargeIn();
        QVERIFY(r.finished && r.sent && r.botWasTalking);
        QVERIFY(cleared);
        QVERIFY(r.clearReceived);
        QVERIFY(r.clearLatencyMs >= 0);
        QVERIFY(r.audioStopped);
        // The clear empties the buffer, so the caller's silence starts at the clear itself.
        QVERIFY2(r.audioStoppedLatencyMs <= r.clearLatencyMs + 1, qPrintable(r.verdict));
        // The bot stopped pacing before it sent clear.
        QVERIFY2(r.mediaStoppedLatencyMs >= 0 && r.mediaStoppedLatencyMs <= r.clearLatencyMs + 1, qPrintable(r.verdict));
        QVERIFY2(r.verdict.startsWith(QStringLiteral("clear after")), qPrintable(r.verdict));
        QCOMPARE(emu.playout().clearCount(), 1);
        QVERIFY(emu.summaryJson().value("bargeIn").toObject().value("clearReceived").toBool());
    }

    void bargeInBotThatNeverClears()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) { b.startPacing(3000, 20000); }; // keeps talking, deaf
        TwilioEmulator emu;
        QSignalSpy done(&emu, &TwilioEmulator::bargeInFinished);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_VERIFY_WITH_TIMEOUT(bot.framesSent >= 10 && emu.playout().bufferedUs() > 0, 30000);
        QVERIFY(emu.startBargeInTone(300, 440.0, -10.0, 700));
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 30000);
        bot.stopPacing();
        const BargeInResult r = emu.bargeIn();
        QVERIFY(r.botWasTalking);
        QVERIFY(!r.clearReceived);
        QCOMPARE(r.clearLatencyMs, -1.0);
        QCOMPARE(emu.playout().clearCount(), 0);
        QVERIFY2(r.staleAudioHeardMs > 0, qPrintable(QString::number(r.staleAudioHeardMs)));
        // Still sending when the probe ended, so the verdict is "kept talking" (unless a stalled
        // machine let its buffer run dry for 100 ms: then it reads "stopped sending", still no clear).
        QVERIFY2(r.verdict.startsWith(QStringLiteral("no clear")), qPrintable(r.verdict));
        QVERIFY(bot.nonSilentInbound >= 1); // it was sent the caller's speech
    }

    void bargeInStaleBufferWithoutClear()
    {
        // 3 s sent at once, then silence: the bot "stops" but Twilio still plays what it holds.
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) {
            for (int i = 0; i < 150; ++i)
                b.sendMedia(QByteArray(160, char(0x55)));
        };
        TwilioEmulator emu;
        QSignalSpy done(&emu, &TwilioEmulator::bargeInFinished);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 150, 30000);
        QVERIFY(emu.startBargeInTone(300, 440.0, -10.0, 4000));
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 30000);
        const BargeInResult r = emu.bargeIn();
        QVERIFY(r.botWasTalking);
        QVERIFY(r.bufferedAtStartSec > 0.0);
        QVERIFY(!r.clearReceived);
        QVERIFY(r.audioStopped);
        // The stale speech is what was buffered when the probe began (never more than was sent).
        QVERIFY2(r.audioStoppedLatencyMs > 0 && r.audioStoppedLatencyMs <= 3000 + 40 + 20, qPrintable(r.verdict));
        QCOMPARE(r.mediaStoppedLatencyMs, 0.0);
        QVERIFY2(r.verdict.startsWith(QStringLiteral("no clear: the bot stopped sending")), qPrintable(r.verdict));
    }

    void bargeInNeedsAStream()
    {
        TwilioEmulator emu;
        QVERIFY(!emu.startBargeInTone(300));
        QVERIFY(emu.errorString().contains(QStringLiteral("running stream")));
    }
};

QTEST_GUILESS_MAIN(TestEmulatorPacing)
#include "tst_emulator_pacing.moc"
