#pragma once

#include "emulator/EmulatorTypes.h"
#include "engine/Telemetry.h"

#include <QElapsedTimer>
#include <QWidget>

class QLabel;
class QPushButton;

namespace pacelab::ui {

class TimeSeriesPlot;

// The six live charts (last 60 s) and the telemetry status line. Time is seconds since the
// window opened, so charts keep one axis across reconnects.
class ChartsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ChartsPanel(QWidget *parent = nullptr);

    void setQueueLimits(int capacity, int highWater);
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

Q_SIGNALS:
    void pausedChanged(bool paused);

private:
    double now() const { return m_clock.elapsed() / 1000.0; }

    TimeSeriesPlot *m_fps = nullptr;
    TimeSeriesPlot *m_queue = nullptr;
    TimeSeriesPlot *m_drops = nullptr;
    TimeSeriesPlot *m_lateness = nullptr;
    TimeSeriesPlot *m_buffered = nullptr;
    TimeSeriesPlot *m_underruns = nullptr;
    QList<TimeSeriesPlot *> m_plots;
    QWidget *m_grid = nullptr;
    QLabel *m_txLine = nullptr;
    QLabel *m_rxLine = nullptr;
    QElapsedTimer m_clock;
    bool m_paused = false;
    bool m_limitsSet = false;
};

} // namespace pacelab::ui
