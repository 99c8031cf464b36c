#include "ReplayTab.h"

#include "TimeSeriesPlot.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <atomic>

namespace pacelab::ui {

namespace {
const QColor kBlue(0, 114, 178);
const QColor kGreen(0, 158, 115);
const QColor kGrey(110, 110, 110);
const QColor kRed(200, 30, 30);

QString sourceName(replay::LoadedCall::Source s)
{
    switch (s) {
    case replay::LoadedCall::Source::Capture: return QStringLiteral("PaceLab capture");
    case replay::LoadedCall::Source::TwilioDump: return QStringLiteral("Twilio-style dump");
    case replay::LoadedCall::Source::Wav: return QStringLiteral("WAV");
    case replay::LoadedCall::Source::Pcap: return QStringLiteral("pcap (tshark)");
    }
    return {};
}

QString num(double v, int decimals)
{
    return QString::number(v, 'f', decimals);
}
} // namespace

// Shared by the worker thread and the tab. The worker writes the result, the tab reads it once
// the thread has finished.
struct ReplayTab::Job
{
    QString path;
    std::atomic<qint64> done{0};
    std::atomic<qint64> total{-1};
    replay::LoadResult load;
    replay::Analysis analysis;

    void run()
    {
        replay::LoadOptions lo;
        lo.progress = [this](qint64 d, qint64 t) {
            done = d;
            total = t;
        };
        load = replay::loadCall(path, lo);
        if (load.ok)
            analysis = replay::analyze(load.call);
    }
};

ReplayTab::ReplayTab(QWidget *parent)
    : QWidget(parent)
{
    m_open = new QPushButton(tr("Open capture…"));
    m_open->setObjectName(QStringLiteral("replayOpen"));
    m_open->setToolTip(tr("A PaceLab capture (.jsonl), a Twilio-style JSON Lines dump of media events, a pcap/pcapng of the "
                         "WebSocket traffic (read with tshark; the first stream), or a WAV (two channels: caller, bot)"));
    m_status = new QLabel(tr("Open a recorded call to analyse its outbound pacing as the emulator would have seen it live."));
    m_status->setObjectName(QStringLiteral("replayStatus"));
    m_status->setWordWrap(true);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_open);
    bar->addWidget(m_status, 1);

    m_result = new QTextBrowser;
    m_result->setObjectName(QStringLiteral("replayResult"));
    m_result->setOpenLinks(false);
    m_result->setPlaceholderText(tr("The analysis appears here."));

    const QString waiting = tr("no call loaded");
    m_fpsPlot = TimeSeriesPlot::create();
    m_fpsPlot->setTitle(tr("Frames per second (arrivals)"), tr("fps"));
    m_fpsPlot->setBaseRange(0, 60);
    m_fpsPlot->setWindowSeconds(60);
    m_fpsPlot->addSeries(tr("received"), kBlue);
    m_fpsPlot->setLimitLine(50, tr("50 fps"), kGrey);
    m_fpsPlot->setPlaceholderText(waiting);
    m_bufferedPlot = TimeSeriesPlot::create();
    m_bufferedPlot->setTitle(tr("Buffered audio at Twilio"), tr("s"));
    m_bufferedPlot->setBaseRange(0, 0.6);
    m_bufferedPlot->setWindowSeconds(60);
    m_bufferedPlot->addSeries(tr("buffered audio"), kGreen);
    m_bufferedPlot->setLimitLine(0.5, tr("0.5 s limit"), kRed);
    m_bufferedPlot->setPlaceholderText(waiting);

    auto *plots = new QWidget;
    auto *plotLayout = new QVBoxLayout(plots);
    plotLayout->setContentsMargins(0, 0, 0, 0);
    plotLayout->addWidget(m_fpsPlot);
    plotLayout->addWidget(m_bufferedPlot);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_result);
    split->addWidget(plots);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({700, 500});

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(split, 1);

    m_progressTimer = new QTimer(this);
    m_progressTimer->setInterval(250);
    connect(m_progressTimer, &QTimer::timeout, this, &ReplayTab::updateProgress);
    connect(m_open, &QPushButton::clicked, this, &ReplayTab::chooseFile);
    m_lastDir = QDir::homePath();
}

ReplayTab::~ReplayTab()
{
    // loadCall has no cancel hook; its memory and record limits keep the wait bounded.
    if (m_thread) {
        m_thread->wait();
        delete m_thread; // no parent; its queued finished() dies with this tab
    }
}

void ReplayTab::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a recorded call"), m_lastDir,
                                                      tr("Recorded calls (*.jsonl *.json *.log *.txt *.wav *.pcap *.pcapng *.cap);;All files (*)"));
    if (path.isEmpty())
        return;
    m_lastDir = QFileInfo(path).absolutePath();
    openFile(path);
}

bool ReplayTab::openFile(const QString &path)
{
    if (isBusy())
        return false;
    m_job = std::make_shared<Job>();
    m_job->path = path;
    std::shared_ptr<Job> job = m_job;
    m_thread = QThread::create([job] { job->run(); });
    m_thread->setObjectName(QStringLiteral("replay-analyze"));
    connect(m_thread, &QThread::finished, this, &ReplayTab::onJobDone);
    m_open->setEnabled(false);
    m_progressTimer->start();
    updateProgress();
    m_thread->start();
    return true;
}

