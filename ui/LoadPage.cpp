// The Load page: its form, its views and the wiring of one run. Over 500 lines because every
// field is spelled out with its accessible name, tooltip and error label; the table model and a
// call's figures are in LoadCallsModel.cpp, the charts in LoadHistogram and LoadKneeChart.
#include "LoadPage.h"

#include "LoadCallsModel.h"
#include "LoadHistogram.h"
#include "LoadKneeChart.h"
#include "RedrawThrottle.h"
#include "TimeSeriesPlot.h"

#include "load/FdLimit.h"
#include "load/LoadEmulator.h"
#include "load/LoadReferenceBot.h"
#include "load/LoadReport.h"

#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace pacelab::ui {

namespace {
const QColor kPass = LoadCallsModel::passColor();
const QColor kFail = LoadCallsModel::failColor();
} // namespace


LoadPage::LoadPage(QWidget *parent)
    : QWidget(parent)
    , m_throttle(new RedrawThrottle(kMinRedrawMs, this))
{
    qRegisterMetaType<pacelab::LoadStep>();
    buildUi();
    connect(m_throttle, &RedrawThrottle::render, this, &LoadPage::render);
    setRunning(false);
    render();
    if (qEnvironmentVariableIntValue("PACELAB_LOAD_DEMO") == 1)
        QTimer::singleShot(0, this, &LoadPage::startDemo);
}

LoadPage::~LoadPage()
{
    m_emu.reset(); // its calls end before the reference bot they talk to goes
    m_refBot.reset();
}

