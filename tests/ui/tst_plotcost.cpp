// UI plotting cost: the six live charts fed at 10 Hz (ten times the real telemetry rate) while
// the UI thread's CPU time is measured with getrusage(RUSAGE_THREAD). Prints the figure for
// docs/ui.md; the assertion is deliberately loose (shared, noisy CI cores) and only catches a
// pathological regression. PACELAB_PLOTCOST_SECONDS sets the duration (default 10).
#include "ChartsPanel.h"
#include "TimeSeriesPlot.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTest>
#include <QTimer>

#include <sys/resource.h>

using namespace pacelab;
using namespace pacelab::ui;

namespace {
double threadCpuSec()
{
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
} // namespace

class TestPlotCost final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void chartsAt10Hz()
    {
        const int seconds = qEnvironmentVariableIsSet("PACELAB_PLOTCOST_SECONDS")
                                ? qEnvironmentVariableIntValue("PACELAB_PLOTCOST_SECONDS") : 10;
        ChartsPanel panel;
        panel.setQueueLimits(120, 120);
        panel.resize(900, 440);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));

        // Pre-fill 60 s so every redraw draws full windows, as in a long session.
        int tick = 0;
        auto feed = [&panel, &tick] {
            const double t = tick * 0.1;
            TelemetrySnapshot s;
            s.framesSent = 49 + tick % 3;
            s.queueDepth = 5 + tick % 7;
            s.queueMax = 8 + tick % 9;
            s.drops = tick % 50 == 0 ? 3 : 0;
            s.latenessP99Us = 300 + (tick * 37) % 900;
            s.latenessP50Us = 40 + tick % 30;
            PerSecondRx rx;
            rx.fps = 50;
            rx.bufferedSec = 0.04 + (tick % 10) * 0.002;
            rx.underrunsInSecond = tick % 97 == 0 ? 1 : 0;
            panel.addTxAt(t, s);
            panel.addRxAt(t, rx);
            ++tick;
        };
        for (int i = 0; i < 600; ++i)
            feed();

        QTimer feeder;
        feeder.setInterval(100);
        QObject::connect(&feeder, &QTimer::timeout, &panel, feed);
        int refreshBefore = 0;
        for (TimeSeriesPlot *p : panel.plots())
            refreshBefore += p->refreshCount();
        feeder.start();
        QTest::qWait(1000); // settle: first full paint

        const double cpu0 = threadCpuSec();
        QElapsedTimer wall;
        wall.start();
        int refresh0 = 0;
        for (TimeSeriesPlot *p : panel.plots())
            refresh0 += p->refreshCount();
        QTest::qWait(seconds * 1000);
        const double cpu = threadCpuSec() - cpu0;
        const double elapsed = wall.elapsed() / 1000.0;
        int refresh1 = 0;
        for (TimeSeriesPlot *p : panel.plots())
            refresh1 += p->refreshCount();
        feeder.stop();

        const double pct = 100.0 * cpu / elapsed;
        const double redrawHz = (refresh1 - refresh0) / elapsed / panel.plots().size();
        qInfo("plot cost: %.2f %% of one core (UI thread), 6 charts x %.1f redraws/s, %d points each series, "
              "%.1f s measured, platform %s",
              pct, redrawHz, 600, elapsed, qPrintable(QGuiApplication::platformName()));
        QVERIFY(refreshBefore >= 0);
        QVERIFY2(redrawHz <= 10.5, "charts redraw faster than 10 Hz");
        QVERIFY2(redrawHz >= 3.0, "charts did not keep up with 10 Hz data");
        QVERIFY2(pct < 60.0, qPrintable(QStringLiteral("plotting costs %1 % of a core").arg(pct)));
    }
};

QTEST_MAIN(TestPlotCost)
#include "tst_plotcost.moc"
