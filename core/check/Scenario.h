#pragma once

#include "CheckTypes.h"
#include "CheckUtil.h"
#include "ProfileAudio.h"
#include "Judges.h"
#include "SpeechSynth.h"

#include "emulator/TwilioEmulator.h"
#include "engine/SenderConfig.h"
#include "engine/SenderEngine.h"
#include "session/Session.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <algorithm>
#include <thread>
#include <vector>

#include <functional>
#include <memory>

class QTimer;

namespace pacelab::check {

// What every scenario gets from the runner.
struct RunContext
{
    CheckConfig config;
    SpeechSynthFactory speech; // may be empty: E2/E3 then end in Error
};

// One checklist scenario: drives the real SenderEngine against the real TwilioEmulator (or the
// configured peer) through a Session (the emulator on its own thread, as in the GUI and headless), records what happened into an observation, hands
// it to its judge (Judges.h, pure) and emits finished() once.
// Subclasses implement begin() and call the harness helpers below; teardown (producers, engine,
// emulator) happens after finish*, on a fresh event-loop turn, never inside an engine signal.
class Scenario : public QObject
{
    Q_OBJECT
public:
    Scenario(ScenarioInfo info, RunContext ctx, QObject *parent = nullptr);
    ~Scenario() override;

    const ScenarioInfo &info() const { return m_info; }
    void start();
    void cancel();
    double elapsedSec() const;
    bool isDone() const { return m_done; }

Q_SIGNALS:
    void finished(const pacelab::check::ScenarioResult &result);
    void logMessage(const QString &level, const QString &text);

protected:
    virtual void begin() = 0;
    // Stop and join producer threads here. The tx queue is already closed, so a producer
    // blocked in pushBlocking() has returned.
    virtual void stopProducers() {}

    const CheckConfig &cfg() const { return m_ctx.config; }
    const Thresholds &th() const { return m_ctx.config.thresholds; }
    const Durations &dur() const { return m_ctx.config.durations; }
    const RunContext &ctx() const { return m_ctx; }

    // ---- the provider's audio (20 ms of 8 kHz mu-law for Twilio)
    MediaFormat format() const { return provider::profile(cfg().provider).outboundFormat(); }
    int fps() const { return std::max(1, 1000 / format().frameMs); } // frames per second of audio
    double frameSec() const { return format().frameMs / 1000.0; }
    // The size a producer frames: the format's, or twice it with the glued-frames twin.
    int producerFrameBytes() const { return cfg().broken.frameBytes != 160 ? 2 * format().frameBytes() : format().frameBytes(); }
    // Numbered silence of producerFrameBytes() in the provider's format.
    QByteArray tagged(quint32 number) const;

    // ---- result building (into judgement(); the judges write there too)
    Judgement &judgement() { return m_judgement; }
    void check(const QString &name, bool pass, const QString &measured, const QString &limit);
    void note(const QString &name, const QString &measured); // informational criterion
    void detail(const QString &line);
    void figure(const QString &key, const QJsonValue &value);
    void setLimit(const QString &key, double value);
    void finish(const QString &passSummary = {});
    void finishError(const QString &why);
    void finishSkipped(const QString &why);
    void log(const QString &text, const QString &level = QStringLiteral("info"));

    // Single-shot callback on this object, dropped once the scenario is done.
    void after(double sec, std::function<void()> fn);
    // Repeats fn every `ms` until it returns true (or the scenario is done); gives up after
    // timeoutSec and calls onTimeout.
    void pollUntil(int ms, double timeoutSec, std::function<bool()> fn, std::function<void()> onTimeout);

    // Runs fn on a producer thread. teardown() raises `stop`, closes the tx queue (waking a
    // producer blocked in pushBlocking) and joins it before the engine goes away.
    void runProducer(std::function<void(const std::atomic<bool> &stop)> fn);
    // Runs fn on this scenario's thread, later (from a producer thread); dropped once done.
    void post(std::function<void()> fn);

