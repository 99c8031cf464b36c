// The sender thread's scheduling chain (SCHED_FIFO -> RealtimeKit -> nice -> normal) against
// injected system calls: every answer is decided by the test, so the verdicts hold on any
// machine, privileged or not. The real-system cases assert only that the chain returns a
// sensible result without crashing, whatever the machine permits.
#include "engine/RealtimeScheduling.h"
#include "engine/SenderEngine.h"

#include <QSignalSpy>
#include <QTest>

#include <cerrno>
#include <thread>

using namespace pacelab;

namespace {

// Refuses everything unless told otherwise; records what was asked.
class FakeOps final : public SchedulingOps
{
public:
    int fifoAllowedUpTo = 0;     // setFifo(p) succeeds for p <= this
    int fifoErrno = EPERM;
    int rtprio = 0;
    bool root = false;
    bool built = true;
    QString rtkitError = QStringLiteral("RealtimeKit: org.freedesktop.DBus.Error.ServiceUnknown");
    int rtkitMax = 20;
    int niceAllowedDownTo = 0;   // setNice(n) succeeds for n >= this (0: refused)
    int niceLim = 20;
    QString rtkitHighError = QStringLiteral("RealtimeKit: refused");

    QList<int> fifoCalls, niceCalls;
    int rtkitCalls = 0, rtkitHighCalls = 0;

    int setFifo(int p) override
    {
        fifoCalls << p;
        return p <= fifoAllowedUpTo ? 0 : fifoErrno;
    }
    int rtprioLimit() override { return rtprio; }
    bool isRoot() override { return root; }
    bool rtkitBuilt() override { return built; }
    QString rtkitRealtime(int p, int *granted) override
    {
        ++rtkitCalls;
        if (!rtkitError.isEmpty())
            return rtkitError;
        *granted = std::min(p, rtkitMax);
        return {};
    }
    int setNice(int n) override
    {
        niceCalls << n;
        return niceAllowedDownTo < 0 && n >= niceAllowedDownTo ? 0 : EPERM;
    }
    int niceLimit() override { return niceLim; }
    QString rtkitHighPriority(int n, int *granted) override
    {
        ++rtkitHighCalls;
        if (!rtkitHighError.isEmpty())
            return rtkitHighError;
        *granted = n;
        return {};
    }
};

} // namespace

