// Charts are always right: after any sequence of range changes a chart looks exactly like a
// fresh chart given the same data (no ghost tick labels, no "…" labels, no stale grid), ticks
// sit on round values for any window, and the empty-state text stays inside the plot area.
#include "ChartsTimeSeriesPlot.h"

#include <QApplication>
#include <QChart>
#include <QImage>
#include <QLabel>
#include <QTest>
#include <QValueAxis>

#include <cmath>
#include <functional>
#include <memory>

using namespace pacelab::ui;

namespace {
std::unique_ptr<ChartsTimeSeriesPlot> makePlot(double window = 60, bool limit = true)
{
    auto p = std::make_unique<ChartsTimeSeriesPlot>();
    p->setTitle(QStringLiteral("Frames per second"), QStringLiteral("frames/s"));
    p->setWindowSeconds(window);
    p->setBaseRange(0, 60);
    p->addSeries(QStringLiteral("sent"), Qt::blue);
    if (limit)
        p->setLimitLine(50, QStringLiteral("50 fps"), Qt::gray);
    p->resize(340, 220);
    p->show();
    return p;
}

void settle(ChartsTimeSeriesPlot *p)
{
    p->refreshNow();
    for (int i = 0; i < 5; ++i) {
        QCoreApplication::processEvents();
        QTest::qWait(10);
    }
}

QImage render(ChartsTimeSeriesPlot *p)
{
    settle(p);
    return p->grab().toImage().convertToFormat(QImage::Format_RGB32);
}

int differingPixels(const QImage &a, const QImage &b, QRect *where = nullptr)
{
    if (a.size() != b.size())
        return -1;
    int n = 0;
    QRect box;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x)
            if (a.pixel(x, y) != b.pixel(x, y)) {
                ++n;
                box |= QRect(x, y, 1, 1);
            }
    if (where)
        *where = box;
    return n;
}

QList<double> yTicks(ChartsTimeSeriesPlot *p)
{
    auto *axis = qobject_cast<QValueAxis *>(p->chart()->axes(Qt::Vertical).first());
    QList<double> ticks;
    for (double v = std::ceil((axis->min() - axis->tickAnchor()) / axis->tickInterval() - 1e-9) * axis->tickInterval() + axis->tickAnchor();
         v <= axis->max() + 1e-9; v += axis->tickInterval())
        ticks << v;
    return ticks;
}
} // namespace

