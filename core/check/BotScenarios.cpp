// B1-B5, the test-your-bot set: PaceLab's emulator calls a bot like the provider (Twilio by
// default, any profile with --provider) does and judges what comes back. Without --bot the
// target is PaceLab's own reference bot (SenderEngine + TTS), speaking the same profile.
#include "Scenarios.h"

#include "ProfileAudio.h"
#include "ReferenceBot.h"
#include "SpeechTexts.h"

#include <QJsonArray>

#include <algorithm>

namespace pacelab::check {

namespace {

class BotCheck final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        const QString id = info().id;
        if (id == QLatin1String("B4"))
            prepareCallerSpeech();
        if (!cfg().botUrl.isEmpty()) {
            detail(QStringLiteral("bot under test: %1").arg(cfg().botUrl.toString()));
            return startSession(cfg().botUrl);
        }
        // The built-in reference bot, with the broken twins applied to it.
        BotOptions bo;
        bo.provider = cfg().provider;
        bo.sender = botSenderConfig();
        if (bo.sender.queueCapacity > 0)
            bo.sender.highWater = std::min(std::max(1, 160 / format().frameMs), bo.sender.queueCapacity);
        bo.neverClears = cfg().broken.botNeverClears;
        bo.ignoreBackPressure = cfg().broken.ignoreBackPressure;
        bo.frameBytes = cfg().broken.frameBytes;
        bo.greeting = shortSentences() + shortSentences(); // talks through the session, a mark every second or so
        m_bot = new ReferenceBot(bo, ctx().speech, this);
        QString error;
        if (!m_bot->prepare(&error))
            return finishError(QStringLiteral("built-in reference bot: %1").arg(error));
        connect(m_bot, &ReferenceBot::failed, this, [this](const QString &why) { finishError(why); });
        attachEngine(m_bot->engine(), {});
        connect(m_bot->engine(), &SenderEngine::stateChanged, this, [this](SenderEngine::State st, const QString &) {
            if (st != SenderEngine::Listening || m_sessionAsked)
                return;
            m_sessionAsked = true;
            QUrl url;
            url.setScheme(QStringLiteral("ws"));
            url.setHost(QStringLiteral("127.0.0.1"));
            url.setPort(m_bot->engine()->listeningPort());
            url.setPath(QStringLiteral("/"));
            detail(QStringLiteral("bot under test: PaceLab's built-in reference bot (SenderEngine + espeak-ng) on %1, speaking %2")
                       .arg(url.toString(), describeProvider(cfg().provider)));
            startSession(url);
        });
        m_bot->listen(QHostAddress::LocalHost, 0);
        after(dur().connectTimeoutSec, [this] {
            if (!m_sessionAsked)
                finishError(QStringLiteral("the reference bot did not start listening"));
        });
    }

    void stopProducers() override
    {
        delete m_bot;
        m_bot = nullptr;
    }

private:
    void prepareCallerSpeech()
    {
        if (!ctx().speech)
            return; // a tone then
        auto synth = ctx().speech();
        QString error;
        if (!synth || !synth->initialize(&error))
            return;
        m_callerSpeech.sampleRate = synth->sampleRate();
        synth->synthesizeStreaming(callerBargeInText(), [this](const qint16 *s, int n) {
            m_callerSpeech.samples.append(QVector<qint16>(s, s + n));
            return true;
        }, &error);
    }

