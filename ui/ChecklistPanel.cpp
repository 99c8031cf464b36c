#include "ChecklistPanel.h"

#include "check/Reports.h"
#include "check/ScenarioRunner.h"
#include "check/SpeechSynth.h"
#include "tts/EspeakTts.h"

#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace pacelab::ui {

namespace {
// The result comes right after the name so PASS/FAIL stays visible however narrow the table.
enum Column { ColName, ColResult, ColProgress, ColNumbers, ColWhat, ColCount };

QIcon verdictIcon(const QString &v)
{
    if (v == QLatin1String("PASS"))
        return QIcon(QStringLiteral(":/icons/pass.svg"));
    if (v == QLatin1String("FAIL"))
        return QIcon(QStringLiteral(":/icons/fail.svg"));
    if (v == QLatin1String("ERROR"))
        return QIcon(QStringLiteral(":/icons/error.svg"));
    if (v == QLatin1String("SKIPPED") || v == QLatin1String("CANCELLED"))
        return QIcon(QStringLiteral(":/icons/skipped.svg"));
    if (v == QLatin1String("RUNNING"))
        return QIcon(QStringLiteral(":/icons/running.svg"));
    return {};
}
} // namespace

ChecklistPanel::ChecklistPanel(QWidget *parent)
    : QWidget(parent)
    , m_runner(new check::ScenarioRunner(this))
    , m_table(new QTableWidget(this))
    , m_details(new QTextBrowser)
    , m_set(new QComboBox(this))
    , m_runAll(new QPushButton(tr("Run all"), this))
    , m_runOne(new QPushButton(tr("Run"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_export(new QPushButton(tr("Export"), this))
    , m_summary(new QLabel(this))
{
    qRegisterMetaType<pacelab::check::ScenarioResult>();
    m_runner->setSpeechSynthFactory([] {
        return std::make_unique<check::SpeechSynthAdapter<tts::EspeakTts>>();
    });
    connect(m_runner, &check::ScenarioRunner::scenarioStarted, this, &ChecklistPanel::onStarted);
    connect(m_runner, &check::ScenarioRunner::progress, this, &ChecklistPanel::onProgress);
    connect(m_runner, &check::ScenarioRunner::scenarioFinished, this, &ChecklistPanel::onFinished);
    connect(m_runner, &check::ScenarioRunner::allFinished, this, &ChecklistPanel::onAllFinished);
    // What a scenario logs belongs to it, not to the live session: it goes to the scenario's
    // details pane (the session's log gets one line per result).
    connect(m_runner, &check::ScenarioRunner::logMessage, this, [this](const QString &level, const QString &text) {
        if (m_currentId.isEmpty())
            return;
        m_logs[m_currentId] << QStringLiteral("[%1] %2").arg(level, text);
        const int r = rowOf(m_currentId);
        if (r >= 0 && m_table->currentRow() == r && level != QLatin1String("info"))
            showDetails(r);
    });

    m_set->addItem(tr("Pre-deploy S, E"), QStringLiteral("checklist"));
    m_set->addItem(tr("Your bot B1–B5"), QStringLiteral("bot"));
    m_set->setAccessibleName(tr("Checklist set"));
    m_set->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_runOne->setToolTip(tr("Run the selected scenarios (or double-click a row)"));
    m_export->setToolTip(tr("Export the results as an HTML report, JSON or JUnit XML"));
    m_set->setToolTip(tr("The bot set calls the URL of the \"Test a bot\" connection mode, or PaceLab's "
                         "built-in reference bot when it is empty."));

    m_table->setColumnCount(ColCount);
    m_table->setHorizontalHeaderLabels({tr("Scenario"), tr("Result"), tr("Progress"), tr("Key numbers"),
                                        tr("What it checks")});
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(24);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->setAlternatingRowColors(true);
    auto *h = m_table->horizontalHeader();
    h->setSectionResizeMode(ColName, QHeaderView::Interactive);
    h->setSectionResizeMode(ColWhat, QHeaderView::Stretch);
    h->setSectionResizeMode(ColProgress, QHeaderView::Fixed);
    h->setSectionResizeMode(ColResult, QHeaderView::Fixed);
    h->setSectionResizeMode(ColNumbers, QHeaderView::Interactive);
    h->setStretchLastSection(true);
    m_table->setColumnWidth(ColName, 190);
    m_table->setColumnWidth(ColProgress, 76);
    // Wide enough for "CANCELLED" and its icon in this font.
    m_table->setColumnWidth(ColResult, fontMetrics().horizontalAdvance(QStringLiteral("CANCELLED")) + 40);
    m_table->setColumnWidth(ColNumbers, 220);
    m_table->setAccessibleName(tr("Checklist scenarios"));
    connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) { showDetails(row); });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row) {
        const QString id = m_table->item(row, ColName)->data(Qt::UserRole).toString();
        runScenarios({id});
    });

    m_details->setOpenLinks(false);
    m_details->setPlaceholderText(tr("Select a scenario to see what it checks and, once run, every figure it measured."));

    auto *exportMenu = new QMenu(m_export);
    exportMenu->addAction(tr("HTML report…"), this, [this] { exportDialog(QStringLiteral("html")); });
    exportMenu->addAction(tr("JSON…"), this, [this] { exportDialog(QStringLiteral("json")); });
    exportMenu->addAction(tr("JUnit XML…"), this, [this] { exportDialog(QStringLiteral("junit")); });
    m_export->setMenu(exportMenu);

    connect(m_runAll, &QPushButton::clicked, this, &ChecklistPanel::runAll);
    connect(m_runOne, &QPushButton::clicked, this, &ChecklistPanel::runSelected);
    connect(m_cancel, &QPushButton::clicked, this, &ChecklistPanel::cancel);
    m_runAll->setToolTip(tr("Run every scenario of the set (Ctrl+R)"));
    m_runOne->setObjectName(QStringLiteral("runSelected"));
    m_runAll->setObjectName(QStringLiteral("runAll"));

    auto *top = new QHBoxLayout;
    auto *title = new QLabel(tr("<b>Checklist</b>"), this);
    title->setObjectName(QStringLiteral("checklistTitle"));
    title->setMinimumWidth(title->sizeHint().width());
    top->addWidget(title);
    top->addWidget(m_set, 1);
    top->addWidget(m_runOne);
    top->addWidget(m_runAll);
    top->addWidget(m_cancel);
    top->addWidget(m_export);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_summary);
    m_summary->setObjectName(QStringLiteral("checklistSummary"));
    m_summary->setWordWrap(true);
    m_runOne->setAccessibleName(tr("Run the selected scenarios"));
    m_runAll->setAccessibleName(tr("Run every scenario of the set"));
    m_cancel->setAccessibleName(tr("Cancel the checklist run"));
    m_cancel->setToolTip(tr("Cancel the run (Esc)"));
    m_cancel->setObjectName(QStringLiteral("cancel"));
    m_export->setAccessibleName(tr("Export the checklist report"));
    m_export->setObjectName(QStringLiteral("export"));

    auto rebuild = [this] {
        const bool bot = m_set->currentData().toString() == QLatin1String("bot");
        m_infos.clear();
        for (const check::ScenarioInfo &i : check::ScenarioRunner::available())
            if (i.botSet == bot)
                m_infos << i;
        m_table->setRowCount(int(m_infos.size()));
        for (int r = 0; r < m_infos.size(); ++r) {
            const check::ScenarioInfo &info = m_infos[r];
            auto *name = new QTableWidgetItem(QStringLiteral("%1  %2").arg(info.id, info.title));
            name->setData(Qt::UserRole, info.id);
            name->setToolTip(tr("%1 — about %2 s. Double-click to run it.").arg(info.title).arg(info.expectedDurationSec, 0, 'f', 0));
            auto *what = new QTableWidgetItem(info.whatItChecks);
            what->setToolTip(QStringLiteral("<p>%1</p>").arg(info.whatItChecks.toHtmlEscaped()));
            m_table->setItem(r, ColName, name);
            m_table->setItem(r, ColWhat, what);
            auto *bar = new QProgressBar(m_table);
            bar->setRange(0, 1000);
            bar->setValue(0);
            bar->setFormat(tr("~%1 s").arg(info.expectedDurationSec, 0, 'f', 0));
            bar->setMaximumHeight(18);
            m_table->setCellWidget(r, ColProgress, bar);
            m_table->setItem(r, ColResult, new QTableWidgetItem);
            m_table->setItem(r, ColNumbers, new QTableWidgetItem);
            setResultCell(r, m_state.value(info.id));
            if (m_results.contains(info.id)) {
                const auto &res = m_results[info.id];
                m_table->item(r, ColNumbers)->setText(res.reason);
                m_table->item(r, ColNumbers)->setToolTip(res.reason);
                bar->setValue(1000);
                bar->setFormat(tr("%1 s").arg(res.durationSec, 0, 'f', 1));
            }
        }
        updateButtons();
    };
    connect(m_set, &QComboBox::currentIndexChanged, this, rebuild);
    rebuild();
}