void LoadPage::buildUi()
{
    // ---- the form (left, scrolls when the window is short) ----
    auto *form = new QWidget;
    auto *fl = new QFormLayout(form);
    fl->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    fl->setRowWrapPolicy(QFormLayout::DontWrapRows);
    auto addField = [&](const QString &key, const QString &label, QWidget *field, const QString &name, const QString &tip) {
        field->setObjectName(key);
        field->setAccessibleName(name);
        field->setToolTip(tip);
        auto *box = new QWidget;
        auto *v = new QVBoxLayout(box);
        v->setContentsMargins(0, 0, 0, 0);
        v->setSpacing(1);
        v->addWidget(field);
        auto *err = new QLabel;
        err->setObjectName(key + QStringLiteral("Error"));
        err->setWordWrap(true);
        err->setStyleSheet(QStringLiteral("color: #b03000;"));
        err->setAccessibleName(tr("%1: error").arg(name));
        err->hide();
        v->addWidget(err);
        m_errors.insert(key, err);
        fl->addRow(label, box);
    };
    m_url = new QLineEdit;
    m_url->setPlaceholderText(QStringLiteral("ws://host:port/path"));
    addField(QStringLiteral("bot"), tr("Bot &URL"), m_url, tr("Bot URL"), tr("The bot's WebSocket URL (ws:// or wss://)"));
    m_calls = new QSpinBox;
    m_calls->setRange(0, 1000000); // wider than allowed: LoadOptions says why a value is refused
    m_calls->setValue(10);
    addField(QStringLiteral("calls"), tr("&Calls"), m_calls, tr("Concurrent calls"), tr("Concurrent calls (1..100000); unused when steps are given"));
    m_steps = new QLineEdit;
    m_steps->setPlaceholderText(tr("e.g. 10,50,100 (optional)"));
    addField(QStringLiteral("steps"), tr("&Steps"), m_steps, tr("Steps"), tr("Ascending call counts, one step each: finds the knee"));
    connect(m_steps, &QLineEdit::textChanged, this, [this](const QString &t) { m_calls->setEnabled(t.trimmed().isEmpty() && !isRunning()); });
    auto dspin = [](double max, double value, int decimals, const QString &suffix) {
        auto *s = new QDoubleSpinBox;
        s->setRange(0, max);
        s->setDecimals(decimals);
        s->setValue(value);
        s->setSuffix(suffix);
        return s;
    };
    m_ramp = dspin(1e7, 20, 1, tr(" calls/s"));
    addField(QStringLiteral("ramp"), tr("&Ramp"), m_ramp, tr("Ramp, calls per second"), tr("Calls placed per second (0 = all at once)"));
    m_duration = dspin(1e9, 0, 0, tr(" s"));
    m_duration->setSpecialValueText(tr("ramp + hold"));
    addField(QStringLiteral("duration"), tr("&Duration"), m_duration, tr("Duration of each step, seconds"), tr("Length of each step from its first call (0 = ramp + hold)"));
    m_hold = dspin(1e9, 10, 0, tr(" s"));
    addField(QStringLiteral("hold"), tr("&Hold"), m_hold, tr("Hold, seconds"), tr("Seconds each step holds its full count after the ramp"));
    m_bargeIn = dspin(1e7, 0, 1, tr(" s"));
    m_bargeIn->setSpecialValueText(tr("none"));
    addField(QStringLiteral("barge-in-every"), tr("&Barge-in every"), m_bargeIn, tr("Barge-in interval, seconds"),
             tr("A barge-in probe (1 s of caller speech) per call every S seconds (0 = none)"));

    m_refBotButton = new QPushButton(tr("Use built-in reference bot"));
    m_refBotButton->setAccessibleName(tr("Use the built-in reference bot"));
    m_refBotButton->setToolTip(tr("Starts a well-paced bot in this process and puts its URL above"));
    connect(m_refBotButton, &QPushButton::clicked, this, [this] {
        QString why;
        if (!startReferenceBot(LoadBotOptions(), &why))
            showError(why);
    });
    m_start = new QPushButton(tr("Start"));
    m_start->setObjectName(QStringLiteral("loadStart"));
    m_start->setAccessibleName(tr("Start the load run"));
    m_stop = new QPushButton(tr("Stop"));
    m_stop->setObjectName(QStringLiteral("loadStop"));
    m_stop->setAccessibleName(tr("Stop the load run"));
    m_stop->setToolTip(tr("Ends the current step now (its results are kept) and skips the rest"));
    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_stop, &QPushButton::clicked, this, &LoadPage::stop);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    m_generalError = new QLabel;
    m_generalError->setObjectName(QStringLiteral("loadError"));
    m_generalError->setWordWrap(true);
    m_generalError->setStyleSheet(QStringLiteral("color: #b03000;"));
    m_generalError->setAccessibleName(tr("Load run error"));
    m_generalError->hide();
    m_state = new QLabel;
    m_state->setWordWrap(true);
    m_state->setAccessibleName(tr("Load run state"));
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(std::max(7.5, mono.pointSizeF() - 1.0));
    m_liveLine = new QLabel;
    m_liveLine->setObjectName(QStringLiteral("liveLine"));
    m_liveLine->setFont(mono);
    m_liveLine->setWordWrap(true);
    m_liveLine->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_liveLine->setAccessibleName(tr("Live line"));
    m_liveLine->setToolTip(tr("The line `pacelab load` prints each second"));
    m_kneeLine = new QLabel;
    m_kneeLine->setObjectName(QStringLiteral("kneeLine"));
    m_kneeLine->setWordWrap(true);
    m_kneeLine->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_kneeLine->setAccessibleName(tr("Verdict and knee"));
    m_exportJson = new QPushButton(tr("Export JSON…"));
    m_exportJson->setAccessibleName(tr("Export the load report as JSON"));
    m_exportHtml = new QPushButton(tr("Export HTML…"));
    m_exportHtml->setAccessibleName(tr("Export the load report as HTML"));
    connect(m_exportJson, &QPushButton::clicked, this, [this] { exportDialog(false); });
    connect(m_exportHtml, &QPushButton::clicked, this, [this] { exportDialog(true); });
    auto *exports = new QHBoxLayout;
    exports->addWidget(m_exportJson);
    exports->addWidget(m_exportHtml);

    fl->addRow(m_refBotButton);
    fl->addRow(buttons);
    fl->addRow(m_generalError);
    fl->addRow(m_state);
    fl->addRow(m_kneeLine);
    fl->addRow(m_liveLine);
    fl->addRow(exports);
    auto *formArea = new QScrollArea;
    formArea->setWidget(form);
    formArea->setWidgetResizable(true);
    formArea->setFrameShape(QFrame::NoFrame);
    formArea->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    formArea->setMinimumWidth(260);

    // ---- histograms and the knee (top right) ----
    const check::Thresholds &lim = m_model.limits();
    m_fpsHist = new LoadHistogram(tr("fps p1 per call"), tr("fps"));
    m_fpsHist->setObjectName(QStringLiteral("fpsHistogram"));
    m_fpsHist->setBaseRange(lim.fpsTarget - 5, lim.fpsTarget + 5);
    m_fpsHist->setLimits({double(lim.fpsTarget - lim.botFpsTolerance), double(lim.fpsTarget + lim.botFpsTolerance)});
    m_jitterHist = new LoadHistogram(tr("Jitter per call"), tr("ms"));
    m_jitterHist->setObjectName(QStringLiteral("jitterHistogram"));
    m_jitterHist->setBaseRange(0, 2);
    m_bufferedHist = new LoadHistogram(tr("Buffered max per call"), tr("s"));
    m_bufferedHist->setObjectName(QStringLiteral("bufferedHistogram"));
    m_bufferedHist->setBaseRange(0, 1);
    m_bufferedHist->setLimits({lim.maxBufferedSec});
    m_knee = new LoadKneeChart;
    m_knee->setObjectName(QStringLiteral("kneeChart"));
    auto *charts = new QWidget;
    auto *cg = new QGridLayout(charts);
    cg->setContentsMargins(0, 0, 0, 0);
    cg->setSpacing(4);
    cg->addWidget(m_fpsHist, 0, 0);
    cg->addWidget(m_jitterHist, 0, 1);
    cg->addWidget(m_bufferedHist, 0, 2);
    cg->addWidget(m_knee, 0, 3);

    // ---- calls worst first and one call's figures (bottom right) ----
    m_callsModel = new LoadCallsModel(this);
    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("callsTable"));
    m_table->setAccessibleName(tr("Calls, worst first"));
    m_table->setModel(m_callsModel);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight); // the whole reason is in the tooltip and the details
    // Fixed sizes set once: sizing to contents would measure every row of 1000 calls per redraw.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    QHeaderView *header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setSectionResizeMode(QHeaderView::Interactive);
    for (int col = 0; col < LoadCallsModel::Reason; ++col) {
        const QString text = m_callsModel->headerData(col, Qt::Horizontal, Qt::DisplayRole).toString();
        const QString widest = col == LoadCallsModel::Verdict ? QStringLiteral("measuring") : QStringLiteral("0000.0");
        header->resizeSection(col, std::max(header->fontMetrics().horizontalAdvance(text),
                                            m_table->fontMetrics().horizontalAdvance(widest)) + 12);
    }
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &cur) {
        if (cur.isValid() && cur.row() < m_callsModel->calls().size())
            showCall(m_callsModel->calls().at(cur.row()).index);
    });

    m_details = new QLabel(tr("Click a call to see its figures."));
    m_details->setObjectName(QStringLiteral("callDetails"));
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_details->setAccessibleName(tr("Figures of the selected call"));
    m_callFps = TimeSeriesPlot::create();
    m_callFps->setTitle(tr("Selected call: fps received"), tr("frames/s"));
    m_callFps->addSeries(tr("fps"), QColor(0, 114, 178));
    m_callFps->setLimitLine(lim.fpsTarget, tr("%1 fps").arg(lim.fpsTarget), QColor(110, 110, 110));
    m_callFps->setBaseRange(0, 60);
    m_callFps->setPlaceholderText(tr("click a call"));
    m_callFps->setAccessibleName(tr("Selected call: frames per second received"));
    m_callJitter = TimeSeriesPlot::create();
    m_callJitter->setTitle(tr("Selected call: jitter"), tr("ms"));
    m_callJitter->addSeries(tr("RFC 3550 jitter"), QColor(204, 121, 167));
    m_callJitter->setBaseRange(0, 2);
    m_callJitter->setPlaceholderText(tr("click a call"));
    m_callJitter->setAccessibleName(tr("Selected call: jitter"));
    auto *detailSplit = new QSplitter(Qt::Vertical);
    auto *detailsArea = new QScrollArea;
    detailsArea->setWidget(m_details);
    detailsArea->setWidgetResizable(true);
    detailsArea->setFrameShape(QFrame::NoFrame);
    detailSplit->addWidget(detailsArea);
    // One chart at a time: two stacked would be too short to read at 700 px.
    auto *plotTabs = new QTabWidget;
    plotTabs->setAccessibleName(tr("Charts of the selected call"));
    plotTabs->addTab(m_callFps, tr("fps"));
    plotTabs->addTab(m_callJitter, tr("Jitter"));
    detailSplit->addWidget(plotTabs);
    detailSplit->setChildrenCollapsible(false);
    detailSplit->setSizes({220, 300});
    detailsArea->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    auto *bottom = new QSplitter(Qt::Horizontal);
    bottom->addWidget(m_table);
    bottom->addWidget(detailSplit);
    bottom->setStretchFactor(0, 3);
    bottom->setStretchFactor(1, 2);
    bottom->setChildrenCollapsible(false);

    auto *right = new QSplitter(Qt::Vertical);
    right->addWidget(charts);
    right->addWidget(bottom);
    right->setStretchFactor(0, 2);
    right->setStretchFactor(1, 3);
    right->setChildrenCollapsible(false);

    m_split = new QSplitter(Qt::Horizontal);
    m_split->addWidget(formArea);
    m_split->addWidget(right);
    m_split->setStretchFactor(0, 0);
    m_split->setStretchFactor(1, 1);
    m_split->setSizes({270, 900});
    m_split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_split);
}

