#include "LoadWorker.h"

#include <QNetworkRequest>
#include <QTimer>
#include <QWebSocket>

#include <chrono>
#include <ctime>

namespace pacelab {

namespace {
constexpr qint64 kGridUs = 20'000;

QString closeText(int code, const QString &reason)
{
    QString t = code == QWebSocketProtocol::CloseCodeNormal ? QStringLiteral("normal")
              : code == QWebSocketProtocol::CloseCodeGoingAway ? QStringLiteral("going away")
              : QStringLiteral("code %1").arg(code);
    if (!reason.isEmpty())
        t += QStringLiteral(": ") + reason;
    return t;
}
} // namespace

// One call: its socket, the per-call unit and what the driver adds (connect time, probes).
struct LoadWorker::Call final : public EmulatedCall::Events
{
    CallResult result;
    QWebSocket *socket = nullptr;
    EmulatedCall emu{this};
    ProbeTally probes;
    qint64 openedUs = 0;
    qint64 nextProbeUs = -1;
    qint64 dtmfAtUs = -1;
    bool finished = false;
    QString lastError;

    void sendToBot(const provider::WireMessage &m) override
    {
        if (!socket || socket->state() != QAbstractSocket::ConnectedState)
            return;
        if (m.binary)
            socket->sendBinaryMessage(m.data);
        else
            socket->sendTextMessage(QString::fromUtf8(m.data));
    }
    void closeToBot(const QString &reason) override
    {
        if (socket && socket->state() == QAbstractSocket::ConnectedState)
            socket->close(QWebSocketProtocol::CloseCodeNormal, reason);
    }
    void bargeInFinished(const BargeInResult &r) override { probes.add(r); }
};

LoadWorker::LoadWorker(const LoadCallPlan &plan, QObject *parent)
    : QObject(parent)
    , m_plan(plan)
    , m_tick(new QTimer(this))
    , m_gridOriginUs(nowUs())
{
    m_tick->setTimerType(Qt::PreciseTimer);
    m_tick->setSingleShot(true);
    connect(m_tick, &QTimer::timeout, this, &LoadWorker::tick);
}

LoadWorker::~LoadWorker()
{
    for (auto &c : m_calls)
        if (c->socket) {
            c->socket->disconnect(this);
            c->socket->abort();
        }
}

qint64 LoadWorker::nowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double LoadWorker::threadCpuSec() const
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void LoadWorker::placeCall(const CallResult &identity)
{
    auto owned = std::make_unique<Call>();
    Call *c = owned.get();
    m_calls.push_back(std::move(owned));
    c->result = identity;
    c->socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    const quint64 maxMsg = quint64(std::max<qint64>(m_plan.call.maxIncomingMessageBytes, 1024));
    c->socket->setMaxAllowedIncomingMessageSize(maxMsg);
    c->socket->setMaxAllowedIncomingFrameSize(maxMsg);
    connect(c->socket, &QWebSocket::connected, this, [this, c] { onConnected(c); });
    connect(c->socket, &QWebSocket::disconnected, this, [this, c] { onDisconnected(c); });
    connect(c->socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this, c] { onError(c); });
    connect(c->socket, &QWebSocket::textMessageReceived, this, [c](const QString &text) { c->emu.onText(nowUs(), text); });
    connect(c->socket, &QWebSocket::binaryMessageReceived, this, [c](const QByteArray &data) { c->emu.onBinary(nowUs(), data); });
    c->openedUs = nowUs();
    c->socket->open(twilioUpgradeRequest(m_plan.botUrl, m_plan.call)); // headers (and Twilio's signature) as the provider sends them
    if (!m_tick->isActive())
        armTick();
}

void LoadWorker::onConnected(Call *c)
{
    if (c->finished)
        return;
    const qint64 now = nowUs();
    c->result.connected = true;
    c->result.connectMs = (now - c->openedUs) / 1000.0;
    EmulatorOptions o = m_plan.call;
    o.callSid = c->result.callSid;
    o.streamSid = c->result.streamSid;
    // Inbound frames start on this worker's grid, so the one tick serves this call too.
    const qint64 firstFrame = m_gridOriginUs + ((now - m_gridOriginUs) / kGridUs + 1) * kGridUs;
    c->emu.start(o, now, firstFrame);
    if (m_plan.bargeInEverySec > 0)
        c->nextProbeUs = now + qint64(m_plan.bargeInEverySec * 1e6);
    if (m_plan.dtmfAtSec >= 0)
        c->dtmfAtUs = now + qint64(m_plan.dtmfAtSec * 1e6);
}

