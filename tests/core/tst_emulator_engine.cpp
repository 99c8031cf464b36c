// PaceLab's own SenderEngine -> TwilioEmulator (listen mode) on loopback: the end-to-end
// check of the real-time path. A producer thread pushes 3 s of audio with back-pressure and a
// mark each second; the emulator must receive every frame, in order, with no violations and
// the marks echoed in order, and its live figures must equal a replay of the arrival times it
// saw. How well the engine paces (fps, lateness, drift) is a figure for pacelab-bench pacing
// and the engine's own simulated-clock tests: on a saturated machine it is not a test verdict.
#include "EmulatorTestBots.h"
#include "emulator/TwilioEmulator.h"
#include "engine/SenderEngine.h"
#include "twilio/TwilioMessages.h"

#include <QSignalSpy>
#include <QtTest>
#include <atomic>
#include <thread>

using namespace pacelab;

class TestEmulatorEngine final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void senderEngineIntoEmulator()
    {
        TwilioEmulator emu;
        testbots::TapRecorder tap(emu);
        QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
        QSignalSpy ticks(&emu, &TwilioEmulator::secondTick);
        QSignalSpy echoed(&emu, &TwilioEmulator::markEchoed);
        QSignalSpy media(&emu, &TwilioEmulator::mediaReceived);

        SenderEngine engine;
        QStringList echoesAtSender;
        connect(&engine, &SenderEngine::peerMessage, this, [&echoesAtSender](const QByteArray &json) {
            const auto r = twilio::parseFromTwilio(json);
            if (r.ok() && r.message.event == twilio::Event::Mark)
                echoesAtSender << r.message.markName;
        });
        connect(&engine, &SenderEngine::stateChanged, this, [](SenderEngine::State st, const QString &msg) {
            if (st == SenderEngine::Error)
                qWarning().noquote() << "engine error:" << msg;
        });
        engine.connectTo(emu.serverUrl());
        QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 30000);
        QCOMPARE(engine.streamSid(), emu.streamSid());

        constexpr int kFrames = 150; // 3 s
        std::atomic<bool> producerOk{true};
        std::thread producer([&engine, &producerOk] {
            for (int i = 0; i < kFrames; ++i) {
                // frame i carries its index, so the emulator's order can be checked
                QByteArray frame(160, char(0x2A));
                frame[0] = char(i & 0xFF);
                frame[1] = char(i >> 8);
                if (!engine.enqueueFrame(frame, true)) {
                    producerOk = false;
                    return;
                }
                if (i % 50 == 49)
                    engine.mark(QStringLiteral("sec%1").arg(i / 50 + 1));
            }
        });
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, kFrames, 60000);
        producer.join();
        QVERIFY(producerOk);
        QTRY_COMPARE_WITH_TIMEOUT(echoed.size(), 3, 60000);

        // Every frame, once, in the order it was queued: no loss, no duplicate, no reordering.
        QCOMPARE(media.size(), kFrames);
        for (int i = 0; i < kFrames; ++i) {
            const QByteArray f = media.at(i).at(0).toByteArray();
            QCOMPARE(f.size(), 160);
            QCOMPARE((quint8(f[0]) | (quint8(f[1]) << 8)), i);
        }
        const ArrivalStats s = emu.stats();
        QCOMPARE(emu.violationCount(), 0);
        QCOMPARE(s.nonStandardFrames, 0);
        QStringList expected;
        for (int i = 1; i <= 3; ++i)
            expected << QStringLiteral("sec%1").arg(i);
        QCOMPARE(emu.marksEchoedInOrder(), expected);
        QTRY_COMPARE_WITH_TIMEOUT(echoesAtSender, expected, 30000);
        tap.compareWithLive(emu);
        QVERIFY(!QTest::currentTestFailed());
        int framesInSeconds = 0;
        for (const auto &args : std::as_const(ticks))
            framesInSeconds += args.at(0).value<PerSecondRx>().fps;
        QVERIFY(framesInSeconds <= kFrames);
        qInfo().noquote() << "engine -> emulator:" << emu.summaryText();

        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        engine.stop();
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 30000);
    }
};

QTEST_GUILESS_MAIN(TestEmulatorEngine)
#include "tst_emulator_engine.moc"
