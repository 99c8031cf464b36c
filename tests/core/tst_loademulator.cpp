// The many-call load emulator (LoadEmulator: worker threads, one grid tick each, an EmulatedCall
// per call) against the in-process LoadReferenceBot, and the knee of a CPU-bound bot on
// simulated time. The live runs assert only what holds on a saturated machine: every call
// placed, connected (or failed with its reason), distinct SIDs, results filled, frames counted.
// No fps, jitter or duration figure of a live run is asserted.
#include "emulator/EmulatedCall.h"
#include "load/CallMetrics.h"
#include "load/LoadEmulator.h"
#include "load/LoadReferenceBot.h"
#include "load/LoadReport.h"
#include "twilio/TwilioMessages.h"

#include <QSet>
#include <QTcpServer>
#include <QSignalSpy>
#include <QtTest>

using namespace pacelab;

namespace {

// Runs a load to its end (or fails the test after a generous wall-clock bound: a hang).
LoadRun runLoad(const LoadOptions &o, int *seconds = nullptr)
{
    LoadEmulator emu;
    QSignalSpy finished(&emu, &LoadEmulator::finished);
    QSignalSpy ticks(&emu, &LoadEmulator::secondElapsed);
    QString error;
    if (!emu.start(o, &error)) {
        qWarning("start failed: %s", qPrintable(error));
        return LoadRun();
    }
    if (!finished.wait(120'000))
        qWarning("load run did not finish");
    if (seconds)
        *seconds = int(ticks.size());
    return emu.run();
}

LoadOptions quickOptions(const QUrl &url, int calls)
{
    LoadOptions o;
    o.botUrl = url;
    o.calls = calls;
    o.rampPerSec = 0;     // all at once
    o.durationSec = 3.0;
    o.workers = 2;
    o.dtmfAtSec = 0.5;
    return o;
}

// A bot on one thread doing `workUs` of CPU work per frame, N calls, on simulated time: while
// N x workUs fits in a 20 ms tick every frame goes out on the grid (call i always i x workUs
// after the tick); past that the bot's loop takes N x workUs per round, so each call gets a
// frame every N x workUs. Returns the calls as a load step would hold them.
LoadStep simulateCpuBot(int calls, int workUs, double seconds)
{
    struct Quiet final : EmulatedCall::Events
    {
        void sendToBot(const QByteArray &) override {}
    } events;
    LoadStep step;
    step.targetCalls = calls;
    const qint64 t0 = 1'000'000;
    const qint64 round = std::max<qint64>(20'000, qint64(calls) * workUs);
    const qint64 end = t0 + qint64(seconds * 1e6);
    for (int i = 0; i < calls; ++i) {
        EmulatedCall call(&events);
        EmulatorOptions o;
        o.streamSid = QStringLiteral("MZ%1").arg(i, 32, 10, QLatin1Char('0'));
        call.start(o, t0);
        const QByteArray media = twilio::encodeMedia(o.streamSid, QByteArray(160, char(0xff)));
        for (qint64 t = t0 + 20'000 + qint64(i + 1) * workUs; t < end; t += round) {
            call.advance(t);
            call.onText(t, QString::fromUtf8(media));
        }
        call.end(end, QStringLiteral("step over"));
        CallResult r;
        r.index = i;
        r.connected = true;
        r.connectMs = 1.0;
        fillCallMetrics(call, ProbeTally(), end, &r);
        step.calls.append(r);
    }
    step.callsUp = calls;
    step.durationSec = seconds;
    return step;
}

} // namespace

class TestLoadEmulator final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fiftyCallsAgainstTheReferenceBot()
    {
        LoadBotOptions bo;
        bo.workers = 2;
        LoadReferenceBot bot(bo);
        QString error;
        QVERIFY2(bot.listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
        LoadOptions o = quickOptions(bot.url(), 50);
        int seconds = 0;
        const LoadRun run = runLoad(o, &seconds);
        QCOMPARE(run.steps.size(), 1);
        const LoadStep &s = run.steps.first();
        QCOMPARE(s.targetCalls, 50);
        QCOMPARE(s.calls.size(), 50);
        QSet<QString> callSids, streamSids;
        for (int i = 0; i < s.calls.size(); ++i) {
            const CallResult &c = s.calls[i];
            QCOMPARE(c.index, i);
            QVERIFY2(c.connected, qPrintable(c.failReason));
            QVERIFY(c.connectMs >= 0);
            QVERIFY2(c.failReason.isEmpty(), qPrintable(c.failReason));
            QVERIFY(!c.droppedMidCall);
            QVERIFY2(c.frames > 0, qPrintable(QStringLiteral("call %1: no frames").arg(i)));
            QVERIFY(c.audioSec > 0);
            QVERIFY(c.firstAudioMs >= 0);
            QVERIFY(c.durationSec > 0);
            QCOMPARE(c.violations, 0);
            QCOMPARE(c.nonStandardFrames, 0);
            QVERIFY(c.callSid.startsWith(QStringLiteral("CA")) && c.callSid.size() == 34);
            QVERIFY(c.streamSid.startsWith(QStringLiteral("MZ")) && c.streamSid.size() == 34);
            callSids.insert(c.callSid);
            streamSids.insert(c.streamSid);
        }
        QCOMPARE(callSids.size(), 50);
        QCOMPARE(streamSids.size(), 50);
        QCOMPARE(s.callsUp, 50);
        QCOMPARE(s.callsFailed, 0);
        QVERIFY(s.cpuPerCallPct >= 0);
        // The bot saw every call start, the dtmf and the stop.
        QTRY_COMPARE_WITH_TIMEOUT(bot.started(), 50, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(bot.stopsReceived(), 50, 10000);
        QCOMPARE(bot.dtmfReceived(), 50);
        QVERIFY(seconds >= 1); // live snapshots were produced
        QVERIFY(!liveLine(s).isEmpty());
    }

    void stepsAndBargeIn()
    {
        LoadReferenceBot bot;
        QString error;
        QVERIFY(bot.listen(QHostAddress::LocalHost, 0, &error));
        LoadOptions o = quickOptions(bot.url(), 0);
        o.steps = {3, 6};
        o.durationSec = 4.5;
        o.bargeInEverySec = 1.5;
        o.bargeInSpeechMs = 300;
        o.bargeInTailMs = 1000;
        const LoadRun run = runLoad(o);
        QCOMPARE(run.steps.size(), 2);
        QCOMPARE(run.steps[0].calls.size(), 3);
        QCOMPARE(run.steps[1].calls.size(), 6);
        QSet<QString> sids;
        for (const LoadStep &s : run.steps)
            for (const CallResult &c : s.calls) {
                QVERIFY2(c.connected, qPrintable(c.failReason));
                sids.insert(c.callSid);
            }
        QCOMPARE(sids.size(), 9); // distinct across steps too
        // Probes went out and the bot answered with clear (counts only: no latency asserted).
        QVERIFY(bot.clearsSent() > 0);
    }

    void refusedConnectionsCountedWithReason()
    {
        LoadBotOptions bo;
        bo.resetOnAccept = true;
        LoadReferenceBot bot(bo);
        QString error;
        QVERIFY(bot.listen(QHostAddress::LocalHost, 0, &error));
        LoadOptions o = quickOptions(bot.url(), 5);
        o.durationSec = 1.5;
        const LoadRun run = runLoad(o);
        QCOMPARE(run.steps.size(), 1);
        QCOMPARE(run.steps[0].calls.size(), 5);
        QCOMPARE(run.steps[0].callsFailed, 5);
        for (const CallResult &c : run.steps[0].calls) {
            QVERIFY(!c.connected);
            QVERIFY2(c.failReason.startsWith(QStringLiteral("cannot connect")), qPrintable(c.failReason));
        }
    }

    void nothingListening()
    {
        // Bind and free a port so nothing listens there: every call is refused, the run ends.
        quint16 port = 0;
        {
            QTcpServer s;
            QVERIFY(s.listen(QHostAddress::LocalHost));
            port = s.serverPort();
        }
        LoadOptions o = quickOptions(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port)), 4);
        o.durationSec = 1.0;
        const LoadRun run = runLoad(o);
        QCOMPARE(run.steps.size(), 1);
        QCOMPARE(run.steps[0].callsFailed, 4);
        for (const CallResult &c : run.steps[0].calls)
            QVERIFY2(c.failReason.contains(QStringLiteral("cannot connect")), qPrintable(c.failReason));
    }

    void silentAndHangingUpBots()
    {
        {
            LoadBotOptions bo;
            bo.silent = true;
            LoadReferenceBot bot(bo);
            QString error;
            QVERIFY(bot.listen(QHostAddress::LocalHost, 0, &error));
            LoadOptions o = quickOptions(bot.url(), 4);
            o.durationSec = 1.5;
            LoadRun run = runLoad(o);
            QCOMPARE(run.steps.size(), 1);
            judgeRun(run, check::Thresholds());
            for (const CallResult &c : run.steps[0].calls) {
                QVERIFY(c.connected);
                QCOMPARE(c.frames, qint64(0));
                QVERIFY(!c.pass);
                QVERIFY2(c.verdictReason.contains(QStringLiteral("audio")), qPrintable(c.verdictReason));
            }
        }
        {
            LoadBotOptions bo;
            bo.closeAfterMs = 300;
            LoadReferenceBot bot(bo);
            QString error;
            QVERIFY(bot.listen(QHostAddress::LocalHost, 0, &error));
            LoadOptions o = quickOptions(bot.url(), 4);
            o.durationSec = 3.0;
            const LoadRun run = runLoad(o);
            QCOMPARE(run.steps.size(), 1);
            QCOMPARE(run.steps[0].callsFailed, 4);
            for (const CallResult &c : run.steps[0].calls) {
                QVERIFY(c.connected);
                QVERIFY(c.droppedMidCall);
                QVERIFY2(c.failReason.contains(QStringLiteral("bot closed")), qPrintable(c.failReason));
            }
        }
    }

    void abortEndsTheStepAndSkipsTheRest()
    {
        LoadReferenceBot bot;
        QString error;
        QVERIFY(bot.listen(QHostAddress::LocalHost, 0, &error));
        LoadOptions o = quickOptions(bot.url(), 0);
        o.steps = {4, 8};
        o.durationSec = 600; // only abort() can end it within the test's bounds
        LoadEmulator emu;
        QSignalSpy finished(&emu, &LoadEmulator::finished);
        QVERIFY2(emu.start(o, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(bot.started(), 4, 30000);
        emu.abort();
        QVERIFY(finished.wait(30000));
        QVERIFY(!emu.isRunning());
        QCOMPARE(emu.run().steps.size(), 1); // the running step is kept, the next skipped
        QCOMPARE(emu.run().steps.first().calls.size(), 4);
        for (const CallResult &c : emu.run().steps.first().calls)
            QVERIFY2(c.connected && c.failReason.isEmpty(), qPrintable(c.failReason));
    }

    void kneeOfACpuBoundBotOnSimulatedTime()
    {
        // 200 µs of work per frame on one thread: 100 calls fill the 20 ms tick exactly.
        QList<StepSummary> summaries;
        for (int calls : {50, 100, 150, 200}) {
            LoadRun run;
            run.steps.append(simulateCpuBot(calls, 200, 4.0));
            judgeRun(run, check::Thresholds());
            summaries.append(summarizeStep(run.steps.first()));
        }
        QVERIFY(summaries[0].holds);
        QVERIFY(summaries[1].holds);
        QVERIFY(!summaries[2].holds);
        QVERIFY(!summaries[3].holds);
        const KneeResult knee = findKnee(summaries, check::Thresholds());
        QVERIFY(knee.found);
        QCOMPARE(knee.holdsAt, 100);
        QCOMPARE(knee.breaksAt, 150);
    }

    void optionsRefused_data()
    {
        QTest::addColumn<int>("row");
        for (int i = 0; i < 8; ++i)
            QTest::newRow(qPrintable(QString::number(i))) << i;
    }
    void optionsRefused()
    {
        QFETCH(int, row);
        LoadOptions o;
        o.botUrl = QUrl(QStringLiteral("ws://127.0.0.1:9/"));
        o.calls = 10;
        QString error;
        QVERIFY2(o.validate(&error), qPrintable(error));
        switch (row) {
        case 0: o.calls = 0; break;
        case 1: o.calls = 1'000'000; break;
        case 2: o.botUrl = QUrl(QStringLiteral("http://x/")); break;
        case 3: o.rampPerSec = -1; break;
        case 4: o.durationSec = 0.2; o.rampPerSec = 1; break; // shorter than the 10 s ramp
        case 5: o.bargeInEverySec = 0.1; break;
        case 6: o.shard.index = 3; o.shard.count = 2; break;
        case 7: o.steps = {10, 20}; o.calls = 30; break;
        }
        QVERIFY(!o.validate(&error));
        QVERIFY(!error.isEmpty());
        LoadEmulator emu;
        QVERIFY(!emu.start(o, &error));
    }
};

QTEST_GUILESS_MAIN(TestLoadEmulator)
#include "tst_loademulator.moc"
