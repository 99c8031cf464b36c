#include "ChartsPanel.h"

#include "TimeSeriesPlot.h"

#include <QFile>
#include <QFontDatabase>
#include <QGridLayout>
#include <QLabel>
#include <QTextStream>
#include <QVBoxLayout>

namespace pacelab::ui {

namespace {
// Colour-blind-safe palette (Okabe-Ito).
const QColor kBlue(0, 114, 178);
const QColor kGreen(0, 158, 115);
const QColor kOrange(230, 159, 0);
const QColor kVermillion(213, 94, 0);
const QColor kPurple(204, 121, 167);
const QColor kGrey(110, 110, 110);
const QColor kRed(200, 30, 30);

// Indices of series in each plot, in the order they are added below.
enum { FpsTx = 0, FpsRx = 1 };
enum { QueueNow = 0, QueueMax = 1 };
enum { DropsSec = 0 };
enum { LateP99 = 0, LateP50 = 1 };
enum { Buffered = 0 };
enum { Underruns = 0, Bursts = 1 };
} // namespace

ChartsPanel::ChartsPanel(QWidget *parent)
    : QWidget(parent)
{
    m_clock.start();
    m_grid = new QWidget(this);
    auto *grid = new QGridLayout(m_grid);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);

    auto make = [this](const QString &title, const QString &unit, double lo, double hi) {
        TimeSeriesPlot *p = TimeSeriesPlot::create(m_grid);
        p->setTitle(title, unit);
        p->setWindowSeconds(60);
        p->setBaseRange(lo, hi);
        m_plots << p;
        return p;
    };
    m_fps = make(tr("Frames per second"), tr("frames/s"), 0, 60);
    m_fps->addSeries(tr("sent"), kBlue);
    m_fps->addSeries(tr("received by emulator"), kGreen);
    m_fps->setLimitLine(50, tr("50 fps"), kGrey);

    m_queue = make(tr("Tx queue depth"), tr("frames"), 0, 130);
    m_queue->addSeries(tr("now"), kBlue);
    m_queue->addSeries(tr("max in second"), kOrange);

    m_drops = make(tr("Dropped frames"), tr("frames/s"), 0, 10);
    m_drops->addSeries(tr("drop-oldest"), kVermillion);

    m_lateness = make(tr("Send lateness"), tr("ms"), 0, 2);
    m_lateness->addSeries(tr("p99"), kPurple);
    m_lateness->addSeries(tr("p50"), kBlue);

    m_buffered = make(tr("Buffered at Twilio"), tr("seconds"), 0, 1);
    m_buffered->addSeries(tr("buffered audio"), kGreen);
    m_buffered->setLimitLine(0.5, tr("0.5 s limit"), kRed);

    m_underruns = make(tr("Underruns and bursts"), tr("per second"), 0, 5);
    m_underruns->addSeries(tr("underruns"), kVermillion);
    m_underruns->addSeries(tr("bursts"), kOrange);

    for (int i = 0; i < m_plots.size(); ++i)
        grid->addWidget(m_plots[i], i / 3, i % 3);

    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(std::max(7.5, mono.pointSizeF() - 1.0));
    m_txLine = new QLabel(tr("[TX] waiting for the first second of telemetry…"), this);
    m_rxLine = new QLabel(tr("[RX] waiting for the emulator…"), this);
    for (QLabel *l : {m_txLine, m_rxLine}) {
        l->setFont(mono);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        l->setMinimumWidth(100);
        // A new text must not re-lay out the panel (and the charts) every second.
        l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        l->setToolTip(tr("The latest second of telemetry (the same line `pacelab --headless` prints)"));
    }
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_grid, 1);
    layout->addWidget(m_txLine);
    layout->addWidget(m_rxLine);
}

void ChartsPanel::setQueueLimits(int capacity, int highWater)
{
    if (m_limitsSet)
        return;
    m_limitsSet = true;
    if (highWater > 0 && highWater < capacity)
        m_queue->setLimitLine(highWater, tr("high-water %1").arg(highWater), kOrange.darker(130));
    if (capacity > 0)
        m_queue->setLimitLine(capacity, tr("limit %1").arg(capacity), kRed);
}