ChecklistPanel::~ChecklistPanel()
{
    if (m_runner->isRunning())
        m_runner->cancel();
    if (m_details && !m_details->parent())
        delete m_details; // never placed by the window: nobody else owns it
}

void ChecklistPanel::setResultCell(int r, const QString &state)
{
    // Text and icon, never colour alone.
    QTableWidgetItem *item = m_table->item(r, ColResult);
    item->setIcon(verdictIcon(state));
    item->setText(state == QLatin1String("RUNNING") ? tr("running") : state);
    item->setData(Qt::AccessibleTextRole, state.isEmpty() ? tr("not run") : state);
}

void ChecklistPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Narrow: "What it checks" (also in the tooltip and the details pane) makes way for the
    // result and the numbers.
    m_table->setColumnHidden(ColWhat, width() < 760);
}

QString ChecklistPanel::summaryText() const
{
    return m_summary->text();
}

QString ChecklistPanel::currentSet() const
{
    return m_set->currentData().toString();
}

void ChecklistPanel::setCurrentSet(const QString &set)
{
    const int i = m_set->findData(set);
    if (i >= 0 && !m_runner->isRunning())
        m_set->setCurrentIndex(i);
}

QStringList ChecklistPanel::scenarioIds() const
{
    QStringList ids;
    for (const auto &i : m_infos)
        ids << i.id;
    return ids;
}

