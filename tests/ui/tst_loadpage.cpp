// The Load page: bad input starts nothing and is explained next to its field; a short real run
// against the in-process reference bot fills the table and histograms (counts and order only);
// redraws are throttled (a fake clock drives the throttle, so the count is deterministic).
#include "LoadHistogram.h"
#include "LoadKneeChart.h"
#include "LoadPage.h"
#include "MainWindow.h"
#include "RedrawThrottle.h"

#include "load/LoadReferenceBot.h"
#include "load/LoadReport.h"

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace pacelab;
using namespace pacelab::ui;

namespace {

template <typename T> T *child(LoadPage &p, const QString &name)
{
    T *w = p.findChild<T *>(name);
    if (!w)
        qFatal("no field %s", qPrintable(name));
    return w;
}

CallResult call(int index, bool connected, double fpsP1, double bufferedSec)
{
    CallResult c;
    c.index = index;
    c.connected = connected;
    c.failReason = connected ? QString() : QStringLiteral("connection refused");
    c.frames = connected ? 100 : 0;
    c.durationSec = connected ? 2.0 : 0.0;
    c.fpsMax = connected ? 50 : 0; // a whole second measured: judged, not "measuring"
    c.fpsP1 = fpsP1;
    c.fpsP50 = 50;
    c.jitterMs = 0.3;
    c.deltaP99Ms = 21;
    c.maxBufferedSec = bufferedSec;
    return c;
}

LoadStep snapshotOf(int target, double t, const QList<CallResult> &calls)
{
    LoadStep s;
    s.targetCalls = target;
    s.durationSec = t;
    s.calls = calls;
    return s;
}

QList<int> tableCallNumbers(LoadPage &p)
{
    QList<int> out;
    const QAbstractItemModel *m = p.callsTable()->model();
    for (int r = 0; r < m->rowCount(); ++r)
        out << m->index(r, 0).data().toInt();
    return out;
}

} // namespace