void ChartsPanel::setReceiverAvailable(bool available, const QString &why)
{
    const QString text = available ? tr("waiting for data…") : why;
    m_buffered->setPlaceholderText(text);
    m_underruns->setPlaceholderText(text);
    m_rxLine->setText(available ? tr("[RX] waiting for the emulator…") : QStringLiteral("[RX] ") + why);
}

void ChartsPanel::setSenderAvailable(bool available, const QString &why)
{
    const QString text = available ? tr("waiting for data…") : why;
    m_queue->setPlaceholderText(text);
    m_drops->setPlaceholderText(text);
    m_lateness->setPlaceholderText(text);
    m_txLine->setText(available ? tr("[TX] waiting for the first second of telemetry…") : QStringLiteral("[TX] ") + why);
}

void ChartsPanel::clear()
{
    for (TimeSeriesPlot *p : m_plots)
        p->clear();
    m_clock.restart();
}

void ChartsPanel::addTx(const TelemetrySnapshot &s)
{
    addTxAt(now(), s);
}

void ChartsPanel::addRx(const PerSecondRx &rx)
{
    addRxAt(now(), rx);
}

void ChartsPanel::addTxAt(double t, const TelemetrySnapshot &s)
{
    m_fps->appendPoint(FpsTx, t, s.framesSent);
    m_queue->appendPoint(QueueNow, t, s.queueDepth);
    m_queue->appendPoint(QueueMax, t, s.queueMax);
    m_drops->appendPoint(DropsSec, t, s.drops);
    m_lateness->appendPoint(LateP99, t, s.latenessP99Us / 1000.0);
    m_lateness->appendPoint(LateP50, t, s.latenessP50Us / 1000.0);
    if (!m_paused)
        m_txLine->setText(s.toLine());
}

void ChartsPanel::addRxAt(double t, const PerSecondRx &rx)
{
    m_fps->appendPoint(FpsRx, t, rx.fps);
    m_buffered->appendPoint(Buffered, t, rx.bufferedSec);
    m_underruns->appendPoint(Underruns, t, rx.underrunsInSecond);
    m_underruns->appendPoint(Bursts, t, rx.burstsInSecond);
    if (!m_paused)
        m_rxLine->setText(rx.toLine());
}

void ChartsPanel::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    for (TimeSeriesPlot *p : m_plots)
        p->setPaused(paused);
    Q_EMIT pausedChanged(paused);
}

bool ChartsPanel::exportPng(const QString &path, QString *error)
{
    const QPixmap pix = m_grid->grab();
    if (pix.isNull() || !pix.save(path, "PNG")) {
        *error = tr("Could not write the PNG file %1").arg(path);
        return false;
    }
    return true;
}

QString ChartsPanel::csv() const
{
    // Long format: one row per point, so series with different sampling stay exact.
    QString out = QStringLiteral("chart,series,time_s,value\n");
    QTextStream ts(&out);
    for (TimeSeriesPlot *p : m_plots) {
        const QStringList names = p->seriesNames();
        for (int i = 0; i < names.size(); ++i)
            for (const QPointF &pt : p->seriesPoints(i))
                ts << '"' << p->title() << "\",\"" << names[i] << "\"," << QString::number(pt.x(), 'f', 3)
                   << ',' << QString::number(pt.y(), 'g', 10) << '\n';
    }
    ts.flush();
    return out;
}

bool ChartsPanel::exportCsv(const QString &path, QString *error) const
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        *error = tr("Could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    const QByteArray data = csv().toUtf8();
    if (f.write(data) != data.size()) {
        *error = tr("Could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

QString ChartsPanel::statusLine() const
{
    return m_txLine->text();
}

int ChartsPanel::pointCount() const
{
    int n = 0;
    for (TimeSeriesPlot *p : m_plots)
        for (int i = 0; i < p->seriesNames().size(); ++i)
            n += p->seriesPoints(i).size();
    return n;
}

} // namespace pacelab::ui