LoadOptions LoadPage::options() const
{
    LoadOptions o;
    o.botUrl = QUrl(m_url->text().trimmed(), QUrl::StrictMode);
    o.calls = m_calls->value();
    o.rampPerSec = m_ramp->value();
    o.durationSec = m_duration->value();
    o.holdSec = m_hold->value();
    o.bargeInEverySec = m_bargeIn->value();
    o.call.provider = m_provider;
    return o;
}

void LoadPage::clearErrors()
{
    for (QLabel *l : std::as_const(m_errors)) {
        l->clear();
        l->hide();
    }
    m_generalError->clear();
    m_generalError->hide();
}

void LoadPage::showError(const QString &message)
{
    // LoadOptions names the option it refuses ("--calls must be ...", "--bot: ..."): the message
    // goes next to that field, or under Start when it names none.
    static const QRegularExpression option(QStringLiteral("--([a-z][a-z-]*)"));
    const QString key = option.match(message).captured(1);
    QLabel *target = m_errors.value(key, m_generalError);
    target->setText(message);
    target->show();
    Q_EMIT logLine(QStringLiteral("error"), message);
}

QString LoadPage::fieldError(const QString &field) const
{
    const QLabel *l = m_errors.value(field);
    return l && !l->isHidden() ? l->text() : QString();
}

