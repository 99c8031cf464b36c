#pragma once

#include "replay/Replay.h"

#include <QString>
#include <QWidget>

#include <memory>

class QLabel;
class QPushButton;
class QTextBrowser;
class QThread;
class QTimer;

namespace pacelab::ui {

class TimeSeriesPlot;

// The "Replay" tab: open a recorded call (PaceLab capture, Twilio-style JSON Lines dump or WAV),
// run core's replay analysis (the emulator's arrival analytics and playout model on the
// recorded timestamps) and show its summary, verdicts and per-second charts. UI only; loading
// and analysing run on a worker thread so a long capture does not freeze the window.
class ReplayTab final : public QWidget
{
    Q_OBJECT
public:
    explicit ReplayTab(QWidget *parent = nullptr);
    ~ReplayTab() override;

    // Loads and analyses in the background; false when a file is already being read.
    bool openFile(const QString &path);
    bool isBusy() const { return m_thread != nullptr; }

    QPushButton *openButton() const { return m_open; }
    QTextBrowser *resultView() const { return m_result; }
    TimeSeriesPlot *fpsPlot() const { return m_fpsPlot; }
    TimeSeriesPlot *bufferedPlot() const { return m_bufferedPlot; }
    bool lastOk() const { return m_lastOk; }
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void resultShown();

private:
    struct Job;

    void chooseFile();
    void onJobDone();
    void updateProgress();
    void plotAnalysis(const replay::Analysis &a);

    QPushButton *m_open = nullptr;
    QLabel *m_status = nullptr;
    QTextBrowser *m_result = nullptr;
    TimeSeriesPlot *m_fpsPlot = nullptr;
    TimeSeriesPlot *m_bufferedPlot = nullptr;
    QTimer *m_progressTimer = nullptr;
    QThread *m_thread = nullptr;
    std::shared_ptr<Job> m_job;
    bool m_lastOk = false;
    QString m_lastError;
    QString m_lastDir;
};

} // namespace pacelab::ui
