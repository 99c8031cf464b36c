// PaceLab's own SenderEngine -> TwilioEmulator (listen mode) on loopback: the end-to-end
// health check. A producer thread pushes 6 s of audio with back-pressure and a mark each
// second; the emulator must see no violations, ~50 fps, a small buffer, no underruns, and
// the marks echoed in order.
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
        QVERIFY(emu.listen(QHostAddress::LocalHost, 0));
        QSignalSpy ticks(&emu, &TwilioEmulator::secondTick);
        QSignalSpy echoed(&emu, &TwilioEmulator::markEchoed);

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
        QTRY_COMPARE_WITH_TIMEOUT(engine.state(), SenderEngine::Connected, 10000);
        QCOMPARE(engine.streamSid(), emu.streamSid());

        constexpr int kFrames = 300; // 6 s
        std::atomic<bool> producerOk{true};
        std::thread producer([&engine, &producerOk] {
            const QByteArray frame(160, char(0x2A));
            for (int i = 0; i < kFrames; ++i) {
                if (!engine.enqueueFrame(frame, true)) {
                    producerOk = false;
                    return;
                }
                if (i % 50 == 49)
                    engine.mark(QStringLiteral("sec%1").arg(i / 50 + 1));
            }
        });
        QTRY_COMPARE_WITH_TIMEOUT(emu.stats().frames, kFrames, 20000);
        producer.join();
        QVERIFY(producerOk);
        QTRY_COMPARE_WITH_TIMEOUT(echoed.size(), 6, 5000);

        const ArrivalStats s = emu.stats();
        QCOMPARE(emu.violationCount(), 0);
        QCOMPARE(s.nonStandardFrames, 0);
        QVERIFY2(emu.playout().maxBufferedUs() < 200000, qPrintable(QString::number(emu.playout().maxBufferedUs())));
        // 0 expected; on a loaded 2-core CI box one stall of the receiving thread can exceed the
        // 40 ms jitter buffer, so one short underrun is tolerated (a drifting or starving sender
        // makes several, see tst_emulator_pacing).
        QVERIFY2(emu.playout().underrunCount() <= 1 && emu.playout().underrunTotalUs() <= 150000,
                 qPrintable(QStringLiteral("%1 underruns, %2 ms").arg(emu.playout().underrunCount())
                                .arg(emu.playout().underrunTotalUs() / 1000)));
        QCOMPARE(s.burstCount, 0);
        QVERIFY2(std::abs(s.driftPpm) < 5000, qPrintable(QString::number(s.driftPpm)));
        QStringList expected;
        for (int i = 1; i <= 6; ++i)
            expected << QStringLiteral("sec%1").arg(i);
        QCOMPARE(emu.marksEchoedInOrder(), expected);
        QTRY_COMPARE_WITH_TIMEOUT(echoesAtSender, expected, 3000);
        QVERIFY(ticks.size() >= 5);
        for (int i = 1; i < 5; ++i) { // full seconds while the engine was sending
            const auto rx = ticks.at(i).at(0).value<PerSecondRx>();
            QVERIFY2(rx.fps >= 40 && rx.fps <= 60, qPrintable(rx.toLine()));
            QVERIFY2(rx.bufferedSec < 0.2, qPrintable(rx.toLine()));
        }
        qInfo().noquote() << "engine -> emulator:" << emu.summaryText();

        QSignalSpy gone(&emu, &TwilioEmulator::clientDisconnected);
        engine.stop();
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 15000);
    }
};

QTEST_GUILESS_MAIN(TestEmulatorEngine)
#include "tst_emulator_engine.moc"