class TestLoadPage final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PaceLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_loadpage"));
    }

    // The built-in reference bot speaks the page's provider; switching provider replaces it.
    void referenceBotSpeaksThePagesProvider()
    {
        LoadPage page;
        QSignalSpy logs(&page, &LoadPage::logLine);
        QPushButton *button = nullptr;
        for (QPushButton *b : page.findChildren<QPushButton *>())
            if (b->accessibleName() == QLatin1String("Use the built-in reference bot"))
                button = b;
        QVERIFY(button);
        page.setProvider(provider::Id::Vonage);
        button->click();
        QVERIFY(!logs.isEmpty());
        QVERIFY2(logs.last().at(1).toString().contains(QLatin1String("Reference bot (vonage)")), qPrintable(logs.last().at(1).toString()));
        const qsizetype before = logs.size();
        button->click(); // same provider: the same bot, no new one
        QCOMPARE(logs.size(), before);
        page.setProvider(provider::Id::Exotel);
        button->click();
        QVERIFY2(logs.last().at(1).toString().contains(QLatin1String("Reference bot (exotel)")), qPrintable(logs.last().at(1).toString()));
    }

    void everyControlHasAnAccessibleName()
    {
        LoadPage p;
        int controls = 0;
        for (QWidget *w : p.findChildren<QWidget *>()) {
            if (!qobject_cast<QAbstractButton *>(w) && !qobject_cast<QLineEdit *>(w) && !qobject_cast<QAbstractSpinBox *>(w)
                && !qobject_cast<QTableView *>(w) && !qobject_cast<LoadHistogram *>(w) && !qobject_cast<LoadKneeChart *>(w))
                continue;
            if ((qobject_cast<QLineEdit *>(w) && qobject_cast<QAbstractSpinBox *>(w->parentWidget()))
                || w->inherits("QTableCornerButton"))
                continue; // a spin box's own editor (the spin box carries the name), the table's corner
            ++controls;
            QVERIFY2(!w->accessibleName().isEmpty(), qPrintable(w->metaObject()->className() + QStringLiteral(" ") + w->objectName()));
        }
        QVERIFY(controls >= 14);
    }

    void badInputShowsTheMessageNextToItsFieldAndStartsNothing_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<int>("calls");
        QTest::addColumn<QString>("steps");
        QTest::addColumn<double>("ramp");
        QTest::addColumn<double>("bargeIn");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("message");
        QTest::newRow("empty url") << "" << 5 << "" << 20.0 << 0.0 << "bot" << "is not a ws:// or wss:// URL";
        QTest::newRow("http url") << "http://example.com/" << 5 << "" << 20.0 << 0.0 << "bot" << "is not a ws:// or wss:// URL";
        QTest::newRow("0 calls") << "ws://127.0.0.1:9/" << 0 << "" << 20.0 << 0.0 << "calls" << "--calls must be 1..100000, got 0";
        QTest::newRow("too many calls") << "ws://127.0.0.1:9/" << 200000 << "" << 20.0 << 0.0 << "calls" << "--calls must be";
        QTest::newRow("steps descending") << "ws://127.0.0.1:9/" << 5 << "50,10" << 20.0 << 0.0 << "steps" << "ascending";
        QTest::newRow("steps garbage") << "ws://127.0.0.1:9/" << 5 << "ten" << 20.0 << 0.0 << "steps" << "ascending";
        QTest::newRow("absurd ramp") << "ws://127.0.0.1:9/" << 5 << "" << 1e6 << 0.0 << "ramp" << "--ramp must be 0..10000";
        QTest::newRow("barge-in 0.5 s") << "ws://127.0.0.1:9/" << 5 << "" << 20.0 << 0.5 << "barge-in-every" << "--barge-in-every must be 1..3600";
    }
    void badInputShowsTheMessageNextToItsFieldAndStartsNothing()
    {
        QFETCH(QString, url);
        QFETCH(int, calls);
        QFETCH(QString, steps);
        QFETCH(double, ramp);
        QFETCH(double, bargeIn);
        QFETCH(QString, field);
        QFETCH(QString, message);
        LoadPage p;
        QSignalSpy finished(&p, &LoadPage::runFinished);
        child<QLineEdit>(p, QStringLiteral("bot"))->setText(url);
        child<QSpinBox>(p, QStringLiteral("calls"))->setValue(calls);
        child<QLineEdit>(p, QStringLiteral("steps"))->setText(steps);
        child<QDoubleSpinBox>(p, QStringLiteral("ramp"))->setValue(ramp);
        child<QDoubleSpinBox>(p, QStringLiteral("barge-in-every"))->setValue(bargeIn);
        const int rendersBefore = p.renderCount();
        QTest::mouseClick(child<QPushButton>(p, QStringLiteral("loadStart")), Qt::LeftButton);
        QVERIFY(!p.isRunning());
        QVERIFY2(p.fieldError(field).contains(message), qPrintable(p.fieldError(field)));
        QVERIFY(p.findChild<QLabel *>(field + QStringLiteral("Error"))->isVisibleTo(&p));
        QVERIFY(p.generalError().isEmpty());
        QCOMPARE(p.renderCount(), rendersBefore);
        QCOMPARE(p.callsTable()->model()->rowCount(), 0);
        QVERIFY(child<QPushButton>(p, QStringLiteral("loadStart"))->isEnabled());
        QVERIFY(!child<QPushButton>(p, QStringLiteral("loadStop"))->isEnabled());
        QTest::qWait(50);
        QCOMPARE(finished.count(), 0);

        // Fixing the input clears the message on the next Start (refused again here: the port is
        // closed, but the URL is fine, so the field's message goes).
        child<QLineEdit>(p, QStringLiteral("bot"))->setText(QStringLiteral("wss://bot.example.com/stream"));
        child<QSpinBox>(p, QStringLiteral("calls"))->setValue(0);
        child<QLineEdit>(p, QStringLiteral("steps"))->clear();
        p.start();
        QVERIFY(p.fieldError(QStringLiteral("bot")).isEmpty());
        QVERIFY(!p.isRunning());
    }

    void syntheticSnapshotsShowWorstFirst()
    {
        LoadPage p;
        p.onStepStarted(3);
        p.onSnapshot(snapshotOf(3, 2.0, {call(0, true, 50, 0.05), call(1, true, 40, 1.2), call(2, false, 0, 0)}));
        p.throttle()->flush();
        QCOMPARE(tableCallNumbers(p), (QList<int>{3, 2, 1})); // refused, two limits broken, fine
        const QAbstractItemModel *m = p.callsTable()->model();
        QCOMPARE(m->index(0, 1).data().toString(), QStringLiteral("FAIL"));
        QCOMPARE(m->index(2, 1).data().toString(), QStringLiteral("PASS"));
        QVERIFY(m->headerData(6, Qt::Horizontal).toString().contains(QLatin1String("est.")));
        QCOMPARE(p.fpsHistogram()->sampleCount(), 2);
        QCOMPARE(p.bufferedHistogram()->sampleCount(), 2);
        QVERIFY(p.liveLineText().startsWith(QLatin1String("[LOAD] calls=")));

        // Clicking a call shows its figures and its chart, and it stays selected across redraws.
        p.callsTable()->selectRow(1);
        QVERIFY2(p.detailsText().contains(QLatin1String("Call 2")), qPrintable(p.detailsText()));
        QVERIFY(p.detailsText().contains(QLatin1String("buffered")));
        p.onSnapshot(snapshotOf(3, 3.0, {call(0, true, 50, 0.05), call(1, true, 40, 1.3), call(2, false, 0, 0)}));
        p.throttle()->flush();
        QCOMPARE(p.callsTable()->currentIndex().row(), 1);
        QVERIFY(p.detailsText().contains(QLatin1String("1.30 s")));

        // A finished stepped run: the knee chart and the sentence, PASS/FAIL in words.
        p.onStepFinished(snapshotOf(3, 3.0, {call(0, true, 50, 0.05), call(1, true, 40, 1.3), call(2, false, 0, 0)}));
        p.throttle()->flush();
        QVERIFY2(p.kneeText().contains(QLatin1String("FAIL")), qPrintable(p.kneeText()));
        QVERIFY(p.kneeText().contains(QLatin1String("does not hold even 3 concurrent calls")));
    }

    void aCallWithoutASecondOfAudioIsShownAsMeasuring()
    {
        LoadPage p;
        p.onStepStarted(2);
        CallResult young = call(1, true, 0, 0.02); // audio, but no whole second of it yet
        young.fpsMax = 0;
        young.durationSec = 0.6;
        p.onSnapshot(snapshotOf(2, 0.8, {call(0, true, 40, 0.05), young}));
        p.throttle()->flush();
        const QAbstractItemModel *m = p.callsTable()->model();
        QCOMPARE(tableCallNumbers(p), (QList<int>{1, 2}));
        QCOMPARE(m->index(0, 1).data().toString(), QStringLiteral("FAIL"));
        QCOMPARE(m->index(1, 1).data().toString(), QStringLiteral("measuring"));
        QVERIFY(m->index(1, 7).data().toString().contains(QLatin1String("not judged yet")));
        QCOMPARE(p.fpsHistogram()->sampleCount(), 1);
        // The step's final snapshot judges it.
        p.onStepFinished(snapshotOf(2, 1.0, {call(0, true, 40, 0.05), young}));
        p.throttle()->flush();
        QCOMPARE(m->index(1, 1).data().toString(), QStringLiteral("FAIL"));
    }

    void redrawsAreThrottled()
    {
        LoadPage p;
        qint64 now = 1000000;
        p.throttle()->setClock([&now] { return now; });
        const int before = p.renderCount();
        p.onStepStarted(5);
        QList<CallResult> calls;
        for (int i = 0; i < 5; ++i)
            calls << call(i, true, 50, 0.05);
        // 100 snapshots within 99 ms: one render at once, the rest wait for the interval.
        for (int i = 0; i < 100; ++i) {
            if (i == 99)
                calls << call(5, false, 0, 0); // only the last snapshot has a 6th call
            p.onSnapshot(snapshotOf(6, 1.0 + i * 0.001, calls));
            now += 1;
        }
        QVERIFY2(p.renderCount() - before <= 1, qPrintable(QString::number(p.renderCount() - before)));
        QVERIFY(p.throttle()->isPending());
        now += LoadPage::kMinRedrawMs;
        p.throttle()->poll(); // what the throttle's timer does when the interval has passed
        QVERIFY(p.renderCount() - before <= 2);
        QVERIFY(!p.throttle()->isPending());
        QCOMPARE(p.callsTable()->model()->rowCount(), 6); // the latest snapshot is what is shown
        QCOMPARE(tableCallNumbers(p).first(), 6);

        // 100 snapshots over 1 s of (fake) time: at most one render per 100 ms.
        const int mid = p.renderCount();
        for (int i = 0; i < 100; ++i) {
            p.onSnapshot(snapshotOf(6, 2.0 + i * 0.01, calls));
            now += 10;
        }
        const int renders = p.renderCount() - mid;
        QVERIFY2(renders >= 1 && renders <= 1000 / LoadPage::kMinRedrawMs + 1, qPrintable(QString::number(renders)));
    }

    void shortRunAgainstTheReferenceBot()
    {
        LoadReferenceBot bot;
        QString why;
        QVERIFY2(bot.listen(QHostAddress::LocalHost, 0, &why), qPrintable(why));
        LoadPage p;
        QSignalSpy finished(&p, &LoadPage::runFinished);
        child<QLineEdit>(p, QStringLiteral("bot"))->setText(bot.url().toString());
        child<QSpinBox>(p, QStringLiteral("calls"))->setValue(5);
        child<QDoubleSpinBox>(p, QStringLiteral("ramp"))->setValue(0);
        child<QDoubleSpinBox>(p, QStringLiteral("duration"))->setValue(3);
        QVERIFY(p.start());
        QVERIFY(p.isRunning());
        QVERIFY(!child<QPushButton>(p, QStringLiteral("loadStart"))->isEnabled());
        QVERIFY(finished.wait(120000)); // a bound against a hang, not a speed check
        QVERIFY(!p.isRunning());

        QCOMPARE(p.callsTable()->model()->rowCount(), 5);
        QCOMPARE(p.fpsHistogram()->sampleCount(), 5);
        QCOMPARE(p.jitterHistogram()->sampleCount(), 5);
        QCOMPARE(p.bufferedHistogram()->sampleCount(), 5);
        // Worst first, by core's order.
        const QList<CallResult> shown = p.model().callsWorstFirst();
        QCOMPARE(shown.size(), 5);
        for (int i = 0; i + 1 < shown.size(); ++i)
            QVERIFY(!callWorseThan(shown[i + 1], shown[i]));
        QList<int> numbers;
        for (const CallResult &c : shown)
            numbers << c.index + 1;
        QCOMPARE(tableCallNumbers(p), numbers);
        QCOMPARE(p.lastRun().steps.size(), 1);
        QVERIFY(p.kneeText().contains(QLatin1String("PASS")) || p.kneeText().contains(QLatin1String("FAIL")));

        QTemporaryDir dir;
        QVERIFY(p.exportJson(dir.filePath(QStringLiteral("run.json")), &why));
        QVERIFY(p.exportHtml(dir.filePath(QStringLiteral("run.html")), &why));
        LoadRun back;
        QVERIFY2(readLoadRunFile(dir.filePath(QStringLiteral("run.json")), &back, &why), qPrintable(why));
        QCOMPARE(back.steps.first().calls.size(), 5);
    }

    void stopEndsTheStepKeepsItAndSkipsTheRest()
    {
        LoadReferenceBot bot;
        QString why;
        QVERIFY2(bot.listen(QHostAddress::LocalHost, 0, &why), qPrintable(why));
        LoadPage p;
        QSignalSpy finished(&p, &LoadPage::runFinished);
        child<QLineEdit>(p, QStringLiteral("bot"))->setText(bot.url().toString());
        child<QLineEdit>(p, QStringLiteral("steps"))->setText(QStringLiteral("2,3"));
        child<QDoubleSpinBox>(p, QStringLiteral("ramp"))->setValue(0);
        child<QDoubleSpinBox>(p, QStringLiteral("duration"))->setValue(600); // only Stop ends it
        QVERIFY(p.start());
        QVERIFY(!child<QSpinBox>(p, QStringLiteral("calls"))->isEnabled());
        // The first snapshot (a second into the step) shows both calls; then Stop.
        QTRY_VERIFY_WITH_TIMEOUT(p.model().current().calls.size() == 2, 120000);
        QTest::mouseClick(child<QPushButton>(p, QStringLiteral("loadStop")), Qt::LeftButton);
        QVERIFY(finished.wait(120000));
        QCOMPARE(p.lastRun().steps.size(), 1); // the step that ran is kept, the 3-call step skipped
        QCOMPARE(p.lastRun().steps.first().targetCalls, 2);
        QCOMPARE(p.model().summaries().size(), 1);
        QCOMPARE(p.kneeChart()->steps().size(), 1);
        QVERIFY(child<QPushButton>(p, QStringLiteral("loadStart"))->isEnabled());
        QVERIFY(!child<QPushButton>(p, QStringLiteral("loadStop"))->isEnabled());
    }

    void aThousandCallsRenderAsOneFrame()
    {
        // Counts only; the time of one render is printed for docs/ui.md, never asserted.
        LoadPage p;
        p.resize(1016, 590);
        p.show();
        QList<CallResult> calls;
        for (int i = 0; i < 1000; ++i)
            calls << call(i, i % 97 != 0, i % 13 == 0 ? 40 : 50, (i % 50) * 0.02);
        p.onStepStarted(1000);
        QElapsedTimer t;
        t.start();
        p.onSnapshot(snapshotOf(1000, 5.0, calls));
        p.throttle()->flush();
        const qint64 modelAndRenderUs = t.nsecsElapsed() / 1000;
        QCOMPARE(p.callsTable()->model()->rowCount(), 1000);
        QCOMPARE(p.bufferedHistogram()->sampleCount(), 1000 - 11); // 11 calls never connected
        QCOMPARE(tableCallNumbers(p).first(), 1);                   // call 0 (index) refused: worst
        t.restart();
        p.grab();
        qInfo("1000 calls: model + render %lld us, paint of the page %lld us", modelAndRenderUs, t.nsecsElapsed() / 1000);
    }

    void closingDuringARunIsClean()
    {
        LoadReferenceBot bot;
        QString why;
        QVERIFY2(bot.listen(QHostAddress::LocalHost, 0, &why), qPrintable(why));
        auto *p = new LoadPage;
        child<QLineEdit>(*p, QStringLiteral("bot"))->setText(bot.url().toString());
        child<QSpinBox>(*p, QStringLiteral("calls"))->setValue(3);
        child<QDoubleSpinBox>(*p, QStringLiteral("ramp"))->setValue(0);
        child<QDoubleSpinBox>(*p, QStringLiteral("duration"))->setValue(600);
        QVERIFY(p->start());
        QTRY_VERIFY_WITH_TIMEOUT(bot.started() == 3, 120000);
        // The window closes mid-run: the emulator's workers stop before the page goes. A crash
        // (a worker touching the page) or a hang (a worker never joined) fails here.
        delete p;
        QTest::qWait(100); // late events of the deleted run must find nothing to call
    }

    void theMainWindowHasALoadPage()
    {
        QSettings().clear();
        MainWindow w;
        auto *page = w.findChild<LoadPage *>();
        QVERIFY(page);
        QCOMPARE(w.pages()->tabText(w.pages()->indexOf(page)), QStringLiteral("Load"));
        w.pages()->setCurrentWidget(page);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // What the window around the page takes (menu, toolbar, tabs, status bar), so the page's
        // own minimum can be checked against a 1024x700 window whatever the other pages need.
        const QSize chrome = w.size() - page->size();
        const QSize need = page->minimumSizeHint() + chrome;
        QVERIFY2(need.width() <= 1024 && need.height() <= 700,
                 qPrintable(QStringLiteral("the Load page needs %1x%2").arg(need.width()).arg(need.height())));
    }

    void fitsAt1024x700()
    {
        // The page alone at the size a 1024x700 window leaves it: every key part visible, inside.
        LoadPage page;
        page.resize(1016, 590);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QCOMPARE(page.size(), QSize(1016, 590));
        const QRect all = page.rect();
        for (QWidget *key : std::initializer_list<QWidget *>{page.findChild<QPushButton *>(QStringLiteral("loadStart")),
                                                              page.findChild<QPushButton *>(QStringLiteral("loadStop")),
                                                              page.callsTable(), page.fpsHistogram(), page.jitterHistogram(),
                                                              page.bufferedHistogram(), page.kneeChart()}) {
            QVERIFY(key->isVisible());
            const QRect r(key->mapTo(&page, QPoint(0, 0)), key->size());
            QVERIFY2(all.contains(r), qPrintable(key->objectName()));
            QVERIFY2(key->width() >= key->minimumSizeHint().width() && key->height() >= key->minimumSizeHint().height(),
                     qPrintable(key->objectName()));
        }
        QVERIFY(page.callsTable()->width() >= 300);
        if (qEnvironmentVariableIsSet("PACELAB_SHOT_DIR")) // to look at the small layout by eye
            page.grab().save(qEnvironmentVariable("PACELAB_SHOT_DIR") + QStringLiteral("/load-page-1024.png"));
    }
};

QTEST_MAIN(TestLoadPage)
#include "tst_loadpage.moc"
