#include "BadBotDemo.h"

#include "FramerFormat.h"

#include "audio/SignalGenerator.h"
#include "audioio/FrameProducer.h"
#include "audioio/PcmSource.h"
#include "engine/SenderEngine.h"

#include <QTcpServer>

namespace pacelab::ui {

BadBotDemo::BadBotDemo(QObject *parent)
    : QObject(parent)
{
}

BadBotDemo::~BadBotDemo()
{
    stop();
}

bool BadBotDemo::start(QString *error)
{
    stop();
    // A free loopback port: the engine listens on a given port only.
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        *error = tr("Bad-bot demo: no free port on 127.0.0.1: %1").arg(probe.errorString());
        return false;
    }
    const quint16 port = probe.serverPort();
    probe.close();

    SenderConfig cfg;
    cfg.bypassClock = true;
    cfg.provider = m_provider;
    cfg.frameIntervalUs = provider::profile(m_provider).outboundFormat().frameUs();
    cfg.stopMode = SenderConfig::StopMode::Discard;
    m_engine = std::make_unique<SenderEngine>(cfg);
    m_engine->listen(QHostAddress::LocalHost, port);
    m_url = QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port));

    // The bot's answer: 8 s of a 440 Hz tone, produced as fast as the queue takes it.
    PcmBuffer pcm;
    pcm.sampleRate = kTwilioRate;
    pcm.channels = 1;
    pcm.samples = signal::sine(kTwilioRate, 8.0, 440.0, -12.0);
    m_producer = std::make_unique<audioio::FrameProducer>(
        std::make_unique<audioio::BufferSource>(tr("bad bot speech"), audioio::BufferSource::fromBuffer(pcm)),
        m_engine->queue(), audioio::FrameProducer::Policy::BackPressure);
    useFramerFormat(m_producer.get(), provider::profile(m_provider).outboundFormat());
    m_producer->start();
    return true;
}

void BadBotDemo::stop()
{
    if (m_producer) {
        m_producer->stop();
        m_producer.reset();
    }
    if (m_engine) {
        m_engine->stop();
        m_engine.reset();
    }
}

} // namespace pacelab::ui