QString LoadPage::generalError() const { return m_generalError->isHidden() ? QString() : m_generalError->text(); }
QString LoadPage::liveLineText() const { return m_liveLine->text(); }
QString LoadPage::kneeText() const { return m_kneeLine->text(); }
QString LoadPage::detailsText() const { return m_details->text(); }

bool LoadPage::start()
{
    if (isRunning())
        return false;
    clearErrors();
    LoadOptions o = options();
    const QString stepsText = m_steps->text().trimmed();
    QString why;
    if (!stepsText.isEmpty()) {
        if (!parseSteps(stepsText, &o.steps, &why)) {
            showError(why);
            return false;
        }
        o.calls = 0; // the steps say how many
    }
    if (!o.validate(&why)) {
        showError(why);
        return false;
    }
    if (!ensureFdLimit(fdsNeededForCalls(o.maxCalls()), &why)) {
        showError(why);
        return false;
    }
    auto emu = std::make_unique<LoadEmulator>();
    connect(emu.get(), &LoadEmulator::stepStarted, this, &LoadPage::onStepStarted);
    connect(emu.get(), &LoadEmulator::secondElapsed, this, &LoadPage::onSnapshot);
    connect(emu.get(), &LoadEmulator::stepFinished, this, &LoadPage::onStepFinished);
    connect(emu.get(), &LoadEmulator::finished, this, &LoadPage::onFinished);
    if (!emu->start(o, &why)) {
        showError(why);
        return false;
    }
    m_emu = std::move(emu);
    m_model.reset();
    m_run = LoadRun();
    m_usesSteps = !o.steps.isEmpty();
    m_stepNo = 0;
    m_stepTotal = int(o.effectiveSteps().size());
    m_selectedCall = -1;
    m_shownHistoryOf = -1;
    m_callFps->clear();
    m_callJitter->clear();
    m_details->setText(tr("Click a call to see its figures."));
    setRunning(true);
    m_state->setText(tr("Starting %1 against %2 (%3)…")
                         .arg(m_usesSteps ? tr("steps %1").arg(stepsText) : tr("%n call(s)", nullptr, o.calls),
                              o.botUrl.toDisplayString(), provider::name(o.call.provider)));
    Q_EMIT logLine(QStringLiteral("info"), m_state->text());
    m_throttle->flush();
    return true;
}

void LoadPage::stop()
{
    if (!isRunning())
        return;
    m_state->setText(tr("Stopping: ending the current step (its results are kept)…"));
    m_emu->abort();
}