int ChecklistPanel::rowOf(const QString &id) const
{
    for (int r = 0; r < m_infos.size(); ++r)
        if (m_infos[r].id == id)
            return r;
    return -1;
}

check::CheckConfig ChecklistPanel::config(const QStringList &ids) const
{
    check::CheckConfig cfg;
    cfg.provider = m_provider;
    bool anyBot = false;
    for (const QString &id : ids)
        anyBot = anyBot || id.startsWith(QLatin1Char('B'));
    if (anyBot) {
        cfg.mode = check::TargetMode::Bot;
        const QString url = m_botUrl ? m_botUrl().trimmed() : QString();
        cfg.botUrl = url.isEmpty() ? QUrl() : QUrl(url);
    }
    return cfg;
}

bool ChecklistPanel::runScenarios(const QStringList &ids)
{
    if (ids.isEmpty() || m_runner->isRunning())
        return false;
    const check::CheckConfig cfg = config(ids);
    const QString why = check::ScenarioRunner::checkApplicable(ids, cfg);
    if (!why.isEmpty()) {
        Q_EMIT logLine(QStringLiteral("error"), tr("Checklist: %1").arg(why));
        m_summary->setText(why);
        return false;
    }
    m_runIds = ids;
    m_cancelRequested = false;
    for (const QString &id : ids) {
        m_state.remove(id);
        m_results.remove(id);
        m_logs.remove(id);
        const int r = rowOf(id);
        if (r < 0)
            continue;
        setResultCell(r, QString());
        m_table->item(r, ColResult)->setText(tr("queued"));
        m_table->item(r, ColNumbers)->setText(QString());
        if (auto *bar = qobject_cast<QProgressBar *>(m_table->cellWidget(r, ColProgress))) {
            bar->setValue(0);
            bar->setFormat(tr("queued"));
        }
    }
    m_lastConfig = cfg;
    Q_EMIT logLine(QStringLiteral("info"), tr("Checklist: running %1 against %2, speaking %3")
                                               .arg(ids.join(QStringLiteral(", ")), cfg.describeTarget(),
                                                    provider::profile(cfg.provider).displayName()));
    m_runner->run(ids, cfg);
    m_summary->setText(tr("Running %n scenario(s)…", nullptr, int(ids.size())));
    updateButtons();
    Q_EMIT runningChanged(true);
    return true;
}

void ChecklistPanel::runAll()
{
    runScenarios(scenarioIds());
}

void ChecklistPanel::runSelected()
{
    QStringList ids;
    const auto rows = m_table->selectionModel()->selectedRows();
    for (const QModelIndex &i : rows)
        ids << m_infos[i.row()].id;
    if (ids.isEmpty() && m_table->currentRow() >= 0)
        ids << m_infos[m_table->currentRow()].id;
    if (ids.isEmpty()) {
        m_summary->setText(tr("Select one or more scenarios first (or use Run all)."));
        return;
    }
    std::sort(ids.begin(), ids.end(), [this](const QString &a, const QString &b) { return rowOf(a) < rowOf(b); });
    runScenarios(ids);
}

void ChecklistPanel::cancel()
{
    if (!m_runner->isRunning())
        return;
    m_cancelRequested = true;
    m_summary->setText(tr("Cancelling…"));
    m_runner->cancel();
}

