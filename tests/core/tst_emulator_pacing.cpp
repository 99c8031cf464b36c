// The emulator's verdicts on misbehaving bots over real loopback WebSockets: a 5 s burst,
// a bot drifting 2 % slow, and barge-in probes against bots that clear, that never clear, and
// that stop sending with seconds already buffered. Thresholds are generous (noisy machine).
#include "EmulatorTestBots.h"
#include "emulator/TwilioEmulator.h"

#include <QSignalSpy>
#include <QtTest>

using namespace pacelab;
using testbots::FakeBot;

class TestEmulatorPacing final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
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
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 250, 10000);
        const ArrivalStats s = emu.stats();
        const double buffered = emu.playout().bufferedSec();
        QVERIFY2(buffered > 4.5 && buffered <= 5.0, qPrintable(QString::number(buffered)));
        QVERIFY(emu.playout().maxBufferedUs() > 4'800'000);
        QVERIFY(s.burstCount >= 1);
        QVERIFY2(s.bursts.first().excessMs > 4000, qPrintable(QString::number(s.bursts.first().excessMs)));
        QVERIFY(s.skewMaxMs > 4000); // far ahead of the 20 ms schedule
        QCOMPARE(emu.violationCount(), 0); // legal for Twilio, just bad pacing
        QVERIFY(bot.markEchoes.isEmpty()); // its audio has not been played yet

        QSignalSpy ticks(&emu, &TwilioEmulator::secondTick);
        QTRY_VERIFY_WITH_TIMEOUT(ticks.size() >= 1, 3000);
        const auto rx = ticks.last().at(0).value<PerSecondRx>();
        QVERIFY2(rx.bufferedSec > 2.5 && rx.burstsTotal >= 1, qPrintable(rx.toLine()));
    }

    void driftsTwoPercentSlow()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) { b.startPacing(400, 20400); }; // 8.2 s for 8 s of audio
        TwilioEmulator emu;
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_COMPARE_WITH_TIMEOUT(bot.framesSent, 400, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 400, 3000);
        const ArrivalStats s = emu.stats();
        QVERIFY(s.driftValid);
        QVERIFY2(s.driftPpm < -12000 && s.driftPpm > -30000, qPrintable(QString::number(s.driftPpm)));
        QVERIFY2(s.driftMs < -90, qPrintable(QString::number(s.driftMs)));
        QVERIFY2(emu.playout().underrunCount() >= 2, qPrintable(QString::number(emu.playout().underrunCount())));
        QVERIFY(emu.playout().maxBufferedUs() < 200000);
        QCOMPARE(emu.violationCount(), 0);
    }

    void bargeInBotThatClears()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bool cleared = false;
        bot.onStart = [](FakeBot &b) { b.startPacing(500, 20000); };
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
        QTRY_VERIFY_WITH_TIMEOUT(bot.framesSent >= 50, 10000);
        QVERIFY(emu.startBargeInTone(500, 440.0, -10.0, 2000));
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 8000);
        const BargeInResult r = emu.bargeIn();
        QVERIFY(r.finished && r.sent && r.botWasTalking);
        QVERIFY(r.clearReceived);
        QVERIFY2(r.clearLatencyMs >= 0 && r.clearLatencyMs < 1000, qPrintable(QString::number(r.clearLatencyMs)));
        QVERIFY(r.audioStopped);
        QVERIFY2(std::abs(r.audioStoppedLatencyMs - r.clearLatencyMs) < 50, qPrintable(r.verdict));
        QVERIFY(r.mediaStoppedLatencyMs >= 0 && r.mediaStoppedLatencyMs < 1000);
        QVERIFY2(r.verdict.startsWith(QStringLiteral("clear after")), qPrintable(r.verdict));
        QCOMPARE(emu.playout().clearCount(), 1);
        QVERIFY(emu.summaryJson().value("bargeIn").toObject().value("clearReceived").toBool());
    }

    void bargeInBotThatNeverClears()
    {
        FakeBot bot;
        QVERIFY(bot.listen());
        bot.onStart = [](FakeBot &b) { b.startPacing(300, 20000); }; // keeps talking, deaf
        TwilioEmulator emu;
        QSignalSpy done(&emu, &TwilioEmulator::bargeInFinished);
        QVERIFY(emu.connectToBot(bot.url(), EmulatorOptions()));
        QTRY_VERIFY_WITH_TIMEOUT(bot.framesSent >= 50, 10000);
        QVERIFY(emu.startBargeInTone(500, 440.0, -10.0, 1000));
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 8000);
        const BargeInResult r = emu.bargeIn();
        QVERIFY(r.botWasTalking);
        QVERIFY(!r.clearReceived);
        QCOMPARE(r.clearLatencyMs, -1.0);
        QVERIFY(!r.audioStopped);
        QVERIFY2(r.staleAudioHeardMs > 1000, qPrintable(QString::number(r.staleAudioHeardMs)));
        QVERIFY2(r.verdict.startsWith(QStringLiteral("no clear and the bot kept talking")), qPrintable(r.verdict));
        QVERIFY(bot.nonSilentInbound >= 20); // it was sent the caller's speech
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
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, 150, 10000);
        QTest::qWait(300);
        QVERIFY(emu.startBargeInTone(300, 440.0, -10.0, 5000));
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 10000);
        const BargeInResult r = emu.bargeIn();
        QVERIFY(r.botWasTalking);
        QVERIFY(r.bufferedAtStartSec > 2.0);
        QVERIFY(!r.clearReceived);
        QVERIFY(r.audioStopped);
        QVERIFY2(r.audioStoppedLatencyMs > 1800 && r.audioStoppedLatencyMs < 3100, qPrintable(r.verdict));
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