bool LoadPage::isRunning() const { return m_emu && m_emu->isRunning(); }

void LoadPage::setRunning(bool running)
{
    for (QWidget *w : std::initializer_list<QWidget *>{m_url, m_steps, m_ramp, m_duration, m_hold, m_bargeIn, m_refBotButton, m_start})
        w->setEnabled(!running);
    m_calls->setEnabled(!running && m_steps->text().trimmed().isEmpty());
    m_stop->setEnabled(running);
    Q_EMIT runningChanged(running);
    const bool haveRun = !running && !m_run.steps.isEmpty();
    m_exportJson->setEnabled(haveRun);
    m_exportHtml->setEnabled(haveRun);
    if (!running && m_state->text().isEmpty())
        m_state->setText(tr("Idle: give a bot URL (or use the built-in reference bot) and Start."));
}

void LoadPage::onStepStarted(int targetCalls)
{
    m_model.beginStep(targetCalls);
    m_shownHistoryOf = -1;
    ++m_stepNo;
    m_state->setText(m_stepTotal > 1 ? tr("Running step %1 of %2: %n call(s)…", nullptr, targetCalls).arg(m_stepNo).arg(m_stepTotal)
                                     : tr("Running: %n call(s)…", nullptr, targetCalls));
    m_throttle->request();
}

void LoadPage::onSnapshot(const LoadStep &snapshot)
{
    m_model.addSnapshot(snapshot);
    m_throttle->request();
}

void LoadPage::onStepFinished(const LoadStep &step)
{
    m_model.addSnapshot(step, true);
    m_throttle->request();
}

void LoadPage::onFinished()
{
    m_run = m_emu->run();
    judgeRun(m_run, m_model.limits());
    // finished() is emitted from inside the emulator: it goes after this slot returns.
    m_emu.release()->deleteLater();
    const int steps = int(m_run.steps.size());
    m_state->setText(steps == 0 ? tr("Stopped before any step finished.")
                                : tr("Done: %n step(s) run. Export the report below.", nullptr, steps));
    setRunning(false);
    m_throttle->flush();
    Q_EMIT logLine(QStringLiteral("info"), m_state->text());
    Q_EMIT runFinished();
}