bool ChecklistPanel::isRunning() const
{
    return m_runner->isRunning();
}

QString ChecklistPanel::verdictText(const QString &id) const
{
    return m_state.value(id);
}

QList<check::ScenarioResult> ChecklistPanel::results() const
{
    QList<check::ScenarioResult> out;
    for (const auto &info : check::ScenarioRunner::available())
        if (m_results.contains(info.id))
            out << m_results[info.id];
    return out;
}

void ChecklistPanel::selectScenario(const QString &id)
{
    const int r = rowOf(id);
    if (r >= 0)
        m_table->setCurrentCell(r, ColName);
}

void ChecklistPanel::onStarted(const QString &id)
{
    m_state[id] = QStringLiteral("RUNNING");
    m_currentId = id;
    const int r = rowOf(id);
    if (r < 0)
        return;
    setResultCell(r, QStringLiteral("RUNNING"));
    m_table->scrollToItem(m_table->item(r, ColName));
}

void ChecklistPanel::onProgress(const QString &id, double elapsed, double expected)
{
    const int r = rowOf(id);
    if (r < 0)
        return;
    if (auto *bar = qobject_cast<QProgressBar *>(m_table->cellWidget(r, ColProgress))) {
        const double f = expected > 0 ? std::clamp(elapsed / expected, 0.0, 1.0) : 0.0;
        bar->setValue(int(f * 1000));
        bar->setFormat(tr("%1 / %2 s").arg(elapsed, 0, 'f', 0).arg(expected, 0, 'f', 0));
    }
}

void ChecklistPanel::onFinished(const check::ScenarioResult &res)
{
    // A scenario ended by the user's Cancel is "cancelled", not an error of the system tested.
    const bool cancelled = m_cancelRequested && res.verdict != check::Verdict::Pass
                           && res.verdict != check::Verdict::Fail;
    const QString v = cancelled ? QStringLiteral("CANCELLED") : check::verdictName(res.verdict);
    m_state[res.id] = v;
    if (res.id == m_currentId)
        m_currentId.clear();
    if (!cancelled)
        m_results[res.id] = res;
    const int r = rowOf(res.id);
    if (r >= 0) {
        setResultCell(r, v);
        m_table->item(r, ColNumbers)->setText(res.reason);
        m_table->item(r, ColNumbers)->setToolTip(res.reason);
        if (auto *bar = qobject_cast<QProgressBar *>(m_table->cellWidget(r, ColProgress))) {
            bar->setValue(1000);
            bar->setFormat(tr("%1 s").arg(res.durationSec, 0, 'f', 1));
        }
        if (m_table->currentRow() == r)
            showDetails(r);
    }
    const QString level = res.verdict == check::Verdict::Pass || res.verdict == check::Verdict::Skipped || cancelled
                              ? QStringLiteral("info")
                              : QStringLiteral("warning");
    Q_EMIT logLine(level, cancelled ? tr("Checklist: %1 cancelled").arg(res.id)
                                    : tr("Checklist: %1 %2 — %3").arg(res.id, v, res.reason));
    if (res.verdict == check::Verdict::Fail || res.verdict == check::Verdict::Error) {
        if (r >= 0 && !m_runner->isRunning())
            m_table->setCurrentCell(r, ColName);
    }
}

void ChecklistPanel::onAllFinished()
{
    // This run only: earlier runs and the other set keep their rows but are not counted again.
    int passed = 0, failed = 0, errors = 0, skipped = 0, cancelled = 0;
    for (const QString &id : std::as_const(m_runIds)) {
        const QString v = m_state.value(id);
        passed += v == QLatin1String("PASS");
        failed += v == QLatin1String("FAIL");
        errors += v == QLatin1String("ERROR");
        skipped += v == QLatin1String("SKIPPED");
        cancelled += v == QLatin1String("CANCELLED");
    }
    QStringList parts{tr("%1 passed").arg(passed), tr("%1 failed").arg(failed)};
    if (errors)
        parts << tr("%1 errors").arg(errors);
    if (skipped)
        parts << tr("%1 skipped").arg(skipped);
    if (cancelled)
        parts << tr("%1 cancelled").arg(cancelled);
    m_summary->setText(tr("%1 of %2 run.").arg(parts.join(QStringLiteral(", "))).arg(m_runIds.size()));
    m_currentId.clear();
    updateButtons();
    Q_EMIT runningChanged(false);
}