    void startSession(const QUrl &url)
    {
        EmulatorOptions eo;
        eo.provider = cfg().provider;
        eo.caller = CallerAudio::silence();
        eo.caFile = cfg().caFile;
        eo.connectTimeoutMs = int(dur().connectTimeoutSec * 1000);
        TwilioEmulator *emu = createEmulator(eo);
        if (!emu)
            return;
        // Media the emulator refuses never reaches its analytics: count it here, with the
        // reason, so B2-B5 can say "all N media messages rejected: <why>" instead of "no audio".
        // The tap runs on the emulator's thread; m_rejected is read there too (judge()).
        m_rejected.provider = cfg().provider;
        onEmulator([this](TwilioEmulator &e) {
            TwilioEmulator *self = &e;
            e.setMessageTap([this, self](qint64, bool fromBot, bool binary, const QByteArray &data) {
                if (!fromBot)
                    return;
                m_rejected.observe(binary, data, self->options().checkStreamSid ? self->streamSid() : QString());
            });
            return true;
        });
        connect(emu, &TwilioEmulator::sessionStarted, this, [this] { onSession(); });
        connect(emu, &TwilioEmulator::errorOccurred, this, [this, url](const QString &e) {
            if (!m_session)
                finishError(QStringLiteral("cannot stream to the bot at %1: %2").arg(url.toString(), e));
            else
                detail(QStringLiteral("emulator: %1").arg(e));
        });
        connect(emu, &TwilioEmulator::clientDisconnected, this, [this](const QString &reason) {
            if (m_session && !m_judged)
                detail(QStringLiteral("the bot closed the stream after %1 s: %2").arg(elapsedSec(), 0, 'f', 1).arg(reason));
        });
        const QString refused = onEmulator([url, eo](TwilioEmulator &e) {
                                    return e.connectToBot(url, eo) ? QString() : e.errorString();
                                }).value_or(QStringLiteral("the emulator thread is not running"));
        if (!refused.isEmpty())
            return finishError(QStringLiteral("cannot call the bot at %1: %2").arg(url.toString(), refused));
        after(dur().connectTimeoutSec + 1, [this, url] {
            if (!m_session)
                finishError(QStringLiteral("the bot at %1 did not take the stream within %2 s").arg(url.toString()).arg(dur().connectTimeoutSec));
        });
    }

    void onSession()
    {
        if (m_session)
            return;
        m_session = true;
        if (info().id == QLatin1String("B4"))
            after(std::min(2.5, dur().botSec / 3), [this] { bargeIn(); });
        after(dur().botSec, [this] {
            // Marks still waiting for their audio to play get a moment (B5).
            const auto pending = onEmulator([](TwilioEmulator &e) {
                return std::pair{e.playout().marksPending(), e.playout().bufferedSec()};
            });
            if (info().id == QLatin1String("B5") && pending && pending->first > 0)
                after(std::min(1.5, pending->second + 0.3), [this] { judge(); });
            else
                judge();
        });
    }

    void bargeIn()
    {
        const PcmBuffer speech = m_callerSpeech;
        const bool ok = onEmulator([speech](TwilioEmulator &e) {
                            return speech.samples.isEmpty() ? e.startBargeInTone(1200, 440.0, -10.0, 2000)
                                                            : e.startBargeIn(speech, 2000);
                        }).value_or(false);
        if (!ok)
            detail(QStringLiteral("the emulator refused the barge-in probe (stream not running?)"));
        else
            m_bargeAtMs = wallMs();
    }

    void judge()
    {
        if (m_judged)
            return;
        m_judged = true;
        BotObservation o;
        o.id = info().id;
        o.provider = cfg().provider;
        o.sessionSec = dur().botSec;
        const auto peer = onEmulator([this](TwilioEmulator &e) {
            PeerObservation p = PeerObservation::fromEmulator(e);
            p.rejected = m_rejected; // written by the tap on that thread
            return p;
        });
        o.peer = peer.value_or(PeerObservation());
        o.bargeInAtSec = std::min(2.5, dur().botSec / 3);
        o.sinceBargeInSec = m_bargeAtMs > 0 ? (wallMs() - m_bargeAtMs) / 1000.0 : 0.0;
        if (m_bot) {
            o.knowsMarksSent = true;
            o.marksSent = m_bot->marksSent();
        }
        judgeBot(o, th(), judgement());
        addStandardFigures();
        finish();
    }

    ReferenceBot *m_bot = nullptr;
    RejectedMedia m_rejected;
    PcmBuffer m_callerSpeech;
    qint64 m_bargeAtMs = 0;
    bool m_sessionAsked = false;
    bool m_session = false;
    bool m_judged = false;
};

} // namespace

Scenario *createBotScenario(const ScenarioInfo &info, const RunContext &ctx, QObject *parent)
{
    return new BotCheck(info, ctx, parent);
}

} // namespace pacelab::check
