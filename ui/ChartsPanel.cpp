#include "ChartsPanel.h"

#include "TimeSeriesPlot.h"

#include <QFile>
#include <QFontDatabase>
#include <QGridLayout>
#include <QLabel>
#include <QResizeEvent>
#include <QTabBar>
#include <QTabWidget>
#include <QTextStream>
#include <QVBoxLayout>

#include <cmath>

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

// The least a chart needs to stay readable (axis labels, a plot, a two-line legend).
constexpr int kMinCellW = 250;
constexpr int kMinCellH = 150;
} // namespace

ChartsPanel::ChartsPanel(QWidget *parent)
    : QWidget(parent)
{
    m_clock.start();
    m_grid = new QWidget(this);
    m_tabs = new QTabWidget(m_grid);
    m_tabs->setObjectName(QStringLiteral("chartPages"));
    m_tabs->setDocumentMode(true);
    m_tabs->setMinimumSize(kMinCellW, kMinCellH); // the pages adapt: never forces the window wider
    auto *gridLayout = new QVBoxLayout(m_grid);
    gridLayout->setContentsMargins(0, 0, 0, 0);
    gridLayout->addWidget(m_tabs);

    // Legends stay short (they must fit a 250 px chart); the tooltip says the rest.
    auto make = [this](const QString &title, const QString &shortName, const QString &unit, double lo, double hi) {
        TimeSeriesPlot *p = TimeSeriesPlot::create(m_grid);
        p->setTitle(title, unit);
        p->setWindowSeconds(60);
        p->setBaseRange(lo, hi);
        p->hide();
        m_plots << p;
        m_shortNames << shortName;
        return p;
    };
    m_fps = make(tr("Frames per second"), tr("fps"), tr("frames/s"), 0, 60);
    m_fps->addSeries(tr("sent"), kBlue);
    m_fps->addSeries(tr("at Twilio"), kGreen);
    m_fps->setLimitLine(50, tr("50 fps"), kGrey);
    m_fps->setToolTip(tr("Frames per second sent by the sender (blue) and arriving at the emulator, i.e. at Twilio (green). 50 = real time."));

    m_queue = make(tr("Tx queue depth"), tr("queue"), tr("frames"), 0, 130);
    m_queue->addSeries(tr("now"), kBlue);
    m_queue->addSeries(tr("max/s"), kOrange);
    m_queue->setToolTip(tr("Frames waiting in PaceLab's tx queue: now, and the most in each second. Dashed: high-water mark and capacity."));

    m_drops = make(tr("Dropped frames"), tr("drops"), tr("frames/s"), 0, 10);
    m_drops->addSeries(tr("dropped"), kVermillion);
    m_drops->setToolTip(tr("Frames the queue dropped (oldest first) because a producer outran it."));

    m_lateness = make(tr("Send lateness"), tr("lateness"), tr("ms"), 0, 2);
    m_lateness->addSeries(tr("p99"), kPurple);
    m_lateness->addSeries(tr("p50"), kBlue);
    m_lateness->setToolTip(tr("How late each frame left against its 20 ms deadline: 99th and 50th percentile per second."));

    m_buffered = make(tr("Buffered at Twilio"), tr("buffer"), tr("s"), 0, 1);
    m_buffered->addSeries(tr("buffered"), kGreen);
    m_buffered->setLimitLine(0.5, tr("0.5 s limit"), kRed);
    m_buffered->setToolTip(tr("Seconds of audio Twilio holds and will still play: speech a barge-in cannot stop. Above 0.5 s is a bad bot."));

    m_underruns = make(tr("Underruns and bursts"), tr("underruns"), tr("per second"), 0, 5);
    m_underruns->addSeries(tr("underruns"), kVermillion);
    m_underruns->addSeries(tr("bursts"), kOrange);
    m_underruns->setToolTip(tr("Underruns: Twilio ran out of audio (choppy). Bursts: frames arriving much faster than 20 ms apart."));

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
    relayout(true);
}

void ChartsPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    relayout();
}

int ChartsPanel::pageCount() const
{
    return m_tabs->count();
}