    // ---- sender harness (S/E scenarios)
    // The engine's defaults with the broken twins applied (fixed-sleep, unbounded queue,
    // pings off). Scenario-specific tweaks go on top.
    SenderConfig senderConfig() const;
    // senderConfig() already in the checklist's provider (SessionConfig::setProvider: its frame
    // interval, bounds in its frames), for a reference bot whose caller then sets a high-water
    // mark in those frames.
    SenderConfig botSenderConfig() const;
    // Creates the session: the engine and (embedded) the emulator on its own thread, and
    // starts streaming per the target mode; calls onStreaming once the engine is Connected
    // (streamSid known). Errors and the connect/listen timeout finish the scenario with Error.
    // upstreamOverride: connect the engine to this 127.0.0.1 port instead of the emulator's
    // (S6's ping tap).
    void openSender(const SenderConfig &sc, std::function<void()> onStreaming,
                    const EmulatorOptions &emuOptions = {},
                    std::function<quint16(quint16 emulatorPort)> upstreamOverride = {});
    // Lower-level pieces of openSender, for scenarios whose engine belongs to a bot:
    // capture an engine's telemetry/warnings/state, or create the session's emulator (on its
    // own thread, neither listening nor connected; its per-second figures are captured into
    // m_rx). nullptr after finishError (the options were refused).
    void attachEngine(SenderEngine *eng, std::function<void()> onStreaming);
    TwilioEmulator *createEmulator(const EmulatorOptions &emuOptions);
    // createEmulator, then listen on 127.0.0.1 (a free port): its URL, or empty after finishError.
    QUrl listenEmulator(const EmulatorOptions &emuOptions);
    SenderEngine *engine() const { return m_eng; }
    // The emulator lives on its own thread: connect to emulator()'s signals, call it only
    // through onEmulator() (runs fn there and waits; nullopt without an emulator).
    TwilioEmulator *emulator() const { return m_live ? m_live->emulator() : nullptr; }
    bool hasEmulator() const { return m_live && m_live->hasEmulator(); }
    QUrl emulatorUrl() const { return m_live ? m_live->emulatorUrl() : QUrl(); }
    template<typename F>
    auto onEmulator(F fn) -> decltype(std::declval<Session &>().onEmulator(std::move(fn)))
    {
        if (!m_live)
            return std::nullopt;
        return m_live->onEmulator(std::move(fn));
    }
    // What the emulator observed (PeerObservation::fromEmulator), taken on its thread.
    PeerObservation peerObservation();
    // Waits until the engine's queues are empty and the peer has had time to receive the
    // last frame (and one more telemetry second has been reported), then calls `then`.
    // judgeAnyway: on timeout, note it and call `then` instead of ending in Error (a broken
    // twin may never drain, and must still fail for its real reason).
    void waitDrained(double timeoutSec, std::function<void()> then, bool judgeAnyway = false);
    // Marks the stretches during which the producer kept the queue fed (a call has several:
    // answer, clear, reply); fps is judged only in whole seconds inside them.
    void markAudioStart();
    void markAudioEnd();
    void addAudioSpan(qint64 startWallMs, qint64 endWallMs);
    // The sender's and the peer's per-second fps in whole seconds inside an audio span.
    // Seconds are matched by wall time.
    QList<int> activeTxFps() const;
    QList<int> activeRxFps() const;
    // Standard figures from the engine's totals and the emulator's analytics.
    void addStandardFigures();

    QList<TxSecond> m_tx;
    QList<RxSecond> m_rx;
    QStringList m_warnings;        // engine warnings during the run
    QList<qint64> m_warningTimesMs; // steady ms since start()
    int m_peerConnections = 0;
    qint64 m_sessionStartWallMs = 0; // emulator: wall time of the client connection
    QStringList m_engineErrors;

    static qint64 wallMs();

private:
    void teardown();
    void emitResult();

    ScenarioInfo m_info;
    RunContext m_ctx;
    ScenarioResult m_result;
    Judgement m_judgement;
    QElapsedTimer m_clock;
    bool m_done = false;
    bool m_streaming = false;
    std::unique_ptr<Session> m_live; // engine and/or emulator of this scenario
    SenderEngine *m_eng = nullptr;   // m_live's engine, or a bot's engine
    std::unique_ptr<CpuLoad> m_load;
    std::atomic<bool> m_stopProducers{false};
    std::vector<std::thread> m_producers;
    QList<QPair<qint64, qint64>> m_spans; // wall ms; end 0 = still open
    QString m_lastState;
};

// Mu-law frames of `bytes` each (default 20 ms) from PCM16 at 8 kHz, for producers that do
// not need resampling.
QList<QByteArray> frameMulaw8k(const QVector<qint16> &pcm8k, int bytes = 160);

} // namespace pacelab::check
