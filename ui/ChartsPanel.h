#pragma once

#include "emulator/EmulatorTypes.h"
#include "engine/Telemetry.h"

#include <QElapsedTimer>
#include <QWidget>

class QLabel;
class QPushButton;
class QTabWidget;

namespace pacelab::ui {

class TimeSeriesPlot;

// The six live charts (last 60 s) and the telemetry status line. Time is seconds since the
// window opened, so charts keep one axis across reconnects.
// The charts reflow with the space they get: 3x2, 2x3, or pages of fewer charts behind tabs,
// never a chart below its readable size (kMinCell). Charts of a side this mode does not have
// (PaceLab's sender in test-a-bot mode, Twilio's side with no emulator) are left out.
class ChartsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ChartsPanel(QWidget *parent = nullptr);

    void setQueueLimits(int capacity, int highWater);
    // Who receives the audio ("Vonage": "Buffered at Vonage") and the profile's frame duration
    // (real time is 1000 / frameMs frames per second: 50 for 20 ms, 10 for Exotel's 100 ms).
    void setProvider(const QString &peer, int frameMs);
    // false: the emulator charts say why they are empty (not in this mode).
    void setReceiverAvailable(bool available, const QString &why = {});
    void setSenderAvailable(bool available, const QString &why = {});

    void addTx(const pacelab::TelemetrySnapshot &s);
    void addRx(const pacelab::PerSecondRx &rx);
    void addTxAt(double t, const pacelab::TelemetrySnapshot &s);
    void addRxAt(double t, const pacelab::PerSecondRx &rx);

    void setPaused(bool paused);
    // A new session: the charts show one session, from its start.
    void clear();
    bool isPaused() const { return m_paused; }
    bool exportPng(const QString &path, QString *error);
    bool exportCsv(const QString &path, QString *error) const;
    QString csv() const;
    QList<TimeSeriesPlot *> plots() const { return m_plots; }
    QString statusLine() const;
    int pointCount() const;
    // The current arrangement: columns, rows and pages of the visible charts.
    int columns() const { return m_cols; }
    int rowsPerPage() const { return m_rows; }
    int pageCount() const;
    QTabWidget *chartPages() const { return m_tabs; }
    // Every chart's text that does not fit (titles, legends, empty-state), for the layout tests.
    QStringList clippedTexts() const;

Q_SIGNALS:
    void pausedChanged(bool paused);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    double now() const { return m_clock.elapsed() / 1000.0; }
    void relayout(bool force = false);

    TimeSeriesPlot *m_fps = nullptr;
    TimeSeriesPlot *m_queue = nullptr;
    TimeSeriesPlot *m_drops = nullptr;
    TimeSeriesPlot *m_lateness = nullptr;
    TimeSeriesPlot *m_buffered = nullptr;
    TimeSeriesPlot *m_underruns = nullptr;
    QList<TimeSeriesPlot *> m_plots;
    QWidget *m_grid = nullptr; // holds the pages; exported as PNG
    QTabWidget *m_tabs = nullptr;
    QList<QWidget *> m_pageWidgets;
    QList<QString> m_shortNames;
    bool m_senderVisible = true;
    bool m_receiverVisible = true;
    int m_cols = 0;
    int m_rows = 0;
    int m_perPage = 0;
    QLabel *m_txLine = nullptr;
    QLabel *m_rxLine = nullptr;
    QElapsedTimer m_clock;
    bool m_paused = false;
    bool m_limitsSet = false;
    int m_capacity = 0;
    int m_highWater = 0;
};

} // namespace pacelab::ui
