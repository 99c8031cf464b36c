#include "DoctorTab.h"

#include "TimeSeriesPlot.h"

#include "doctor/Follower.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTextBrowser>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <atomic>
#include <climits>

namespace pacelab::ui {

namespace {
const QColor kBlue(0, 114, 178);
const QColor kOrange(230, 159, 0);
const QColor kVermillion(213, 94, 0);
const QColor kGrey(110, 110, 110);

// The plot keeps 1200 points per series; the doctor decimates the whole input below that.
constexpr int kPlotPoints = 1000;

doctor::Limits tabLimits()
{
    doctor::Limits l;
    l.maxPlotPoints = kPlotPoints;
    return l;
}

QString num(double v)
{
    return QString::number(v, 'g', 6);
}

QString severityColor(doctor::Severity s)
{
    switch (s) {
    case doctor::Severity::Ok: return QStringLiteral("#1b7f3b");
    case doctor::Severity::Info: return QStringLiteral("#2a6fb0");
    case doctor::Severity::Warning: return QStringLiteral("#b36b00");
    case doctor::Severity::Problem: return QStringLiteral("#c0262d");
    }
    return QStringLiteral("#333");
}

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

// The doctor's messages are written for the command line; the tab is not "pacelab doctor".
QString withoutCliPrefix(QString text)
{
    text.replace(QStringLiteral("pacelab doctor: "), QString());
    return text.trimmed();
}

QString reportHtml(const doctor::Report &r, const QString &source)
{
    QString h;
    h += QStringLiteral("<p style='color:#555; white-space:pre-wrap'>%1</p>").arg(esc(source));
    if (!r.inputOk || !r.hasMetrics()) {
        h += QStringLiteral("<p style='color:#c0262d; font-weight:bold'>%1</p>")
                 .arg(r.inputOk ? QObject::tr("No metric lines found") : QObject::tr("Unusable input"));
        h += QStringLiteral("<p style='white-space:pre-wrap'>%1</p>").arg(esc(withoutCliPrefix(r.toText())));
        return h;
    }
    h += QStringLiteral("<p>%1 metric line(s) out of %2 (other lines ignored). fps min/mean/max "
                        "<b>%3 / %4 / %5</b>")
             .arg(r.metricLines)
             .arg(r.totalLines)
             .arg(num(r.fpsMin), QString::number(r.fpsMean, 'f', 1), num(r.fpsMax));
    if (r.qMax >= 0)
        h += QStringLiteral(", q max <b>%1</b>").arg(num(r.qMax));
    h += QStringLiteral(", drops total <b>%1</b>.</p>").arg(num(r.dropsTotal));
    if (!r.warning.isEmpty())
        h += QStringLiteral("<p style='color:#b36b00'>Note: %1</p>").arg(esc(r.warning));

    for (const doctor::Diagnosis &d : r.diagnoses) {
        const QString color = severityColor(d.severity);
        h += QStringLiteral("<hr/><h3 style='margin-bottom:2px'><span style='color:%1'>%2</span> %3")
                 .arg(color, esc(doctor::severityName(d.severity).toUpper()), esc(d.title));
        if (d.seconds > 0)
            h += QStringLiteral(" <span style='color:#777; font-weight:normal'>(%1 s)</span>").arg(d.seconds);
        h += QStringLiteral("</h3>");
        h += QStringLiteral("<p style='color:#777; margin-top:0'>kind: %1</p>").arg(esc(doctor::kindName(d.kind)));
        if (!d.detail.isEmpty())
            h += QStringLiteral("<p><b>Seen:</b> %1</p>").arg(esc(d.detail));
        if (!d.stream.isEmpty() && r.streams.size() > 1)
            h += QStringLiteral("<p><b>Stream:</b> %1</p>").arg(esc(d.stream));
        if (!d.cause.isEmpty())
            h += QStringLiteral("<p><b>Likely cause:</b> %1</p>").arg(esc(d.cause));
        if (d.candidates.size() > 1) {
            h += QStringLiteral("<p><b>Causes that fit, most likely first:</b></p><ol>");
            for (const doctor::Candidate &c : d.candidates)
                h += QStringLiteral("<li>%1 <span style='color:#777'>(%2)</span></li>").arg(esc(c.cause), esc(c.why));
            h += QStringLiteral("</ol>");
        }
        if (!d.tellApart.isEmpty())
            h += QStringLiteral("<p><b>To tell them apart:</b> %1</p>").arg(esc(d.tellApart));
        if (!d.fix.isEmpty())
            h += QStringLiteral("<p><b>Fix:</b> %1</p>").arg(esc(d.fix));
        if (!d.evidence.isEmpty()) {
            h += QStringLiteral("<p><b>Evidence:</b></p><table cellspacing='0' cellpadding='1' "
                                "style='font-family:monospace; margin-left:12px'>");
            for (const doctor::Evidence &e : d.evidence)
                h += QStringLiteral("<tr><td align='right' style='color:#777; padding-right:8px'>%1</td>"
                                    "<td>%2</td></tr>")
                         .arg(e.lineNo)
                         .arg(esc(e.text));
            h += QStringLiteral("</table>");
        }
    }
    return h;
}
} // namespace

// Shared by the worker thread and the tab: the tab may go away first (cancel, then wait).
struct DoctorTab::FileJob
{
    QString path;
    qint64 size = 0;
    std::atomic<bool> cancel{false};
    std::atomic<qint64> bytesRead{0};
    doctor::Report report; // written by the worker, read after it finished

