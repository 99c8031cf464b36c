#pragma once

#include "load/LoadLiveModel.h"
#include "load/LoadOptions.h"

#include <QHash>
#include <QWidget>

#include <memory>

class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QSplitter;
class QTableView;

namespace pacelab {
class LoadEmulator;
class LoadReferenceBot;
struct LoadBotOptions;
}

namespace pacelab::ui {

class LoadCallsModel;
class LoadHistogram;
class LoadKneeChart;
class RedrawThrottle;
class TimeSeriesPlot;

// The Load page: many concurrent calls against a bot (the `pacelab load` engine, LoadEmulator),
// with live histograms across calls, the calls worst first, one call's figures and chart, and
// the knee of a stepped run. Renders only: verdicts, sorting, the knee and the live line come
// from core (LoadLiveModel, LoadReport); the options are checked by LoadOptions::validate and
// its message is shown next to the field it names. Redraws are throttled to <= 10 Hz
// (RedrawThrottle) however many calls and snapshots arrive.
//
// Demo hook for docs/load-page.png: PACELAB_LOAD_DEMO=1 starts a built-in reference bot that
// paces only its first 25 calls and runs steps 5,10,20 against it.
class LoadPage final : public QWidget
{
    Q_OBJECT
public:
    static constexpr int kMinRedrawMs = 100; // 10 Hz at most

    explicit LoadPage(QWidget *parent = nullptr);
    ~LoadPage() override;

    // The protocol of every call of the next run (LoadOptions::call.provider), from the
    // window's provider selector; a run keeps the one it started with.
    void setProvider(provider::Id id) { m_provider = id; }
    provider::Id provider() const { return m_provider; }
    // The options the fields describe (not validated).
    LoadOptions options() const;
    // Validates and starts; false with the message shown next to its field (nothing started).
    bool start();
    void stop();
    bool isRunning() const;

    // An in-process reference bot on loopback; its URL goes into the bot field.
    bool startReferenceBot(const LoadBotOptions &options, QString *error = nullptr);

    bool exportJson(const QString &path, QString *error);
    bool exportHtml(const QString &path, QString *error);

    // For tests: the live model, the throttle, what was shown.
    const LoadLiveModel &model() const { return m_model; }
    RedrawThrottle *throttle() const { return m_throttle; }
    int renderCount() const { return m_renders; }
    const LoadRun &lastRun() const { return m_run; }
    LoadHistogram *fpsHistogram() const { return m_fpsHist; }
    LoadHistogram *jitterHistogram() const { return m_jitterHist; }
    LoadHistogram *bufferedHistogram() const { return m_bufferedHist; }
    LoadKneeChart *kneeChart() const { return m_knee; }
    QTableView *callsTable() const { return m_table; }
    QString fieldError(const QString &field) const; // "" when the field has none
    QString generalError() const;
    QString liveLineText() const;
    QString kneeText() const;
    QString detailsText() const;
    void showCall(int callIndex);

Q_SIGNALS:
    void runFinished();
    void runningChanged(bool running);
    void logLine(const QString &level, const QString &text);

public Q_SLOTS:
    // The emulator's signals (public so tests can feed synthesized snapshots).
    void onStepStarted(int targetCalls);
    void onSnapshot(const pacelab::LoadStep &snapshot);
    void onStepFinished(const pacelab::LoadStep &step);

private:
    void buildUi();
    void onFinished();
    void render();
    void renderDetails();
    void clearErrors();
    void showError(const QString &message);
    void setRunning(bool running);
    void exportDialog(bool html);
    void startDemo();

    // fields
    QLineEdit *m_url = nullptr;
    QSpinBox *m_calls = nullptr;
    QLineEdit *m_steps = nullptr;
    QDoubleSpinBox *m_ramp = nullptr;
    QDoubleSpinBox *m_duration = nullptr;
    QDoubleSpinBox *m_hold = nullptr;
    QDoubleSpinBox *m_bargeIn = nullptr;
    QHash<QString, QLabel *> m_errors; // option name ("bot", "calls", ...) -> its message label
    QLabel *m_generalError = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_stop = nullptr;
    QPushButton *m_refBotButton = nullptr;
    QPushButton *m_exportJson = nullptr;
    QPushButton *m_exportHtml = nullptr;
    QLabel *m_state = nullptr;
    QLabel *m_liveLine = nullptr;
    QLabel *m_kneeLine = nullptr;

    // views
    LoadHistogram *m_fpsHist = nullptr;
    LoadHistogram *m_jitterHist = nullptr;
    LoadHistogram *m_bufferedHist = nullptr;
    LoadKneeChart *m_knee = nullptr;
    QTableView *m_table = nullptr;
    LoadCallsModel *m_callsModel = nullptr;
    QLabel *m_details = nullptr;
    TimeSeriesPlot *m_callFps = nullptr;
    TimeSeriesPlot *m_callJitter = nullptr;
    QSplitter *m_split = nullptr;

    LoadLiveModel m_model;
    LoadRun m_run;
    std::unique_ptr<LoadEmulator> m_emu;
    std::unique_ptr<LoadReferenceBot> m_refBot;
    provider::Id m_refBotProvider = provider::Id::Twilio; // the protocol m_refBot speaks
    RedrawThrottle *m_throttle = nullptr;
    int m_renders = 0;
    int m_selectedCall = -1;
    int m_shownHistoryOf = -1; // the call whose history the plots hold
    double m_shownUntil = -1;  // ... up to this second of the step
    bool m_usesSteps = false;
    int m_stepNo = 0;          // steps started in this run
    int m_stepTotal = 0;
    provider::Id m_provider = provider::Id::Twilio;
};

} // namespace pacelab::ui
