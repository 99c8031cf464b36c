// The live verdict badges on synthesized seconds: each limit passes on a good bot, breaks the
// moment a bad one crosses it (with the number), and stays broken.
#include "check/LiveVerdict.h"

#include <QTest>

using namespace pacelab;
using namespace pacelab::check;

namespace {
QList<PerSecondRx> seconds(const QList<int> &fps, double buffered = 0.04)
{
    QList<PerSecondRx> out;
    for (int i = 0; i < fps.size(); ++i) {
        PerSecondRx s;
        s.second = i;
        s.fps = fps[i];
        s.bufferedSec = fps[i] > 0 ? buffered : 0.0;
        out << s;
    }
    return out;
}
LiveBadge badge(const QList<LiveBadge> &all, const QString &key)
{
    for (const LiveBadge &b : all)
        if (b.key == key)
            return b;
    return {};
}
} // namespace

class TestLiveVerdict final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void nothingYet()
    {
        const auto v = liveVerdict({}, {});
        QCOMPARE(v.size(), 5);
        for (const LiveBadge &b : v)
            QCOMPARE(b.state, LiveState::Waiting);
        QCOMPARE(badge(v, QStringLiteral("bargein")).measured, QStringLiteral("not tried"));
    }

    void goodBot()
    {
        // Speech with a pause: partial seconds at the edges of each utterance are not "too slow".
        const auto v = liveVerdict(seconds({0, 23, 50, 49, 51, 12, 0, 0, 37, 50, 50, 8}), {});
        QCOMPARE(badge(v, QStringLiteral("pace")).state, LiveState::Ok);
        QCOMPARE(badge(v, QStringLiteral("pace")).measured, QStringLiteral("49–51 fps"));
        QCOMPARE(badge(v, QStringLiteral("buffer")).state, LiveState::Ok);
        QCOMPARE(badge(v, QStringLiteral("frames")).state, LiveState::Ok);
        QCOMPARE(badge(v, QStringLiteral("schema")).state, LiveState::Ok);
    }

    void tooFastBreaksAtOnce()
    {
        // A bot bypassing the clock: 250 fps in its first second, buffered audio climbing.
        QList<PerSecondRx> s = seconds({250});
        s[0].bufferedSec = 4.2;
        const auto v = liveVerdict(s, {});
        QCOMPARE(badge(v, QStringLiteral("pace")).state, LiveState::Broken);
        QCOMPARE(badge(v, QStringLiteral("pace")).measured, QStringLiteral("250 fps at 0 s"));
        QCOMPARE(badge(v, QStringLiteral("buffer")).state, LiveState::Broken);
        QCOMPARE(badge(v, QStringLiteral("buffer")).measured, QStringLiteral("max 4.20 s at 0 s (now 4.20 s)"));
        // ... and stays broken once the bot behaves.
        s << seconds({0, 50, 50, 50}).mid(1);
        for (int i = 1; i < s.size(); ++i)
            s[i].second = i;
        const auto later = liveVerdict(s, {});
        QCOMPARE(badge(later, QStringLiteral("pace")).state, LiveState::Broken);
        QCOMPARE(badge(later, QStringLiteral("buffer")).state, LiveState::Broken);
    }

    void slowClockInsideSpeech()
    {
        // 47 fps inside a talk spurt (a timer that drifts) is below 50 - 2.
        const auto v = liveVerdict(seconds({20, 50, 47, 50, 30}), {});
        QCOMPARE(badge(v, QStringLiteral("pace")).state, LiveState::Broken);
        QCOMPARE(badge(v, QStringLiteral("pace")).measured, QStringLiteral("47 fps at 2 s"));
        // At the limit is fine.
        QCOMPARE(badge(liveVerdict(seconds({20, 48, 52, 50, 30}), {}), QStringLiteral("pace")).state, LiveState::Ok);
    }

    void underrunsAndSchema()
    {
        QList<PerSecondRx> s = seconds({50, 50, 50});
        s[2].underrunsTotal = 3;
        s[2].burstsTotal = 1;
        s[2].violationsTotal = 2;
        const auto v = liveVerdict(s, {});
        QCOMPARE(badge(v, QStringLiteral("frames")).state, LiveState::Broken);
        QCOMPARE(badge(v, QStringLiteral("frames")).measured, QStringLiteral("3 underruns, 1 bursts"));
        QCOMPARE(badge(v, QStringLiteral("schema")).state, LiveState::Broken);
        QCOMPARE(badge(v, QStringLiteral("schema")).measured, QStringLiteral("2 rejected"));
    }

    void bargeIn()
    {
        const auto s = seconds({50, 50});
        QCOMPARE(badge(liveVerdict(s, {true, false, -1}), QStringLiteral("bargein")).state, LiveState::Waiting);
        const LiveBadge ok = badge(liveVerdict(s, {true, true, 180}), QStringLiteral("bargein"));
        QCOMPARE(ok.state, LiveState::Ok);
        QCOMPARE(ok.measured, QStringLiteral("clear after 180 ms"));
        QCOMPARE(badge(liveVerdict(s, {true, true, 300}), QStringLiteral("bargein")).state, LiveState::Ok);
        QCOMPARE(badge(liveVerdict(s, {true, true, 301}), QStringLiteral("bargein")).state, LiveState::Broken);
        const LiveBadge none = badge(liveVerdict(s, {true, true, -1}), QStringLiteral("bargein"));
        QCOMPARE(none.state, LiveState::Broken);
        QCOMPARE(none.measured, QStringLiteral("no clear"));
    }
};

QTEST_GUILESS_MAIN(TestLiveVerdict)
#include "tst_liveverdict.moc"