void ChecklistPanel::showDetails(int row)
{
    if (row < 0 || row >= m_infos.size())
        return;
    const check::ScenarioInfo &info = m_infos[row];
    QString html = QStringLiteral("<h3>%1 — %2</h3><p>%3</p>")
                       .arg(info.id.toHtmlEscaped(), info.title.toHtmlEscaped(), info.whatItChecks.toHtmlEscaped());
    if (m_results.contains(info.id)) {
        const check::ScenarioResult &r = m_results[info.id];
        const QString v = check::verdictName(r.verdict);
        const QString color = r.verdict == check::Verdict::Pass ? QStringLiteral("#1a7f37")
                              : r.verdict == check::Verdict::Skipped ? QStringLiteral("#57606a")
                                                                      : QStringLiteral("#c62828");
        html += QStringLiteral("<p><b style=\"color:%1\">%2</b> in %3 s — %4</p>")
                    .arg(color, v).arg(r.durationSec, 0, 'f', 1).arg(r.reason.toHtmlEscaped());
        if (!r.criteria.isEmpty()) {
            html += QStringLiteral("<table border=\"0\" cellspacing=\"0\" cellpadding=\"2\">"
                                   "<tr><th align=\"left\">criterion</th><th align=\"left\">measured</th>"
                                   "<th align=\"left\">limit</th><th></th></tr>");
            for (const check::Criterion &c : r.criteria)
                html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td></tr>")
                            .arg(c.name.toHtmlEscaped(), c.measured.toHtmlEscaped(), c.limit.toHtmlEscaped(),
                                 c.informational ? tr("info")
                                 : c.pass        ? QStringLiteral("<span style=\"color:#1a7f37\">ok</span>")
                                                 : QStringLiteral("<b style=\"color:#c62828\">FAIL</b>"));
            html += QStringLiteral("</table>");
        }
        if (!r.details.isEmpty())
            html += QStringLiteral("<pre>%1</pre>").arg(r.details.toHtmlEscaped());
    } else if (m_state.value(info.id) == QLatin1String("RUNNING")) {
        html += tr("<p><i>Running…</i></p>");
    } else if (m_state.value(info.id) == QLatin1String("CANCELLED")) {
        html += tr("<p><b>CANCELLED</b>: stopped by the user before a verdict.</p>");
    } else {
        html += tr("<p><i>Not run yet: double-click the row or press Run selected.</i></p>");
    }
    const QStringList log = m_logs.value(info.id);
    if (!log.isEmpty())
        html += tr("<h4>Scenario log</h4>") + QStringLiteral("<pre>%1</pre>").arg(log.join(QLatin1Char('\n')).toHtmlEscaped());
    m_details->setHtml(html);
    Q_EMIT detailsShown();
}

bool ChecklistPanel::exportReport(const QString &path, const QString &format, QString *error) const
{
    const QList<check::ScenarioResult> res = results();
    if (res.isEmpty()) {
        *error = tr("Nothing to export: run at least one scenario first");
        return false;
    }
    double total = 0;
    for (const auto &r : res)
        total += r.durationSec;
    const auto meta = check::ReportMeta::from(m_lastConfig, QDateTime::currentDateTime(), total);
    if (format == QLatin1String("html"))
        return check::writeHtml(res, path, error, meta);
    if (format == QLatin1String("json"))
        return check::writeJson(res, path, error, meta);
    if (format == QLatin1String("junit"))
        return check::writeJUnit(res, path, error, meta);
    *error = tr("Unknown report format '%1' (html, json or junit)").arg(format);
    return false;
}

void ChecklistPanel::exportDialog(const QString &format)
{
    const QString filter = format == QLatin1String("html")   ? tr("HTML report (*.html)")
                           : format == QLatin1String("json") ? tr("JSON (*.json)")
                                                             : tr("JUnit XML (*.xml)");
    const QString suffix = format == QLatin1String("html") ? QStringLiteral("html")
                           : format == QLatin1String("json") ? QStringLiteral("json")
                                                             : QStringLiteral("xml");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export checklist report"),
                                                      QStringLiteral("pacelab-checklist.%1").arg(suffix), filter);
    if (path.isEmpty())
        return;
    QString error;
    if (exportReport(path, format, &error))
        Q_EMIT logLine(QStringLiteral("info"), tr("Checklist report written to %1").arg(path));
    else
        Q_EMIT logLine(QStringLiteral("error"), error);
}

void ChecklistPanel::updateButtons()
{
    const bool running = m_runner->isRunning();
    m_runAll->setEnabled(!running);
    m_runOne->setEnabled(!running);
    m_set->setEnabled(!running);
    m_cancel->setEnabled(running);
}

} // namespace pacelab::ui