void ChartsPanel::relayout(bool force)
{
    QList<int> visible;
    for (int i = 0; i < m_plots.size(); ++i) {
        TimeSeriesPlot *p = m_plots[i];
        const bool sender = p == m_queue || p == m_drops || p == m_lateness;
        const bool receiver = p == m_buffered || p == m_underruns;
        if ((sender && !m_senderVisible) || (receiver && !m_receiverVisible))
            continue;
        visible << i;
    }
    const int n = int(visible.size());
    const int w = std::max(1, m_grid->width());
    const int h = std::max(1, m_grid->height());
    const int tabBarH = m_tabs->tabBar()->sizeHint().height();
    // All charts at once if they fit (widest arrangement first: 3x2 before 2x3, one column
    // last); else as many per page as fit, pages behind tabs.
    int cols = 1, rows = n, perPage = n;
    bool found = false;
    for (int c = std::min(3, n); c >= 1 && !found; --c) {
        const int r = (n + c - 1) / c;
        if (w / c >= kMinCellW && h / r >= kMinCellH) {
            cols = c;
            rows = r;
            perPage = n;
            found = true;
        }
    }
    if (!found) {
        const int ph = h - tabBarH;
        cols = std::clamp(w / kMinCellW, 1, 3);
        rows = std::max(1, ph / kMinCellH);
        perPage = std::clamp(cols * rows, 1, std::max(1, n - 1));
        cols = std::min(cols, perPage);
        rows = (perPage + cols - 1) / cols;
    }
    if (!force && cols == m_cols && rows == m_rows && perPage == m_perPage && m_tabs->count() == (n + perPage - 1) / std::max(1, perPage))
        return;
    m_cols = cols;
    m_rows = rows;
    m_perPage = perPage;

    const int current = m_tabs->currentIndex();
    for (TimeSeriesPlot *p : std::as_const(m_plots)) {
        p->hide();
        p->setParent(m_grid);
    }
    while (m_tabs->count() > 0)
        m_tabs->removeTab(0);
    qDeleteAll(m_pageWidgets);
    m_pageWidgets.clear();
    for (int start = 0; start < n; start += perPage) {
        auto *page = new QWidget;
        auto *grid = new QGridLayout(page);
        grid->setContentsMargins(0, 0, 0, 0);
        grid->setSpacing(4);
        QStringList names;
        for (int k = 0; k < perPage && start + k < n; ++k) {
            const int idx = visible[start + k];
            grid->addWidget(m_plots[idx], k / cols, k % cols);
            m_plots[idx]->show();
            names << m_shortNames[idx];
        }
        for (int c = 0; c < cols; ++c)
            grid->setColumnStretch(c, 1);
        for (int r = 0; r < rows; ++r)
            grid->setRowStretch(r, 1);
        m_pageWidgets << page;
        m_tabs->addTab(page, names.join(QStringLiteral(" · ")));
    }
    m_tabs->tabBar()->setVisible(m_tabs->count() > 1);
    if (current >= 0 && current < m_tabs->count())
        m_tabs->setCurrentIndex(current);
}

QStringList ChartsPanel::clippedTexts() const
{
    QStringList out;
    for (TimeSeriesPlot *p : m_plots)
        if (p->isVisibleTo(m_grid) && p->isVisible())
            out << p->clippedTexts();
    return out;
}

void ChartsPanel::setProvider(const QString &peer, int frameMs)
{
    frameMs = std::max(1, frameMs);
    const double realTime = 1000.0 / frameMs;
    const QString fps = QString::number(realTime, 'g', 3);
    m_fps->setSeriesName(1, tr("at %1").arg(peer));
    m_fps->removeLimitLines();
    m_fps->setLimitLine(realTime, tr("%1 fps").arg(fps), kGrey);
    m_fps->setBaseRange(0, std::ceil(realTime * 1.2));
    m_fps->setToolTip(tr("Frames per second sent by the sender (blue) and arriving at the emulator, i.e. at %1 (green). "
                         "%2 = real time (%3 ms frames).").arg(peer, fps).arg(frameMs));
    m_lateness->setToolTip(tr("How late each frame left against its %1 ms deadline: 99th and 50th percentile per second.").arg(frameMs));
    m_buffered->setTitle(tr("Buffered at %1").arg(peer), tr("s"));
    m_buffered->setToolTip(tr("Seconds of audio %1 holds and will still play: speech a barge-in cannot stop. Above 0.5 s is a bad bot.").arg(peer));
    m_underruns->setToolTip(tr("Underruns: %1 ran out of audio (choppy). Bursts: frames arriving much faster than %2 ms apart.")
                                .arg(peer).arg(frameMs));
}

void ChartsPanel::setQueueLimits(int capacity, int highWater)
{
    // Another provider may bring other limits (frames of another duration): the lines follow.
    if (m_limitsSet && capacity == m_capacity && highWater == m_highWater)
        return;
    if (m_limitsSet)
        m_queue->removeLimitLines();
    m_limitsSet = true;
    m_capacity = capacity;
    m_highWater = highWater;
    if (highWater > 0 && highWater < capacity)
        m_queue->setLimitLine(highWater, tr("high %1").arg(highWater), kOrange.darker(130));
    if (capacity > 0)
        m_queue->setLimitLine(capacity, tr("cap %1").arg(capacity), kRed);
}

void ChartsPanel::setReceiverAvailable(bool available, const QString &why)
{
    const QString text = available ? tr("waiting for data…") : why;
    m_buffered->setPlaceholderText(text);
    m_underruns->setPlaceholderText(text);
    if (m_receiverVisible != available) {
        m_receiverVisible = available;
        relayout(true);
    }
    m_rxLine->setText(available ? tr("[RX] waiting for the emulator…") : QStringLiteral("[RX] ") + why);
}

void ChartsPanel::setSenderAvailable(bool available, const QString &why)
{
    const QString text = available ? tr("waiting for data…") : why;
    m_queue->setPlaceholderText(text);
    m_drops->setPlaceholderText(text);
    m_lateness->setPlaceholderText(text);
    if (m_senderVisible != available) {
        m_senderVisible = available;
        relayout(true);
    }
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
    if (!m_paused) {
        m_txLine->setText(s.toLine());
        m_txLine->setToolTip(s.toLine()); // the whole line when the panel is narrower than it
    }
}

void ChartsPanel::addRxAt(double t, const PerSecondRx &rx)
{
    m_fps->appendPoint(FpsRx, t, rx.fps);
    m_buffered->appendPoint(Buffered, t, rx.bufferedSec);
    m_underruns->appendPoint(Underruns, t, rx.underrunsInSecond);
    m_underruns->appendPoint(Bursts, t, rx.burstsInSecond);
    if (!m_paused) {
        m_rxLine->setText(rx.toLine());
        m_rxLine->setToolTip(rx.toLine());
    }
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