void ReplayTab::updateProgress()
{
    if (!m_job)
        return;
    const QLocale loc;
    const qint64 total = m_job->total.load();
    m_status->setText(tr("Reading %1: %2%3…")
                          .arg(QFileInfo(m_job->path).fileName(), loc.formattedDataSize(m_job->done.load()),
                               total > 0 ? tr(" of %1").arg(loc.formattedDataSize(total)) : QString()));
}

void ReplayTab::onJobDone()
{
    m_thread->wait();
    m_thread->deleteLater();
    m_thread = nullptr;
    m_progressTimer->stop();
    m_open->setEnabled(true);
    const std::shared_ptr<Job> job = std::move(m_job);
    const QString file = QDir::toNativeSeparators(job->path);

    m_fpsPlot->clear();
    m_bufferedPlot->clear();
    QString h;
    if (!job->load.ok) {
        m_lastOk = false;
        m_lastError = job->load.error;
        h = QStringLiteral("<p style='color:#555'>%1</p><p style='color:#c0262d; font-weight:bold'>%2</p><p>%3</p>")
                .arg(file.toHtmlEscaped(), tr("Cannot replay this file").toHtmlEscaped(), job->load.error.toHtmlEscaped());
        m_status->setText(tr("Cannot replay %1: %2").arg(QFileInfo(job->path).fileName(), job->load.error));
        for (TimeSeriesPlot *p : {m_fpsPlot, m_bufferedPlot})
            p->setPlaceholderText(tr("nothing to plot"));
        m_result->setHtml(h);
        Q_EMIT resultShown();
        return;
    }
    m_lastOk = true;
    m_lastError.clear();
    const replay::LoadedCall &call = job->load.call;
    const replay::Analysis &a = job->analysis;

    QString what = sourceName(call.source);
    if (call.hasTiming())
        what += tr(": %1 outbound / %2 inbound message(s), %3 s out / %4 s in")
                    .arg(call.outMessages)
                    .arg(call.inMessages)
                    .arg(num(call.outAudioSec(), 2), num(call.inAudioSec(), 2));
    else
        what += tr(": %1 s, %2 Hz x%3 (no message timing to analyse)")
                    .arg(num(call.wavPcm.durationSec(), 2))
                    .arg(call.wavPcm.sampleRate)
                    .arg(call.wavPcm.channels);
    h += QStringLiteral("<p style='color:#555'>%1<br/>%2</p>").arg(file.toHtmlEscaped(), what.toHtmlEscaped());

    // Verdicts first ("problem: ...", "warning: ...", "ok: ..."), coloured by their prefix.
    h += QStringLiteral("<h3>%1</h3><ul>").arg(tr("Verdicts"));
    for (const QString &v : a.verdicts) {
        const QString color = v.startsWith(QLatin1String("problem")) ? QStringLiteral("#c0262d")
            : v.startsWith(QLatin1String("warning"))                 ? QStringLiteral("#b36b00")
            : v.startsWith(QLatin1String("ok"))                      ? QStringLiteral("#1b7f3b")
                                                                     : QStringLiteral("#333");
        h += QStringLiteral("<li style='color:%1'>%2</li>").arg(color, v.toHtmlEscaped());
    }
    h += QStringLiteral("</ul>");
    for (const capture::ReadError &e : call.errors.mid(0, 5))
        h += QStringLiteral("<p style='color:#b36b00'>%1 %2</p>").arg(tr("Warning:"), e.message.toHtmlEscaped());
    if (call.errorCount > 5)
        h += QStringLiteral("<p style='color:#b36b00'>%1</p>").arg(tr("… %1 problem line(s) in all.").arg(call.errorCount));

    // The summary as core words it (the verdicts are its last lines: shown above).
    QString summary = a.toText();
    for (const QString &v : a.verdicts)
        summary.remove(v + QLatin1Char('\n'));
    h += QStringLiteral("<h3>%1</h3><pre style='white-space:pre-wrap'>%2</pre>")
             .arg(tr("Summary"), summary.trimmed().toHtmlEscaped());
    m_result->setHtml(h);

    plotAnalysis(a);
    m_status->setText(a.problems ? tr("%1: problems found.").arg(QFileInfo(job->path).fileName())
                                 : tr("%1: no problem found.").arg(QFileInfo(job->path).fileName()));
    Q_EMIT resultShown();
}

void ReplayTab::plotAnalysis(const replay::Analysis &a)
{
    if (a.perSecond.isEmpty()) {
        for (TimeSeriesPlot *p : {m_fpsPlot, m_bufferedPlot})
            p->setPlaceholderText(tr("no per-second data in this call"));
        return;
    }
    // x = second of the call; the plots keep 1200 points, so longer calls show their end.
    for (const PerSecondRx &s : a.perSecond) {
        m_fpsPlot->appendPoint(0, s.second, s.fps);
        m_bufferedPlot->appendPoint(0, s.second, s.bufferedSec);
    }
    const double span = std::clamp(double(a.perSecond.last().second - a.perSecond.first().second), 6.0, 1199.0);
    m_fpsPlot->setWindowSeconds(span);
    m_bufferedPlot->setWindowSeconds(span);
}

} // namespace pacelab::ui
