#include "ScenarioRunner.h"

#include "Scenarios.h"

#include <QTimer>

namespace pacelab::check {

ScenarioRunner::ScenarioRunner(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<pacelab::check::ScenarioResult>();
    qRegisterMetaType<QList<pacelab::check::ScenarioResult>>();
    m_progress = new QTimer(this);
    m_progress->setInterval(250);
    connect(m_progress, &QTimer::timeout, this, [this] {
        if (m_current)
            Q_EMIT progress(m_currentInfo.id, m_current->elapsedSec(), m_currentInfo.expectedDurationSec);
    });
}

ScenarioRunner::~ScenarioRunner()
{
    delete m_current; // joins its threads
}

QList<ScenarioInfo> ScenarioRunner::available()
{
    return scenarioCatalog(Durations());
}

QList<ScenarioInfo> ScenarioRunner::available(const Durations &durations)
{
    return scenarioCatalog(durations);
}

QStringList ScenarioRunner::defaultIds()
{
    QStringList ids;
    for (const ScenarioInfo &i : available())
        if (!i.botSet)
            ids << i.id;
    return ids;
}

QStringList ScenarioRunner::botIds()
{
    QStringList ids;
    for (const ScenarioInfo &i : available())
        if (i.botSet)
            ids << i.id;
    return ids;
}

bool ScenarioRunner::isKnown(const QString &id)
{
    for (const ScenarioInfo &i : available())
        if (i.id == id)
            return true;
    return false;
}

QString ScenarioRunner::checkApplicable(const QStringList &ids, const CheckConfig &cfg)
{
    const QStringList bots = botIds();
    QStringList senderIds, botOnes;
    for (const QString &id : ids) {
        if (!isKnown(id))
            return QStringLiteral("unknown scenario '%1' (known: %2)")
                .arg(id, (defaultIds() + bots).join(QLatin1Char(',')));
        (bots.contains(id) ? botOnes : senderIds) << id;
    }
    if (cfg.mode == TargetMode::Bot && !senderIds.isEmpty())
        return QStringLiteral("%1 drive%2 PaceLab's own sender; with --bot only the test-your-bot set (%3) applies")
            .arg(senderIds.join(QLatin1Char(',')), senderIds.size() == 1 ? QStringLiteral("s") : QString(),
                 bots.join(QLatin1Char(',')));
    if ((cfg.mode == TargetMode::Target || cfg.mode == TargetMode::Listen) && !botOnes.isEmpty())
        return QStringLiteral("%1 test%2 a bot with PaceLab's emulator; use --bot ws://... (or no target for the "
                              "built-in reference bot), not --%3")
            .arg(botOnes.join(QLatin1Char(',')), botOnes.size() == 1 ? QStringLiteral("s") : QString(),
                 cfg.mode == TargetMode::Target ? QStringLiteral("target") : QStringLiteral("listen"));
    return {};
}

void ScenarioRunner::setSpeechSynthFactory(SpeechSynthFactory factory)
{
    m_speech = std::move(factory);
}

void ScenarioRunner::run(const QStringList &ids, const CheckConfig &cfg)
{
    if (m_running) {
        Q_EMIT logMessage(QStringLiteral("warning"), QStringLiteral("checklist already running; run() ignored"));
        return;
    }
    m_running = true;
    m_cancelled = false;
    m_cfg = cfg;
    // fps target and frame size follow the provider's frame (50 fps of 160 B for Twilio).
    m_cfg.thresholds = cfg.thresholds.forFormat(provider::profile(cfg.provider).outboundFormat());
    m_results.clear();
    m_queue.clear();
    for (const QString &id : ids)
        if (!m_queue.contains(id))
            m_queue << id;
    // Start from the event loop, so a caller connecting after run() still sees every signal.
    QTimer::singleShot(0, this, &ScenarioRunner::startNext);
}

void ScenarioRunner::cancel()
{
    if (!m_running)
        return;
    m_cancelled = true;
    if (m_current)
        m_current->cancel();
    else
        QTimer::singleShot(0, this, &ScenarioRunner::startNext);
}

void ScenarioRunner::startNext()
{
    if (m_current)
        return;
    if (m_queue.isEmpty())
        return finishAll();
    const QString id = m_queue.takeFirst();
    ScenarioInfo info;
    for (const ScenarioInfo &i : available(m_cfg.durations))
        if (i.id == id)
            info = i;

    auto skip = [&](Verdict v, const QString &why) {
        ScenarioResult r;
        r.id = id;
        r.title = info.title.isEmpty() ? QStringLiteral("unknown scenario") : info.title;
        r.verdict = v;
        r.reason = why;
        Q_EMIT scenarioStarted(id);
        m_results << r;
        Q_EMIT scenarioFinished(r);
        QTimer::singleShot(0, this, &ScenarioRunner::startNext);
    };
    if (m_cancelled)
        return skip(Verdict::Skipped, QStringLiteral("cancelled before it started"));
    if (info.id.isEmpty())
        return skip(Verdict::Error, QStringLiteral("unknown scenario '%1'").arg(id));
    const QString notHere = checkApplicable({id}, m_cfg);
    if (!notHere.isEmpty())
        return skip(Verdict::Skipped, notHere);

    RunContext ctx{m_cfg, m_speech};
    Scenario *sc = createScenario(id, ctx, this);
    if (!sc)
        return skip(Verdict::Error, QStringLiteral("scenario '%1' is not available").arg(id));
    m_current = sc;
    m_currentInfo = info;
    connect(sc, &Scenario::finished, this, &ScenarioRunner::onScenarioFinished);
    connect(sc, &Scenario::logMessage, this, &ScenarioRunner::logMessage);
    Q_EMIT scenarioStarted(id);
    Q_EMIT progress(id, 0.0, info.expectedDurationSec);
    m_progress->start();
    sc->start();
}

void ScenarioRunner::onScenarioFinished(const ScenarioResult &result)
{
    m_progress->stop();
    if (m_current) {
        Q_EMIT progress(m_currentInfo.id, m_current->elapsedSec(), m_currentInfo.expectedDurationSec);
        m_current->deleteLater();
        m_current = nullptr;
    }
    m_results << result;
    Q_EMIT scenarioFinished(result);
    QTimer::singleShot(0, this, &ScenarioRunner::startNext);
}

void ScenarioRunner::finishAll()
{
    m_running = false;
    Q_EMIT allFinished(m_results);
}

} // namespace pacelab::check
