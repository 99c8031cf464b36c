#pragma once

#include "engine/DeadlineWheel.h"
#include "engine/SenderConfig.h"
#include "engine/StreamState.h"
#include "engine/TelemetryAccumulator.h"
#include "engine/TelemetrySinks.h"

#include <QObject>
#include <QUrl>

#include <memory>
#include <vector>

class QTimer;

namespace pacelab {

class MultiStreamSender;

// MultiStreamSender's sender thread: the wheel's single precise timer, every stream's state,
// the per-second telemetry across streams. Driven only through the facade's ThreadCaller.
class MultiStreamWorker final : public QObject, private StreamHost
{
    Q_OBJECT
public:
    MultiStreamWorker(SenderConfig cfg, int phases, MultiStreamSender *facade);
    ~MultiStreamWorker() override;

    void addStream(std::shared_ptr<StreamShared> shared, const QUrl &url, const QString &streamSid);
    void handleClear(int stream);
    void stop();
    void shutdown();
    void resetTotals();

private:
    // StreamHost
    void streamLog(const StreamState &s, const QString &level, const QString &text) override;
    void streamStarted(StreamState &s) override;
    void streamEnded(StreamState &s) override;
    void streamMark(const StreamState &s, const QString &name, bool echoed) override;
    TelemetryAccumulator &aggregate() override { return m_all; }

    void ensureSetup();
    void arm();
    void onClockTimer();
    void onTelemetryTimer();
    void publish();

    SenderConfig m_cfg;
    MultiStreamSender *m_facade;
    DeadlineWheel m_wheel;
    std::vector<std::unique_ptr<StreamState>> m_streams; // by id
    QTimer *m_clockTimer = nullptr;
    QTimer *m_telemetryTimer = nullptr;
    TelemetryAccumulator m_all; // every stream's frames: the whole-run lateness histogram
    TelemetrySinks m_sinks;
    quint64 m_ticks = 0;
    qint64 m_cpuBaseUs = 0;
    quint64 m_secTicks = 0;
    qint64 m_secondIndex = 0;
};

} // namespace pacelab
