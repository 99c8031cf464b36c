#pragma once

#include "doctor/LogDoctor.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTextBrowser;
class QThread;
class QTimer;

namespace pacelab::doctor {
class Follower;
}

namespace pacelab::ui {

class TimeSeriesPlot;

// The "Log doctor" tab: paste (or load) log lines with per-second sender metrics, and see what
// core's LogDoctor makes of them — the diagnoses with their cited lines, and the series plotted.
// UI only: every judgement is core's. A loaded file is streamed through the doctor on a worker
// thread (bounded memory whatever its size), never read whole.
class DoctorTab final : public QWidget
{
    Q_OBJECT
public:
    explicit DoctorTab(QWidget *parent = nullptr);
    ~DoctorTab() override;

    // Diagnoses the paste box's text (the Diagnose button).
    void diagnose();
    // Streams the file through the doctor in the background; false when a file is already
    // being read. reportShown() follows.
    bool loadFile(const QString &path);
    void cancelLoad();
    // Follows a growing log file (polled twice a second): the report and the list of verdict
    // changes update as lines are appended. false when the file cannot be followed.
    bool followFile(const QString &path);
    void stopFollowing();
    bool isFollowing() const { return m_follower != nullptr; }
    // Reads what was appended since the last poll (the timer calls it; tests may too).
    void pollFollowed();
    const QStringList &verdictChanges() const { return m_verdicts; }
    bool isBusy() const { return m_thread != nullptr; }

    QPlainTextEdit *pasteBox() const { return m_paste; }
    QPushButton *diagnoseButton() const { return m_diagnose; }
    QPushButton *loadButton() const { return m_load; }
    QTextBrowser *resultView() const { return m_result; }
    TimeSeriesPlot *fpsPlot() const { return m_fpsPlot; }
    TimeSeriesPlot *queuePlot() const { return m_queuePlot; }
    TimeSeriesPlot *dropsPlot() const { return m_dropsPlot; }
    bool hasReport() const { return m_hasReport; }
    const doctor::Report &lastReport() const { return m_report; }

Q_SIGNALS:
    void reportShown();

private:
    struct FileJob;

    void chooseFile();
    void onFileJobDone();
    void updateProgress();
    void showReport(const doctor::Report &report, const QString &source);
    void plotReport(const doctor::Report &report);
    void setBusy(bool busy);

    QPlainTextEdit *m_paste = nullptr;
    QPushButton *m_load = nullptr;
    QPushButton *m_diagnose = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_follow = nullptr;
    QTimer *m_followTimer = nullptr;
    std::unique_ptr<doctor::Follower> m_follower;
    QString m_followPath;
    qint64 m_followPos = 0;
    QStringList m_verdicts;
    QLabel *m_status = nullptr;
    QTextBrowser *m_result = nullptr;
    TimeSeriesPlot *m_fpsPlot = nullptr;
    TimeSeriesPlot *m_queuePlot = nullptr;
    TimeSeriesPlot *m_dropsPlot = nullptr;
    QTimer *m_progressTimer = nullptr;
    QThread *m_thread = nullptr;
    std::shared_ptr<FileJob> m_job;
    doctor::Report m_report;
    bool m_hasReport = false;
    QString m_lastDir;
};

} // namespace pacelab::ui
