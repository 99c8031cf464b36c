// Session: the emulator really runs on a thread of its own (not the owner's, not the sender's),
// the engine and the emulator meet over loopback with every frame and mark arriving in order,
// the capture tap records the run, and a bad config or an unusable peer is refused with a
// message. Real-time, so only order, counts and thread identities are asserted.
#include "check/CheckUtil.h"
#include "replay/Capture.h"
#include "session/Session.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace pacelab;

namespace {

// Waits (serving events) until done() or the generous limit; a saturated machine is slow,
// never wrong.
bool waitFor(const std::function<bool()> &done, int limitMs = 60000)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > limitMs)
            return false;
        QTest::qWait(20);
    }
    return true;
}

} // namespace

class TestSession final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void refusesABadConfig()
    {
        SessionConfig c;
        c.sender.highWater = 500;
        QString error;
        QVERIFY(!Session::create(c, &error));
        QCOMPARE(error, QStringLiteral("high-water mark must be between 0 and the queue capacity (120), got 500"));
        SessionConfig unwritable;
        unwritable.capturePath = QStringLiteral("/nonexistent-dir/x/capture.jsonl");
        QVERIFY(!Session::create(unwritable, &error));
        QVERIFY2(error.startsWith(QStringLiteral("cannot write the capture /nonexistent-dir/x/capture.jsonl")), qPrintable(error));
    }

    void emulatorRunsOnItsOwnThread()
    {
        QString error;
        auto session = Session::create(SessionConfig(), &error);
        QVERIFY2(session, qPrintable(error));
        QVERIFY(!session->hasEmulator());
        QVERIFY(!session->onEmulator([](TwilioEmulator &) { return 1; }));
        QVERIFY2(session->startEmulator(&error), qPrintable(error));
        TwilioEmulator *emu = session->emulator();
        QVERIFY(emu);
        QCOMPARE(emu->thread(), session->emulatorThread());
        QVERIFY(emu->thread() != QThread::currentThread());
        QVERIFY(emu->thread() != session->engine()->senderThread());
        QVERIFY(session->emulatorThread()->isRunning());
        // onEmulator really runs there.
        QCOMPARE(session->onEmulator([](TwilioEmulator &) { return QThread::currentThread(); }).value_or(nullptr),
                 session->emulatorThread());
        QCOMPARE(session->emulatorUrl().host(), QStringLiteral("127.0.0.1"));
        QVERIFY(session->emulatorUrl().port() > 0);

        QPointer<QThread> thread = session->emulatorThread();
        session->stopEmulator();
        QVERIFY(!session->hasEmulator());
        QVERIFY(!thread); // joined and deleted
    }

    // Engine -> emulator over loopback: every frame and the mark arrive, in order; the capture
    // holds each media message the sender wrote.
    void roundTrip()
    {
        QTemporaryDir dir;
        SessionConfig c;
        c.capturePath = dir.filePath(QStringLiteral("run.jsonl"));
        c.sender.pingIntervalMs = 0;
        c.emulator.sendInboundMedia = false;
        QString error;
        auto session = Session::create(c, &error);
        QVERIFY2(session, qPrintable(error));
        QVERIFY(session->hasCapture());
        QVERIFY2(session->connectToEmulator(&error), qPrintable(error));
        QSignalSpy echoed(session->emulator(), &TwilioEmulator::markEchoed);
        // Numbered frames (digital silence carrying a number): the order the emulator saw them.
        QList<quint32> order;
        QObject context;
        connect(session->emulator(), &TwilioEmulator::mediaReceived, &context, [&order](const QByteArray &m) {
            order.append(check::readFrameTag(m).value_or(0xFFFFFFFFu));
        });
        SenderEngine *engine = session->engine();
        QVERIFY(waitFor([&] { return engine->state() == SenderEngine::Connected; }));

        constexpr int kFrames = 40;
        for (int i = 0; i < kFrames; ++i)
            QVERIFY(engine->enqueueFrame(check::taggedFrame(quint32(i)), true));
        engine->mark(QStringLiteral("end-of-turn"));
        auto received = [&] { return session->onEmulator([](TwilioEmulator &e) { return e.stats().frames; }).value_or(-1); };
        QVERIFY(waitFor([&] { return received() >= kFrames && echoed.size() >= 1; }));
        QCOMPARE(received(), qint64(kFrames));
        QVERIFY(waitFor([&] { return order.size() >= kFrames; }));
        QList<quint32> expected;
        for (int i = 0; i < kFrames; ++i)
            expected.append(quint32(i));
        QCOMPARE(order, expected);
        QCOMPARE(session->onEmulator([](TwilioEmulator &e) { return e.marksEchoedInOrder(); }).value_or(QStringList()),
                 QStringList{QStringLiteral("end-of-turn")});
        QCOMPARE(session->onEmulator([](TwilioEmulator &e) { return e.violationCount(); }).value_or(-1), 0);

        QVERIFY(session->stopEngine(30000));
        QCOMPARE(engine->totals().framesSent, quint64(kFrames));
        QCOMPARE(engine->offThreadWrites(), quint64(0));
        QString captureError;
        QVERIFY(session->closeCapture(&captureError) > 0);
        QVERIFY2(captureError.isEmpty(), qPrintable(captureError));

        capture::CaptureReader reader;
        QVERIFY2(reader.open(c.capturePath), qPrintable(reader.fatalError()));
        int outMedia = 0;
        while (const std::optional<capture::Record> rec = reader.next())
            if (rec->type == capture::Record::Type::Message && rec->dir == capture::Dir::Out && rec->data.contains("\"media\""))
                ++outMedia;
        QCOMPARE(reader.errorCount(), qint64(0));
        QCOMPARE(outMedia, kFrames);
    }

    void unusableBotUrl()
    {
        QString error;
        auto session = Session::create(SessionConfig(), &error);
        QVERIFY(session);
        QVERIFY(!session->startEmulatorToBot(QUrl(QStringLiteral("http://127.0.0.1:1/")), EmulatorOptions(), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!session->hasEmulator());
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