void LoadPage::render()
{
    ++m_renders;
    m_fpsHist->setValues(m_model.fpsP1Values());
    m_jitterHist->setValues(m_model.jitterValues());
    m_bufferedHist->setValues(m_model.bufferedValues());

    QSet<int> measuring;
    for (const CallResult &c : m_model.callsWorstFirst())
        if (m_model.isMeasuring(c.index))
            measuring.insert(c.index);
    m_callsModel->setCalls(m_model.callsWorstFirst(), measuring);
    const int row = m_callsModel->rowOfCall(m_selectedCall);
    if (row >= 0) {
        const QSignalBlocker block(m_table->selectionModel());
        m_table->selectionModel()->setCurrentIndex(m_callsModel->index(row, 0),
                                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    }

    const QList<StepSummary> sums = m_model.summaries();
    const KneeResult knee = m_model.knee();
    QList<LoadKneeChart::Step> bars;
    for (const StepSummary &s : sums)
        bars.append({s.targetCalls, LoadLiveModel::failingPercent(s), s.holds});
    if (m_usesSteps) {
        m_knee->setPlaceholderText(tr("the knee appears as steps finish"));
        m_knee->setSteps(bars, knee.found ? knee.holdsAt : 0);
    } else {
        m_knee->setPlaceholderText(tr("run with steps (e.g. 10,50,100) to find the knee"));
        m_knee->setSteps({}, 0);
    }
    if (sums.isEmpty()) {
        m_kneeLine->setText(isRunning() ? tr("Verdict: after the first step.") : QString());
    } else {
        bool all = true;
        for (const StepSummary &s : sums)
            all = all && s.holds;
        const QString colour = all ? kPass.name() : kFail.name();
        // While a run goes on the sentence is about the steps finished so far.
        m_kneeLine->setText(QStringLiteral("%1<b style=\"color:%2\">%3</b> — %4")
                                .arg(isRunning() ? tr("Steps so far: ") : QString(), colour,
                                     all ? tr("PASS") : tr("FAIL"), knee.sentence.toHtmlEscaped()));
    }
    m_liveLine->setText(m_model.current().targetCalls > 0 ? liveLine(m_model.current()) : QString());
    renderDetails();
}

void LoadPage::showCall(int callIndex)
{
    m_selectedCall = callIndex;
    renderDetails();
}

void LoadPage::renderDetails()
{
    const int row = m_callsModel->rowOfCall(m_selectedCall);
    if (m_selectedCall < 0 || row < 0) {
        if (m_selectedCall >= 0)
            m_details->setText(tr("Call %1 is not in this step.").arg(m_selectedCall + 1));
        return;
    }
    const CallResult &c = m_callsModel->calls().at(row);
    m_details->setText(callFiguresHtml(c, m_callsModel->isMeasuring(row)));

    // The plots get the samples they do not have yet (all of them for a newly selected call).
    const QVector<CallSample> h = m_model.history(c.index);
    if (m_shownHistoryOf != c.index) {
        m_callFps->clear();
        m_callJitter->clear();
        m_callFps->setTitle(tr("Call %1: fps received").arg(c.index + 1), tr("frames/s"));
        m_callJitter->setTitle(tr("Call %1: jitter").arg(c.index + 1), tr("ms"));
        m_shownHistoryOf = c.index;
        m_shownUntil = -1;
    }
    if (!h.isEmpty()) { // the window spans the step so far, not a minute of nothing
        const double window = std::max(10.0, std::ceil(double(h.last().tSec)));
        m_callFps->setWindowSeconds(window);
        m_callJitter->setWindowSeconds(window);
    }
    for (const CallSample &s : h) {
        if (s.tSec <= m_shownUntil)
            continue;
        m_callFps->appendPoint(0, s.tSec, s.fps);
        m_callJitter->appendPoint(0, s.tSec, s.jitterMs);
        m_shownUntil = s.tSec;
    }
}

bool LoadPage::startReferenceBot(const LoadBotOptions &given, QString *error)
{
    // The bot speaks the page's provider; one started for another provider is replaced.
    LoadBotOptions options = given;
    options.provider = m_provider;
    if (m_refBot && m_refBotProvider != m_provider && !isRunning())
        m_refBot.reset();
    if (!m_refBot) {
        m_refBotProvider = m_provider;
        auto bot = std::make_unique<LoadReferenceBot>(options);
        QString why;
        if (!bot->listen(QHostAddress::LocalHost, 0, &why)) {
            if (error)
                *error = tr("the reference bot could not listen: %1").arg(why);
            return false;
        }
        m_refBot = std::move(bot);
        Q_EMIT logLine(QStringLiteral("info"), tr("Reference bot (%1) listening at %2")
                                                   .arg(provider::name(m_refBotProvider), m_refBot->url().toString()));
    }
    m_url->setText(m_refBot->url().toString());
    return true;
}

bool LoadPage::exportJson(const QString &path, QString *error) { return writeLoadJson(m_run, path, error); }
bool LoadPage::exportHtml(const QString &path, QString *error) { return writeLoadHtml(m_run, path, error); }

void LoadPage::exportDialog(bool html)
{
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    const QString path = QFileDialog::getSaveFileName(
        this, html ? tr("Export load report (HTML)") : tr("Export load run (JSON)"),
        QStringLiteral("pacelab-load-%1.%2").arg(stamp, html ? QStringLiteral("html") : QStringLiteral("json")),
        html ? tr("HTML (*.html)") : tr("JSON (*.json)"));
    if (path.isEmpty())
        return;
    QString why;
    if (html ? exportHtml(path, &why) : exportJson(path, &why)) {
        m_state->setText(tr("Report written to %1").arg(path));
        Q_EMIT logLine(QStringLiteral("info"), m_state->text());
    } else {
        m_generalError->setText(why);
        m_generalError->show();
        Q_EMIT logLine(QStringLiteral("error"), why);
    }
}

void LoadPage::startDemo()
{
    LoadBotOptions bo;
    bo.properCalls = 25; // steps 5 + 10 use 15 calls; 10 of the 20-call step are paced: a knee at 10
    QString why;
    if (!startReferenceBot(bo, &why)) {
        showError(why);
        return;
    }
    m_steps->setText(QStringLiteral("5,10,20"));
    m_ramp->setValue(20);
    m_duration->setValue(4);
    // Show the worst call's figures in the screenshot (taken in the last step), as a click would.
    QTimer::singleShot(11300, this, [this] { m_table->selectRow(0); });
    connect(this, &LoadPage::runFinished, this, [this] { m_table->selectRow(0); });
    start();
}

} // namespace pacelab::ui
