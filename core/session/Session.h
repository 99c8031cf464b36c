#pragma once

#include "emulator/TwilioEmulator.h"
#include "engine/SenderEngine.h"
#include "session/SessionConfig.h"
#include "util/ThreadCaller.h"

#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <QUrl>

#include <memory>
#include <optional>

namespace pacelab {

namespace capture {
class CaptureWriter;
}

// One streaming session, assembled in one place: the sender engine (its own thread), the
// optional built-in Twilio emulator (on a thread of its own too, so the arrival times it judges
// never depend on how busy the owner's thread is), the capture tap and the validated
// SessionConfig. Headless, `replay --send`, the GUI, the check scenarios and the pacing bench all
// stream through it. The Session itself lives on its owner's thread (GUI, main, a scenario's).
//
// The emulator is a worker object moved to emulatorThread(): connect to its signals (they arrive
// queued on the receiver's thread), but call it only through onEmulator().
class Session final : public QObject
{
    Q_OBJECT
public:
    // Validates cfg and opens the capture file; nullptr with *error on a bad value or an
    // unwritable capture. The engine is created on first use (engine()): a session that only
    // tests a bot never starts a sender thread.
    static std::unique_ptr<Session> create(SessionConfig cfg, QString *error, QObject *parent = nullptr);
    ~Session() override; // ends the engine (queued audio discarded), then the emulator; closes the capture

    const SessionConfig &config() const { return m_cfg; }

    // ---- sender
    SenderEngine *engine();
    // Stops the engine (drain or discard, per config) and waits, serving events, until it is
    // Idle or Error or waitMs pass. false on the timeout.
    bool stopEngine(int waitMs);

    // ---- emulator
    // A fresh emulator (config().emulator) on a fresh thread, neither listening nor connected:
    // for owners that set it up further through onEmulator() first. Stops the previous one.
    TwilioEmulator *createEmulator();
    // createEmulator(), then listenEmulator().
    bool startEmulator(QString *error);
    // The emulator listens on 127.0.0.1 (a free port, see emulatorUrl()). On failure it is stopped.
    bool listenEmulator(QString *error);
    // Test-your-bot: the emulator on its thread calls the bot at url, like Twilio.
    bool startEmulatorToBot(const QUrl &url, const EmulatorOptions &options, QString *error);
    // startEmulator(), then the engine connects to it.
    bool connectToEmulator(QString *error);
    void stopEmulator(); // stops it (a `stop` is sent when streaming) and joins its thread
    // The emulator reads on its own thread: after the sender stopped it may still be counting
    // the last frames written. Waits (serving events) until it has received `frames` media
    // frames or waitMs pass; false on the timeout or without an emulator.
    bool waitEmulatorFrames(qint64 frames, int waitMs);
    bool hasEmulator() const { return m_emulator != nullptr; }
    TwilioEmulator *emulator() const { return m_emulator; } // for connect() only
    QThread *emulatorThread() const { return m_emuThread.get(); }
    QUrl emulatorUrl() const { return m_emuUrl; }

    // Runs fn(emulator) on the emulator's thread and waits for its result; nullopt when there
    // is no emulator. Never call it from the emulator's thread (a slot of its signals connected
    // with Qt::DirectConnection).
    template<typename F>
    auto onEmulator(F fn) -> std::optional<decltype(fn(std::declval<TwilioEmulator &>()))>
    {
        if (!m_emulator || !m_emuCaller)
            return std::nullopt;
        TwilioEmulator *emu = m_emulator;
        return m_emuCaller->call([emu, fn = std::move(fn)]() mutable { return fn(*emu); });
    }

    // ---- capture
    bool hasCapture() const { return bool(m_capture); }
    // Closes the capture (moves <path>.part to <path>); the records written, or -1 with *error.
    qint64 closeCapture(QString *error);

private:
    explicit Session(SessionConfig cfg, QObject *parent);

    struct ThreadStopper
    {
        void operator()(QThread *t) const;
    };

    SessionConfig m_cfg;
    std::shared_ptr<capture::CaptureWriter> m_capture;
    std::unique_ptr<SenderEngine> m_engine;
    std::unique_ptr<QThread, ThreadStopper> m_emuThread;
    QPointer<TwilioEmulator> m_emulator;
    ThreadCaller *m_emuCaller = nullptr; // child of the emulator: runs our calls on its thread
    QUrl m_emuUrl;
};

} // namespace pacelab