void LoadWorker::onError(Call *c)
{
    if (c->finished || !c->socket)
        return;
    c->lastError = c->socket->errorString();
    if (!c->result.connected)
        finishCall(c, nowUs(), QStringLiteral("cannot connect: %1").arg(c->lastError), false);
}

void LoadWorker::onDisconnected(Call *c)
{
    if (c->finished || !c->socket)
        return;
    if (c->lastError.isEmpty() && c->socket->error() != QAbstractSocket::UnknownSocketError)
        c->lastError = c->socket->errorString(); // `disconnected` may come before `error`
    if (!c->result.connected) {
        finishCall(c, nowUs(), QStringLiteral("cannot connect: %1")
                                   .arg(c->lastError.isEmpty() ? QStringLiteral("closed during the handshake") : c->lastError), false);
        return;
    }
    const int code = c->socket->closeCode();
    QString reason;
    if (code == QWebSocketProtocol::CloseCodeAbnormalDisconnection || code == 0)
        reason = QStringLiteral("dropped by the bot without a close frame%1")
                     .arg(c->lastError.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(c->lastError));
    else
        reason = QStringLiteral("the bot closed the call (%1)").arg(closeText(code, c->socket->closeReason()));
    finishCall(c, nowUs(), reason, true);
}

void LoadWorker::finishCall(Call *c, qint64 now, const QString &reason, bool dropped)
{
    c->finished = true;
    c->emu.end(now, reason);
    c->result.failReason = reason;
    c->result.droppedMidCall = dropped && c->result.connected;
    fillCallMetrics(c->emu, c->probes, now, &c->result);
    if (c->socket) {
        c->socket->disconnect(this);
        c->socket->abort();
        c->socket->deleteLater();
        c->socket = nullptr;
    }
}

void LoadWorker::armTick()
{
    const qint64 now = nowUs();
    const qint64 next = m_gridOriginUs + ((now - m_gridOriginUs) / kGridUs + 1) * kGridUs;
    m_tick->start(int((next - now + 999) / 1000));
}

void LoadWorker::tick()
{
    const qint64 now = nowUs();
    bool any = false;
    for (auto &owned : m_calls) {
        Call *c = owned.get();
        if (c->finished)
            continue;
        any = true;
        if (!c->result.connected) {
            if (now - c->openedUs > qint64(m_plan.connectTimeoutMs) * 1000)
                finishCall(c, now, QStringLiteral("cannot connect: no WebSocket handshake within %1 ms").arg(m_plan.connectTimeoutMs), false);
            continue;
        }
        if (c->dtmfAtUs >= 0 && now >= c->dtmfAtUs) {
            c->dtmfAtUs = -1;
            c->emu.sendDtmf(QStringLiteral("1"));
        }
        if (c->nextProbeUs >= 0 && now >= c->nextProbeUs) {
            c->nextProbeUs = now + qint64(m_plan.bargeInEverySec * 1e6);
            QString err;
            if (!c->emu.bargeInActive())
                c->emu.startBargeIn(now, m_plan.bargeInSpeech, m_plan.bargeInTailMs, &err);
        }
        c->emu.advance(now);
    }
    if (any)
        armTick();
}

void LoadWorker::endAll()
{
    const qint64 now = nowUs();
    for (auto &owned : m_calls) {
        Call *c = owned.get();
        if (c->finished)
            continue;
        c->finished = true;
        if (!c->result.connected) {
            c->result.failReason = QStringLiteral("cannot connect: still connecting when the step ended");
        } else {
            c->emu.advance(now);
            c->emu.sendStop();
            c->emu.end(now, QStringLiteral("ended by the load run"));
        }
        fillCallMetrics(c->emu, c->probes, now, &c->result);
        if (c->socket) {
            c->socket->disconnect(this);
            if (c->result.connected)
                c->socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("call ended"));
            else
                c->socket->abort();
        }
    }
    m_tick->stop();
}

QList<CallResult> LoadWorker::results() const
{
    const qint64 now = nowUs();
    QList<CallResult> out;
    out.reserve(qsizetype(m_calls.size()));
    for (const auto &c : m_calls) {
        CallResult r = c->result;
        if (!c->finished && c->result.connected)
            fillCallMetrics(c->emu, c->probes, now, &r);
        out.append(r);
    }
    return out;
}

void LoadWorker::clear()
{
    for (auto &c : m_calls)
        if (c->socket) {
            c->socket->disconnect(this);
            c->socket->deleteLater(); // after the close frame queued by endAll() has gone out
        }
    m_calls.clear();
}

} // namespace pacelab