    void run()
    {
        // Core streams the file (bounded memory), reports progress and honours the cancel flag.
        report = doctor::LogDoctor::analyzeFile(path, tabLimits(), [this](qint64 n) { bytesRead = n; }, &cancel);
        bytesRead = std::max(bytesRead.load(), report.bytesRead);
    }
};

DoctorTab::DoctorTab(QWidget *parent)
    : QWidget(parent)
{
    m_load = new QPushButton(tr("Load file…"));
    m_load->setObjectName(QStringLiteral("doctorLoad"));
    m_load->setToolTip(tr("Diagnose a log file (read in chunks: any size)"));
    m_diagnose = new QPushButton(tr("Diagnose"));
    m_diagnose->setObjectName(QStringLiteral("doctorDiagnose"));
    m_diagnose->setToolTip(tr("Diagnose the pasted lines (Ctrl+Return)"));
    m_diagnose->setDefault(true);
    m_follow = new QPushButton(tr("Follow file…"));
    m_follow->setObjectName(QStringLiteral("doctorFollow"));
    m_follow->setToolTip(tr("Diagnose a log file as lines are appended to it (like tail -f)"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setVisible(false);
    m_status = new QLabel(tr("Paste log lines with the per-second sender metrics, or load a log file."));
    m_status->setObjectName(QStringLiteral("doctorStatus"));
    m_status->setWordWrap(true);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_load);
    bar->addWidget(m_diagnose);
    bar->addWidget(m_follow);
    bar->addWidget(m_cancel);
    bar->addWidget(m_status, 1);

    m_paste = new QPlainTextEdit;
    m_paste->setObjectName(QStringLiteral("doctorPaste"));
    m_paste->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_paste->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_paste->setPlaceholderText(tr("Paste log lines here, e.g.\n"
                                   "2026-11-25T12:00:01Z INFO [TX] fps=50 q=6 drops=0\n"
                                   "fps: 50, q: 6, drops: 0\n"
                                   "{\"frames_sent_last_sec\":50,\"tx_q_size\":6,\"drops_last_sec\":0}\n"
                                   "Other lines are ignored."));

    m_result = new QTextBrowser;
    m_result->setObjectName(QStringLiteral("doctorResult"));
    m_result->setOpenLinks(false);
    m_result->setPlaceholderText(tr("The diagnosis appears here."));

    auto makePlot = [](const QString &title, const QString &unit, double hi, const QString &waiting) {
        TimeSeriesPlot *p = TimeSeriesPlot::create();
        p->setTitle(title, unit);
        p->setBaseRange(0, hi);
        p->setWindowSeconds(60);
        p->setPlaceholderText(waiting);
        return p;
    };
    const QString waiting = tr("no series yet: diagnose some lines");
    m_fpsPlot = makePlot(tr("Frames per second"), tr("fps"), 60, waiting);
    m_fpsPlot->addSeries(tr("fps"), kBlue);
    m_fpsPlot->setLimitLine(50, tr("50 fps"), kGrey);
    m_queuePlot = makePlot(tr("Tx queue depth"), tr("frames"), 10, waiting);
    m_queuePlot->addSeries(tr("q"), kOrange);
    m_dropsPlot = makePlot(tr("Dropped frames"), tr("frames/s"), 5, waiting);
    m_dropsPlot->addSeries(tr("drops"), kVermillion);

    auto *plots = new QWidget;
    auto *plotLayout = new QVBoxLayout(plots);
    plotLayout->setContentsMargins(0, 0, 0, 0);
    plotLayout->addWidget(m_fpsPlot);
    plotLayout->addWidget(m_queuePlot);
    plotLayout->addWidget(m_dropsPlot);

    auto *textSplit = new QSplitter(Qt::Vertical);
    textSplit->addWidget(m_paste);
    textSplit->addWidget(m_result);
    textSplit->setStretchFactor(0, 2);
    textSplit->setStretchFactor(1, 3);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(textSplit);
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
    connect(m_progressTimer, &QTimer::timeout, this, &DoctorTab::updateProgress);

    connect(m_diagnose, &QPushButton::clicked, this, &DoctorTab::diagnose);
    connect(m_load, &QPushButton::clicked, this, &DoctorTab::chooseFile);
    connect(m_cancel, &QPushButton::clicked, this, &DoctorTab::cancelLoad);
    connect(m_follow, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Follow a log file"), m_lastDir,
                                                          tr("Logs (*.log *.txt *.jsonl *.json);;All files (*)"));
        if (path.isEmpty())
            return;
        m_lastDir = QFileInfo(path).absolutePath();
        followFile(path);
    });
    m_followTimer = new QTimer(this);
    m_followTimer->setInterval(500);
    connect(m_followTimer, &QTimer::timeout, this, &DoctorTab::pollFollowed);
    auto *shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), m_paste);
    shortcut->setContext(Qt::WidgetShortcut);
    connect(shortcut, &QShortcut::activated, this, &DoctorTab::diagnose);
    m_lastDir = QDir::homePath();
}

