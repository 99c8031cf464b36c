#pragma once

#include "provider/Provider.h"

#include <QObject>
#include <QUrl>
#include <memory>

namespace pacelab {
class SenderEngine;
}
namespace pacelab::audioio {
class FrameProducer;
}

namespace pacelab::ui {

// The "bypass the clock" bad-bot demo: a bot on 127.0.0.1 built on PaceLab's own sender with
// SenderConfig::bypassClock (each frame sent the moment it is queued, no 20 ms clock), saying
// 8 s of tone once Twilio — here the emulator of test-a-bot mode — starts the stream. At Twilio
// the 8 s arrive within a fraction of a second: buffered audio jumps to seconds, and a barge-in
// leaves it playing.
class BadBotDemo : public QObject
{
    Q_OBJECT
public:
    explicit BadBotDemo(QObject *parent = nullptr);
    ~BadBotDemo() override;

    bool start(QString *error); // listening; url() is where test-a-bot mode calls it
    void stop();
    bool isRunning() const { return m_engine != nullptr; }
    QUrl url() const { return m_url; }
    // The protocol the demo bot speaks from its next start (the window's provider).
    void setProvider(provider::Id id) { m_provider = id; }

private:
    std::unique_ptr<SenderEngine> m_engine;
    std::unique_ptr<audioio::FrameProducer> m_producer;
    QUrl m_url;
    provider::Id m_provider = provider::Id::Twilio;
};

} // namespace pacelab::ui