class TestCharts final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rangeChangesLeaveNoTrace_data()
    {
        QTest::addColumn<QList<double>>("history"); // values that come and go first
        QTest::addColumn<QList<double>>("final");   // the data both charts end with
        QTest::newRow("up then back down") << QList<double>{5000, 20000, 3} << QList<double>{48, 50, 51, 50};
        QTest::newRow("fractions then tens") << QList<double>{0.001, 0.02, 0.3} << QList<double>{12, 40, 49};
        QTest::newRow("negative then positive") << QList<double>{-300, -2, 7000} << QList<double>{0, 1, 2};
        QTest::newRow("empty after data") << QList<double>{1e6, 3, 0.5} << QList<double>{};
    }
    void rangeChangesLeaveNoTrace()
    {
        QFETCH(QList<double>, history);
        QFETCH(QList<double>, final);
        auto changed = makePlot();
        QVERIFY(QTest::qWaitForWindowExposed(changed.get()));
        // Laid out small first (a hidden page, a collapsed splitter), then at its size.
        for (const QSize s : {QSize(60, 40), QSize(0, 0), QSize(900, 500), QSize(340, 220)}) {
            changed->resize(s);
            render(changed.get());
        }
        double t = 0;
        for (double v : history) {
            changed->appendPoint(0, t, v);
            t += 1;
            render(changed.get()); // each value redraws the axes at a new range
        }
        changed->clear();
        auto fresh = makePlot();
        QVERIFY(QTest::qWaitForWindowExposed(fresh.get()));
        for (int i = 0; i < final.size(); ++i) {
            changed->appendPoint(0, 100 + i, final[i]);
            fresh->appendPoint(0, 100 + i, final[i]);
        }
        const QImage a = render(changed.get());
        const QImage b = render(fresh.get());
        QRect where;
        const int diff = differingPixels(a, b, &where);
        if (diff != 0)
            qWarning("differences in %d,%d %dx%d", where.x(), where.y(), where.width(), where.height());
        if (diff != 0 && qEnvironmentVariableIsSet("PACELAB_TEST_SHOTS")) {
            a.save(qEnvironmentVariable("PACELAB_TEST_SHOTS") + QStringLiteral("/changed.png"));
            b.save(qEnvironmentVariable("PACELAB_TEST_SHOTS") + QStringLiteral("/fresh.png"));
        }
        QCOMPARE(diff, 0);
        QVERIFY2(changed->clippedTexts().isEmpty(), qPrintable(changed->clippedTexts().join(QLatin1Char('\n'))));
    }

    void ticksOnRoundValues_data()
    {
        QTest::addColumn<double>("window");
        QTest::addColumn<double>("step");
        QTest::addColumn<double>("top"); // the largest value plotted
        QTest::newRow("live 60 s") << 60.0 << 10.0 << 59.0;
        QTest::newRow("replay 23 s, lateness 7 ms") << 23.0 << 5.0 << 7.0;
        QTest::newRow("doctor 10 lines, 0.3") << 10.0 << 2.0 << 0.3;
        QTest::newRow("long call 1234 s") << 1234.0 << 250.0 << 130.0;
        QTest::newRow("3 s, 9") << 3.0 << 0.5 << 9.0;
    }
    void ticksOnRoundValues()
    {
        QFETCH(double, window);
        QFETCH(double, step);
        QFETCH(double, top);
        auto p = makePlot(window, false);
        p->setBaseRange(0, 0.1);
        for (int i = 0; i < 20; ++i)
            p->appendPoint(0, i * window / 19, top * (i + 1) / 20);
        settle(p.get());
        auto *x = qobject_cast<QValueAxis *>(p->chart()->axes(Qt::Horizontal).first());
        QCOMPARE(x->min(), -window);
        QCOMPARE(x->max(), 0.0);
        QCOMPARE(x->tickType(), QValueAxis::TicksDynamic);
        QCOMPARE(x->tickAnchor(), 0.0); // ticks at 0, -step, -2 step ...: "0s" is now
        QCOMPARE(x->tickInterval(), step);
        // At every height (the tick count follows it): round ticks, each label reading its exact
        // value (a 2.5 step must not print "3" for 2.5).
        for (const int h : {150, 170, 200, 240, 300, 420}) {
            p->resize(340, h);
            settle(p.get());
            const QList<double> y = yTicks(p.get());
            QVERIFY(y.size() >= 2 && y.size() <= 8);
            auto *yAxis = qobject_cast<QValueAxis *>(p->chart()->axes(Qt::Vertical).first());
            for (double v : y) {
                QVERIFY2(std::abs(v / yAxis->tickInterval() - std::round(v / yAxis->tickInterval())) < 1e-6, qPrintable(QString::number(v)));
                QCOMPARE(QString::asprintf(qPrintable(yAxis->labelFormat()), v).toDouble(), v);
            }
        }
    }

    void emptyStateInsideThePlotArea()
    {
        auto p = makePlot();
        p->setPlaceholderText(QStringLiteral("no emulator in this mode: Twilio's side is not visible"));
        QVERIFY(QTest::qWaitForWindowExposed(p.get()));
        for (const QSize size : {QSize(260, 160), QSize(340, 220), QSize(700, 400)}) {
            p->resize(size);
            settle(p.get());
            auto *ph = p->findChild<QLabel *>(QStringLiteral("placeholder"));
            QVERIFY(ph && ph->isVisible());
            QVERIFY2(p->clippedTexts().isEmpty(), qPrintable(p->clippedTexts().join(QLatin1Char('\n'))));
        }
    }
};

QTEST_MAIN(TestCharts)
#include "tst_charts.moc"
