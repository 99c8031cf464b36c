// UI plotting cost: the six live charts (ChartsPanel) fed at 10 Hz — ten times the real
// telemetry rate, 60 s windows pre-filled so every redraw draws full series — while the UI
// thread's CPU time is read with getrusage(RUSAGE_THREAD). Baselines measured in the same run:
// the same panel shown but idle (what the event loop costs with no data), and a naive Qt Charts
// version of the same six charts (QLineSeries::replace with every point and a moving x axis on
// each tick, as a first version would do). Was tests/ui/tst_plotcost: a CPU figure depends on
// the machine and its load, so it is a benchmark, never a test.
#include "BenchUtil.h"
#include "Benchmarks.h"

#include "ChartsPanel.h"
#include "TimeSeriesPlot.h"
#include "emulator/EmulatorTypes.h"
#include "engine/Telemetry.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QElapsedTimer>
#include <QGridLayout>
#include <QLineSeries>
#include <QTimer>
#include <QValueAxis>

#include <cstdio>
#include <functional>

using namespace pacelab;
using namespace pacelab::ui;

namespace {

using bench::runEventsFor;

struct Cost
{
    double cpuPct = 0.0;
    double wallSec = 0.0;
    int redraws = 0; // counted over the measured span only
};

// Runs `tick` every 100 ms (or never when null) for `seconds` after a 1 s settle; UI-thread CPU.
Cost measure(int seconds, const std::function<void()> &tick, const std::function<int()> &redraws = {})
{
    QTimer feeder;
    feeder.setInterval(100);
    if (tick) {
        QObject::connect(&feeder, &QTimer::timeout, tick);
        feeder.start();
    }
    runEventsFor(1000); // first full paint
    const int r0 = redraws ? redraws() : 0;
    const double cpu0 = bench::cpuSeconds(bench::CpuOf::Thread);
    QElapsedTimer wall;
    wall.start();
    runEventsFor(seconds * 1000);
    Cost c;
    c.wallSec = wall.nsecsElapsed() / 1e9;
    c.cpuPct = 100.0 * (bench::cpuSeconds(bench::CpuOf::Thread) - cpu0) / c.wallSec;
    c.redraws = redraws ? redraws() - r0 : 0;
    feeder.stop();
    return c;
}

// Synthetic telemetry of tick n (0.1 s apart): varied enough that every series moves.
TelemetrySnapshot txAt(int n)
{
    TelemetrySnapshot s;
    s.framesSent = 49 + n % 3;
    s.queueDepth = 5 + n % 7;
    s.queueMax = 8 + n % 9;
    s.drops = n % 50 == 0 ? 3 : 0;
    s.latenessP99Us = 300 + (n * 37) % 900;
    s.latenessP50Us = 40 + n % 30;
    return s;
}
PerSecondRx rxAt(int n)
{
    PerSecondRx rx;
    rx.fps = 50;
    rx.bufferedSec = 0.04 + (n % 10) * 0.002;
    rx.underrunsInSecond = n % 97 == 0 ? 1 : 0;
    return rx;
}

// The naive version: six QChartViews, each series replaced with all its points every tick and
// the x axis moved to follow time.
class NaiveCharts : public QWidget
{
public:
    explicit NaiveCharts(int seriesPerChart)
    {
        auto *grid = new QGridLayout(this);
        for (int c = 0; c < 6; ++c) {
            auto *chart = new QChart;
            chart->legend()->hide();
            auto *x = new QValueAxis;
            auto *y = new QValueAxis;
            y->setRange(0, 60);
            chart->addAxis(x, Qt::AlignBottom);
            chart->addAxis(y, Qt::AlignLeft);
            for (int s = 0; s < seriesPerChart; ++s) {
                auto *series = new QLineSeries;
                chart->addSeries(series);
                series->attachAxis(x);
                series->attachAxis(y);
                m_series << series;
                m_points << QList<QPointF>();
            }
            m_axes << x;
            grid->addWidget(new QChartView(chart), c / 2, c % 2);
        }
    }
    void add(double t, double v)
    {
        for (int i = 0; i < m_series.size(); ++i) {
            QList<QPointF> &p = m_points[i];
            p.append(QPointF(t, v + i));
            while (!p.isEmpty() && p.first().x() < t - 60.0)
                p.removeFirst();
        }
    }
    void redraw(double t)
    {
        for (int i = 0; i < m_series.size(); ++i)
            m_series[i]->replace(m_points[i]);
        for (QValueAxis *x : std::as_const(m_axes))
            x->setRange(t - 60.0, t);
    }

private:
    QList<QLineSeries *> m_series;
    QList<QList<QPointF>> m_points;
    QList<QValueAxis *> m_axes;
};

const char *const kUsage = "usage: pacelab-bench plotcost [--seconds N]  (default 10)\n";

int usage(const QString &why)
{
    return bench::printUsage("pacelab-bench plotcost", why, QString::fromUtf8(kUsage));
}

int runPlotCost(const QStringList &args)
{
    int seconds = 10;
    QString error;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--seconds")) {
            if (!bench::takeInt(args, i, 1, 3600, &seconds, &error))
                return usage(error);
        } else if (args[i] == QLatin1String("--help") || args[i] == QLatin1String("-h")) {
            std::printf("%s", kUsage);
            return 0;
        } else {
            return usage(QStringLiteral("unknown option '%1'").arg(args[i]));
        }
    }
    std::printf("plotcost: 6 charts, 10 Hz data, 60 s windows (600 points a series), %d s per run, platform %s\n",
                seconds, qPrintable(QGuiApplication::platformName()));
    std::fflush(stdout);

    ChartsPanel panel;
    panel.setQueueLimits(120, 120);
    panel.resize(900, 440);
    panel.show();
    int tick = 0;
    auto feed = [&panel, &tick] {
        const double t = tick * 0.1;
        panel.addTxAt(t, txAt(tick));
        panel.addRxAt(t, rxAt(tick));
        ++tick;
    };
    for (int i = 0; i < 600; ++i)
        feed();
    auto refreshes = [&panel] {
        int n = 0;
        for (TimeSeriesPlot *p : panel.plots())
            n += p->refreshCount();
        return n;
    };

    const Cost idle = measure(seconds, nullptr);
    const Cost ours = measure(seconds, feed, refreshes);
    const double redrawHz = ours.redraws / ours.wallSec / panel.plots().size();
    panel.hide();

    NaiveCharts naive(2);
    naive.resize(900, 440);
    naive.show();
    int ntick = 0;
    for (; ntick < 600; ++ntick)
        naive.add(ntick * 0.1, 25 + ntick % 7);
    const Cost slow = measure(seconds, [&naive, &ntick] {
        naive.add(ntick * 0.1, 25 + ntick % 7);
        naive.redraw(ntick * 0.1);
        ++ntick;
    });

    std::printf("%-34s %8s\n", "UI thread", "CPU %");
    std::printf("%-34s %8.2f\n", "idle panel (baseline)", idle.cpuPct);
    std::printf("%-34s %8.2f   (%.1f redraws/s per chart)\n", "ChartsPanel fed at 10 Hz", ours.cpuPct, redrawHz);
    std::printf("%-34s %8.2f\n", "naive Qt Charts fed at 10 Hz", slow.cpuPct);
    const double over = ours.cpuPct - idle.cpuPct;
    std::printf("plotting cost above idle: %.2f %% of a core; naive/ours: %.1fx\n", over,
                ours.cpuPct > 0 ? slow.cpuPct / ours.cpuPct : 0.0);
    std::printf("targets: ChartsPanel < 10 %% of a core: %s; redraw <= 10 Hz: %s\n", ours.cpuPct < 10.0 ? "met" : "MISSED",
                redrawHz <= 10.5 ? "met" : "MISSED");
    std::fflush(stdout);
    return 0;
}

const bench::Registrar reg("plotcost",
                           "UI thread CPU of the six live charts at 10 Hz vs an idle panel and a naive Qt Charts version",
                           &runPlotCost, bench::NeedsGui::Yes);

} // namespace