class TestRealtimeScheduling : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everythingRefusedEndsNormalWithWhyAndFix()
    {
        FakeOps ops;
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(r.kind, SchedulingResult::Kind::Normal);
        QCOMPARE(r.policy, QStringLiteral("normal"));
        QCOMPARE(r.tag(), QStringLiteral("normal"));
        QVERIFY(!r.isRealtime());
        // Every step was tried, once, in order.
        QCOMPARE(ops.fifoCalls, QList<int>{50});
        QCOMPARE(ops.rtkitCalls, 1);
        QCOMPARE(ops.niceCalls, QList<int>{-10});
        QCOMPARE(ops.rtkitHighCalls, 1);
        QVERIFY2(r.why.contains(QLatin1String("SCHED_FIFO 50")) && r.why.contains(QLatin1String("RLIMIT_RTPRIO 0")), qPrintable(r.why));
        QVERIFY2(r.why.contains(QLatin1String("ServiceUnknown")), qPrintable(r.why));
        QVERIFY2(r.why.contains(QLatin1String("nice -10")), qPrintable(r.why));
        // A user without privileges is told the rtprio limit line.
        QVERIFY2(r.fix.contains(QLatin1String("rtprio 95")) && r.fix.contains(QLatin1String("limits.d")), qPrintable(r.fix));
        QVERIFY(r.summary().contains(r.fix));
        QVERIFY(r.summary().contains(QLatin1String("not real-time")));
    }

    void refusedAsRootPointsAtTheCapability()
    {
        FakeOps ops;
        ops.root = true;
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(r.kind, SchedulingResult::Kind::Normal);
        QVERIFY2(r.fix.contains(QLatin1String("SYS_NICE")), qPrintable(r.fix));
    }

    void fifoGrantedStopsTheChain()
    {
        FakeOps ops;
        ops.fifoAllowedUpTo = 99;
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(r.kind, SchedulingResult::Kind::Fifo);
        QCOMPARE(r.policy, QStringLiteral("SCHED_FIFO 50"));
        QCOMPARE(r.tag(), QStringLiteral("fifo:50"));
        QVERIFY(r.isRealtime());
        QVERIFY(r.why.isEmpty() && r.fix.isEmpty());
        QCOMPARE(ops.rtkitCalls, 0);
        QVERIFY(ops.niceCalls.isEmpty());
    }

    void lowerRtprioLimitIsTaken()
    {
        FakeOps ops;
        ops.rtprio = 20;
        ops.fifoAllowedUpTo = 20;
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(ops.fifoCalls, (QList<int>{50, 20}));
        QCOMPARE(r.policy, QStringLiteral("SCHED_FIFO 20"));
    }

    void rtkitGranted()
    {
        FakeOps ops;
        ops.rtkitError.clear();
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(r.kind, SchedulingResult::Kind::Rtkit);
        QCOMPARE(r.policy, QStringLiteral("rtkit SCHED_RR 20"));
        QCOMPARE(r.tag(), QStringLiteral("rtkit:rr:20"));
        QVERIFY(r.isRealtime());
        QVERIFY(ops.niceCalls.isEmpty());
    }

    void niceWithinTheNiceLimit()
    {
        FakeOps ops;
        ops.niceAllowedDownTo = -5;
        ops.niceLim = -5; // RLIMIT_NICE 25
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(ops.niceCalls, (QList<int>{-10, -5}));
        QCOMPARE(r.kind, SchedulingResult::Kind::Nice);
        QCOMPARE(r.policy, QStringLiteral("nice -5"));
        QCOMPARE(r.tag(), QStringLiteral("nice:-5"));
        QVERIFY(!r.isRealtime());
        QVERIFY(!r.why.isEmpty() && !r.fix.isEmpty()); // not real-time: still says why and how
        QCOMPARE(ops.rtkitHighCalls, 0);
    }

    void rtkitHighPriorityAsLastResort()
    {
        FakeOps ops;
        ops.rtkitHighError.clear();
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(r.kind, SchedulingResult::Kind::Nice);
        QCOMPARE(r.policy, QStringLiteral("nice -10"));
    }

    void notBuiltWithRtkit()
    {
        FakeOps ops;
        ops.built = false;
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(r.kind, SchedulingResult::Kind::Normal);
        QCOMPARE(ops.rtkitCalls, 0);
        QCOMPARE(ops.rtkitHighCalls, 0);
        QVERIFY2(r.why.contains(QLatin1String("not built with RealtimeKit")), qPrintable(r.why));
    }

    void noBusIsNotAskedTwice()
    {
        FakeOps ops;
        ops.rtkitError = QStringLiteral("cannot reach the D-Bus system bus (no socket)");
        const SchedulingResult r = applyRealtimeScheduling(RealtimeRequest{}, ops);
        QCOMPARE(r.kind, SchedulingResult::Kind::Normal);
        QCOMPARE(ops.rtkitCalls, 1);
        QCOMPARE(ops.rtkitHighCalls, 0);
        QVERIFY(r.why.contains(QLatin1String("system bus")));
    }

    void disabledTriesNothing()
    {
        FakeOps ops;
        ops.fifoAllowedUpTo = 99;
        RealtimeRequest req;
        req.enabled = false;
        const SchedulingResult r = applyRealtimeScheduling(req, ops);
        QCOMPARE(r.kind, SchedulingResult::Kind::Normal);
        QCOMPARE(r.tag(), QStringLiteral("off"));
        QVERIFY(ops.fifoCalls.isEmpty() && ops.niceCalls.isEmpty() && ops.rtkitCalls == 0);
    }

    void absurdRequestsAreClamped()
    {
        FakeOps ops;
        RealtimeRequest req;
        req.priority = 500;
        req.niceLevel = 7; // not a raise: taken as -1
        applyRealtimeScheduling(req, ops);
        QCOMPARE(ops.fifoCalls, QList<int>{99});
        QCOMPARE(ops.niceCalls.first(), -1);
    }

    // The real system, on a thread of its own: whatever this machine permits, a sensible answer.
    void realSystemGivesASensibleAnswer()
    {
        SchedulingResult r;
        std::thread t([&r] { r = applyRealtimeScheduling(RealtimeRequest{}); });
        t.join();
        qInfo("%s", qPrintable(r.summary()));
        static const QStringList kinds{QStringLiteral("fifo"), QStringLiteral("rtkit"), QStringLiteral("nice"),
                                       QStringLiteral("normal")};
        QVERIFY2(kinds.contains(r.tag().section(QLatin1Char(':'), 0, 0)), qPrintable(r.tag()));
        QVERIFY(!r.policy.isEmpty());
        if (!r.isRealtime())
            QVERIFY2(!r.why.isEmpty() && !r.fix.isEmpty(), qPrintable(r.summary()));
    }

    void engineReportsItsScheduling()
    {
        SenderConfig cfg;
        cfg.pingIntervalMs = 0;
        {
            SenderEngine engine(cfg);
            QSignalSpy logs(&engine, &SenderEngine::logMessage);
            QVERIFY(!engine.scheduling().policy.isEmpty());
            QCOMPARE(engine.lastTelemetry().sched, engine.scheduling().tag());
            // Said once, in the log, as the owner's event loop runs.
            QTRY_VERIFY(!logs.isEmpty());
            QVERIFY(logs.first().at(1).toString().startsWith(QLatin1String("sender thread scheduling: ")));
        }
        cfg.realtime = false;
        SenderEngine off(cfg);
        QCOMPARE(off.scheduling().tag(), QStringLiteral("off"));
    }

    void telemetryCarriesTheTag()
    {
        TelemetrySnapshot s;
        s.framesSent = 50;
        s.sched = QStringLiteral("fifo:50");
        QVERIFY2(s.toLine().startsWith(QLatin1String("[TX] fps=50 q=0 drops=0")), qPrintable(s.toLine()));
        QVERIFY2(s.toLine().endsWith(QLatin1String(" sched=fifo:50")), qPrintable(s.toLine()));
        QCOMPARE(TelemetrySnapshot::fromJson(s.toJson()).sched, s.sched);
    }
};

QTEST_GUILESS_MAIN(TestRealtimeScheduling)
#include "tst_realtimescheduling.moc"