DoctorTab::~DoctorTab()
{
    if (m_thread) {
        m_job->cancel = true;
        m_thread->wait();
        delete m_thread; // no parent; its queued finished() dies with this tab
    }
}

void DoctorTab::diagnose()
{
    if (isBusy())
        return;
    const QString text = m_paste->toPlainText();
    if (text.trimmed().isEmpty()) {
        m_status->setText(tr("Nothing to diagnose: paste log lines first, or load a file."));
        return;
    }
    showReport(doctor::LogDoctor::analyzeText(text, tabLimits()),
               tr("Pasted text"));
}

void DoctorTab::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load a log file"), m_lastDir,
                                                      tr("Logs (*.log *.txt *.jsonl *.json);;All files (*)"));
    if (path.isEmpty())
        return;
    m_lastDir = QFileInfo(path).absolutePath();
    loadFile(path);
}

bool DoctorTab::loadFile(const QString &path)
{
    if (isBusy())
        return false;
    m_job = std::make_shared<FileJob>();
    m_job->path = path;
    m_job->size = QFileInfo(path).size();
    std::shared_ptr<FileJob> job = m_job;
    m_thread = QThread::create([job] { job->run(); });
    m_thread->setObjectName(QStringLiteral("logdoctor-file"));
    connect(m_thread, &QThread::finished, this, &DoctorTab::onFileJobDone);
    setBusy(true);
    updateProgress();
    m_thread->start();
    return true;
}

void DoctorTab::cancelLoad()
{
    if (m_job)
        m_job->cancel = true;
    stopFollowing();
}

