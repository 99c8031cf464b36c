#pragma once

#include "SpeechSynth.h"

#include "engine/SenderConfig.h"
#include "engine/SenderEngine.h"
#include "session/Session.h"

#include <QHostAddress>
#include <QObject>
#include <QPair>
#include <QStringList>
#include <QUrl>

#include <atomic>
#include <memory>
#include <thread>

namespace pacelab::check {

struct BotOptions
{
    // The protocol the bot speaks: what it parses, how it frames and sends its audio
    // (outboundFormat(), paced at its frameMs) and how its marks and clears look.
    provider::Id provider = provider::Id::Twilio;
    SenderConfig sender;          // highWater low (8 frames): conversational latency
    bool neverClears = false;     // broken twin: ignores barge-in
    bool ignoreBackPressure = false; // broken twin: drop-oldest pushes at synthesis speed
    int frameBytes = 160;         // broken twin: more than 160 = two of the format's frames glued together
    double speechDbfs = -40.0;    // caller speech detector: level of an inbound frame ...
    int speechFrames = 2;         // ... in this many frames in a row
    int quietMsToEndTurn = 600;   // the caller's turn ends after this much quiet
    QStringList greeting;         // said on connect, one mark after each sentence
    QStringList reply;            // said once the caller's turn ends
    bool marks = true;
};

// A voice bot built on SenderEngine, as the checklist's E3 and the built-in target of the
// test-your-bot set: greets with TTS through the back-pressured queue, watches the caller's
// inbound audio for speech and on barge-in stops its producer and clears (engine.clear() ->
// the provider's clear), then replies. Speaks any provider profile: frames its TTS in the
// profile's outbound format and reads what the provider sends with parseFromProvider (binary
// frames too, through the engine's message tap). Lives in the caller's thread; TTS runs on its
// own thread.
class ReferenceBot final : public QObject
{
    Q_OBJECT
public:
    ReferenceBot(BotOptions options, SpeechSynthFactory speech, QObject *parent = nullptr);
    ~ReferenceBot() override;

    bool prepare(QString *error); // creates and initialises the TTS; false with the reason
    void connectTo(const QUrl &url);
    void listen(const QHostAddress &addr, quint16 port);
    SenderEngine *engine() const { return m_engine; } // nullptr when prepare() fails on the config

    bool isSpeaking() const { return m_speaking; }
    int clearsSent() const { return m_clears; }
    qint64 callerSpeechWallMs() const { return m_callerSpeechWallMs; } // first detection, 0 = none
    qint64 clearWallMs() const { return m_clearWallMs; }               // first clear, 0 = none
    QList<QPair<qint64, qint64>> speechSpans() const { return m_spans; } // wall ms; end 0 = open
    QStringList marksSent() const { return m_marks; }
    double speechQueuedSec() const { return m_framesQueued.load() * m_format.frameMs / 1000.0; }
    const MediaFormat &format() const { return m_format; } // what it sends

Q_SIGNALS:
    void streaming();
    void callerSpeechStarted();
    void callerSpeechEnded();
    void cleared();
    void turnStarted(int turn);
    void turnFinished(int turn); // the turn's audio has left the queues
    void failed(const QString &why);
    void logMessage(const QString &level, const QString &text);

private:
    void speak(const QStringList &sentences);
    void stopSpeaking(bool clearPeer);
    void joinProducer();
    void onPeerMessage(const QByteArray &data, bool binary);
    void onProducerDone(int turn, bool aborted, const QString &error);

    BotOptions m_opt;
    MediaFormat m_format;
    SpeechSynthFactory m_factory;
    std::unique_ptr<SpeechSynth> m_synth;
    std::unique_ptr<Session> m_session; // the bot's engine, assembled like every other
    QString m_sessionError;
    SenderEngine *m_engine = nullptr;   // m_session's
    std::thread m_producer;
    std::atomic<bool> m_abort{false};
    std::atomic<qint64> m_framesQueued{0};
    bool m_streaming = false;
    bool m_speaking = false;
    int m_turn = -1;
    bool m_replied = false;
    // caller speech detector
    int m_loudRun = 0;
    int m_quietMs = 0;
    bool m_callerTalking = false;
    qint64 m_callerSpeechWallMs = 0;
    qint64 m_clearWallMs = 0;
    int m_clears = 0;
    QList<QPair<qint64, qint64>> m_spans;
    QStringList m_marks;
};

} // namespace pacelab::check
