// The many-stream listening emulator (`pacelab emulate --listen --max-streams N`,
// core/load/ListenEmulator) against PaceLab's own many-stream sender, in one process: 200
// streams from one MultiStreamSender, each accepted as its own Twilio stream (distinct SIDs),
// every frame counted on the right stream, every mark echoed to the stream that sent it, and a
// 201st connection refused with the reason. Real time on a possibly saturated machine: counts,
// identities and order only, never a rate or a duration (long waits only so that a hang fails).
// The per-second line is tested on given seconds; option limits on their own.
#include "engine/MultiStreamSender.h"
#include "load/FdLimit.h"
#include "load/ListenEmulator.h"

#include <QSignalSpy>
#include <QWebSocket>
#include <QtTest>

#include <map>
#include <set>

using namespace pacelab;

namespace {
constexpr int kHangMs = 120000;
constexpr int kStreams = 200;
constexpr int kFrames = 25; // per stream, then one mark

QByteArray frameOf(int stream, int n)
{
    QByteArray f(160, char(0xFF)); // mu-law silence ...
    f[0] = char(0x80 + (stream % 64)); // ... marked, so no two streams send the same bytes
    f[1] = char(0x80 + n);
    return f;
}
} // namespace

class TestListenMany final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        // Both ends in this process: two sockets per stream.
        QVERIFY2(ensureFdLimit(fdsNeededForCalls(2 * kStreams + 2), &why), qPrintable(why));
    }

    void optionLimits()
    {
        QString error;
        ListenOptions o;
        o.maxStreams = 0;
        QVERIFY(!o.validate(&error));
        QVERIFY2(error.contains(QLatin1String("--max-streams wants 1..")), qPrintable(error));
        o.maxStreams = ListenOptions::kMaxStreams + 1;
        QVERIFY(!o.validate(&error));
        o.maxStreams = 3;
        QVERIFY(o.validate(&error));
        o.workers = 8;
        QCOMPARE(o.workerCount(), 3); // never more threads than streams
        ListenEmulator emu;
        o.maxStreams = -5;
        QVERIFY(!emu.listen(o, &error)); // refused before any thread starts
    }

    void secondLine()
    {
        QList<PerSecondRx> second;
        for (int fps : {50, 50, 49, 50}) {
            PerSecondRx rx;
            rx.fps = fps;
            rx.jitterMs = fps == 49 ? 2.5 : 0.3;
            rx.bufferedSec = fps == 49 ? 0.0 : 0.12;
            second.append(rx);
        }
        QCOMPARE(listenSecondLine(4, 200, 1, 2, second, 3, 0),
                 QStringLiteral("[LISTEN] streams=4/200 refused=1 ended=2 fps p1=49 p50=50 jitter worst=2.5ms buffered max=0.12s underruns=3 violations=0"));
        QCOMPARE(listenSecondLine(0, 5, 0, 0, {}, 0, 0),
                 QStringLiteral("[LISTEN] streams=0/5 fps p1=- p50=- jitter worst=- buffered max=- underruns=0 violations=0"));
    }

    void twoHundredStreamsFromTheManyStreamSender()
    {
        ListenEmulator emu;
        ListenOptions lo;
        lo.maxStreams = kStreams;
        lo.workers = 2;
        QString error;
        QVERIFY2(emu.listen(lo, &error), qPrintable(error));
        QSignalSpy started(&emu, &ListenEmulator::streamStarted);
        QSignalSpy refused(&emu, &ListenEmulator::connectionRefused);
        QSignalSpy ended(&emu, &ListenEmulator::streamEnded);

        MultiStreamSender sender;
        for (int i = 0; i < kStreams; ++i) {
            QCOMPARE(sender.addStream(emu.url(), {}, &error), i);
            for (int n = 0; n < kFrames; ++n)
                QVERIFY(sender.enqueueFrame(i, frameOf(i, n)));
            sender.mark(i, QStringLiteral("end-of-%1").arg(i));
        }
        QTRY_VERIFY_WITH_TIMEOUT(emu.accepted() == kStreams, kHangMs);
        QCOMPARE(emu.active(), kStreams);

        // One more than the limit: the handshake completes, then a close with the reason.
        QWebSocket extra;
        QSignalSpy extraClosed(&extra, &QWebSocket::disconnected);
        extra.open(emu.url());
        QTRY_VERIFY_WITH_TIMEOUT(extraClosed.size() == 1, kHangMs);
        QCOMPARE(int(extra.closeCode()), int(QWebSocketProtocol::CloseCodePolicyViolated));
        QVERIFY2(extra.closeReason().contains(QLatin1String("at most 200 concurrent streams")), qPrintable(extra.closeReason()));
        QTRY_COMPARE_WITH_TIMEOUT(refused.size(), 1, kHangMs);
        QCOMPARE(emu.refused(), 1);
        QCOMPARE(emu.accepted(), kStreams); // the refused one never became a stream

        // Every stream's mark comes back to that stream once its audio has played out.
        for (int i = 0; i < kStreams; ++i)
            QTRY_VERIFY_WITH_TIMEOUT(sender.streamStats(i).marksEchoed == 1, kHangMs);
        sender.stop(); // drains (nothing left) and closes every stream normally
        for (int i = 0; i < kStreams; ++i)
            QTRY_VERIFY_WITH_TIMEOUT(sender.streamState(i) == EngineState::Idle, kHangMs);
        QTRY_COMPARE_WITH_TIMEOUT(emu.active(), 0, kHangMs);
        QTRY_COMPARE_WITH_TIMEOUT(ended.size(), kStreams, kHangMs);
        QCOMPARE(started.size(), kStreams);

        std::set<int> indexes;
        for (const QList<QVariant> &args : std::as_const(started))
            indexes.insert(args.at(0).toInt());
        QCOMPARE(int(indexes.size()), kStreams);
        QCOMPARE(*indexes.begin(), 0);
        QCOMPARE(*indexes.rbegin(), kStreams - 1);

        const QList<CallResult> results = emu.results();
        QCOMPARE(int(results.size()), kStreams);
        std::map<QString, CallResult> bySid;
        std::set<QString> callSids;
        for (const CallResult &r : results) {
            bySid[r.streamSid] = r;
            callSids.insert(r.callSid);
        }
        QCOMPARE(int(bySid.size()), kStreams);   // distinct streamSids
        QCOMPARE(int(callSids.size()), kStreams); // and callSids
        for (int i = 0; i < kStreams; ++i) {
            const StreamStats st = sender.streamStats(i);
            const auto it = bySid.find(st.streamSid);
            QVERIFY2(it != bySid.end(), qPrintable(QStringLiteral("stream %1 (%2) unknown to the emulator").arg(i).arg(st.streamSid)));
            const CallResult &r = it->second;
            QCOMPARE(st.framesSent, quint64(kFrames));
            QCOMPARE(r.frames, qint64(st.framesSent)); // every frame on its own stream
            QCOMPARE(r.marksSent, 1);
            QCOMPARE(r.marksEchoed, 1);
            QCOMPARE(r.violations, 0);
            QVERIFY2(r.failReason.isEmpty() && !r.droppedMidCall, qPrintable(r.failReason)); // a normal close
        }
        emu.stop();
    }
};

QTEST_GUILESS_MAIN(TestListenMany)
#include "tst_listenmany.moc"