bool DoctorTab::followFile(const QString &path)
{
    if (isBusy())
        return false;
    stopFollowing();
    const QFileInfo fi(path);
    if (!fi.exists() || fi.isDir()) {
        doctor::Report r;
        r.inputOk = false;
        r.error = fi.isDir() ? tr("%1 is a directory, not a log file.").arg(path) : tr("%1: no such file.").arg(path);
        showReport(r, tr("Following %1").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    m_followPath = path;
    m_followPos = 0;
    m_follower = std::make_unique<doctor::Follower>(tabLimits());
    m_verdicts.clear();
    m_cancel->setVisible(true);
    m_cancel->setText(tr("Stop following"));
    m_load->setEnabled(false);
    m_followTimer->start();
    pollFollowed();
    return true;
}

void DoctorTab::stopFollowing()
{
    if (!m_follower)
        return;
    m_followTimer->stop();
    m_follower.reset();
    m_cancel->setVisible(false);
    m_cancel->setText(tr("Cancel"));
    m_load->setEnabled(true);
}

// Reads what was appended since the last poll (small: a log grows by lines) and shows the
// report when the verdict changed, or new lines arrived.
void DoctorTab::pollFollowed()
{
    if (!m_follower)
        return;
    QFile f(m_followPath);
    if (!f.open(QIODevice::ReadOnly)) {
        m_status->setText(tr("Cannot read %1: %2").arg(m_followPath, f.errorString()));
        return;
    }
    if (f.size() < m_followPos) { // truncated or rotated: start again
        m_follower = std::make_unique<doctor::Follower>(tabLimits());
        m_followPos = 0;
        m_verdicts << tr("(file truncated: read again from the start)");
    }
    f.seek(m_followPos);
    const QByteArray data = f.read(4 * 1024 * 1024);
    if (data.isEmpty() && m_hasReport)
        return;
    m_followPos += data.size();
    m_follower->addData(data);
    for (const doctor::Verdict &v : m_follower->takeChanges())
        m_verdicts << v.toLine();
    const QString source = tr("Following %1 — verdict changes:\n%2")
                               .arg(QDir::toNativeSeparators(m_followPath), m_verdicts.join(QLatin1Char('\n')));
    showReport(m_follower->report(), source);
}

void DoctorTab::onFileJobDone()
{
    m_thread->wait();
    m_thread->deleteLater();
    m_thread = nullptr;
    const std::shared_ptr<FileJob> job = std::move(m_job);
    setBusy(false);
    const QString size = QLocale().formattedDataSize(job->bytesRead.load());
    showReport(job->report, tr("File %1 (%2 read)").arg(QDir::toNativeSeparators(job->path), size));
}

void DoctorTab::updateProgress()
{
    if (!m_job)
        return;
    const QLocale loc;
    m_status->setText(tr("Reading %1: %2 of %3…")
                          .arg(QFileInfo(m_job->path).fileName(),
                               loc.formattedDataSize(m_job->bytesRead.load()),
                               loc.formattedDataSize(m_job->size)));
}

void DoctorTab::setBusy(bool busy)
{
    m_load->setEnabled(!busy);
    m_diagnose->setEnabled(!busy);
    m_cancel->setVisible(busy);
    if (busy)
        m_progressTimer->start();
    else
        m_progressTimer->stop();
}

void DoctorTab::showReport(const doctor::Report &report, const QString &source)
{
    m_report = report;
    m_hasReport = true;
    m_result->setHtml(reportHtml(report, source));
    if (!report.inputOk)
        m_status->setText(tr("Unusable input: %1").arg(report.error));
    else if (!report.hasMetrics())
        m_status->setText(tr("No metric lines found in %n line(s).", nullptr, int(std::min<qint64>(report.totalLines, INT_MAX))));
    else if (!report.diagnoses.isEmpty())
        m_status->setText(tr("%1 — %2 metric line(s).").arg(report.diagnoses.first().title).arg(report.metricLines));
    else
        m_status->setText(tr("%1 metric line(s).").arg(report.metricLines));
    plotReport(report);
    Q_EMIT reportShown();
}

void DoctorTab::plotReport(const doctor::Report &report)
{
    m_fpsPlot->clear();
    m_queuePlot->clear();
    m_dropsPlot->clear();
    if (!report.inputOk || report.plot.isEmpty()) {
        const QString why = report.inputOk ? tr("no metric lines in the input") : tr("unusable input");
        for (TimeSeriesPlot *p : {m_fpsPlot, m_queuePlot, m_dropsPlot})
            p->setPlaceholderText(why);
        return;
    }
    // x = metric line index: one line per second of the sender's life (the last line at 0).
    const double stride = std::max(1, report.plotStride);
    bool anyQ = false, anyDrops = false;
    for (int i = 0; i < report.plot.size(); ++i) {
        const doctor::PlotPoint &p = report.plot.at(i);
        const double t = i * stride;
        m_fpsPlot->appendPoint(0, t, p.fps);
        if (p.q >= 0) {
            m_queuePlot->appendPoint(0, t, p.q);
            anyQ = true;
        }
        if (p.drops >= 0) {
            m_dropsPlot->appendPoint(0, t, p.drops);
            anyDrops = true;
        }
    }
    const double span = std::max(10.0, (report.plot.size() - 1) * stride);
    for (TimeSeriesPlot *p : {m_fpsPlot, m_queuePlot, m_dropsPlot})
        p->setWindowSeconds(span);
    m_queuePlot->setPlaceholderText(anyQ ? QString() : tr("q is not in these lines"));
    m_dropsPlot->setPlaceholderText(anyDrops ? QString() : tr("drops are not in these lines"));
}

} // namespace pacelab::ui
