#pragma once

#include "engine/EngineState.h"
#include "engine/Telemetry.h"

#include <QByteArray>
#include <QHostAddress>
#include <QMetaType>
#include <QString>
#include <QUrl>

#include <atomic>
#include <mutex>

namespace pacelab {

// State the sender thread publishes and any thread reads (SenderEngine's getters).
struct EngineShared
{
    std::atomic<int> state{int(EngineState::Idle)};
    std::atomic<quint16> listeningPort{0};
    std::atomic<quint64> offThreadWrites{0};
    std::atomic<quint64> clearRequests{0}; // bumped by SenderEngine::clear(), handled in order
    mutable std::mutex mutex;              // guards the members below
    QString streamSid;
    TelemetrySnapshot lastTelemetry;
    SenderTotals totals;
};

// What SenderEngine::connectTo()/listen() hand to the sender thread: plain values built on the
// caller's thread into fresh buffers, so the queued call carries copies that share no data
// (not even implicitly shared QUrl/QHostAddress/QString payloads) with objects the caller keeps.
struct ConnectRequest
{
    bool urlValid = false;
    QByteArray url;   // QUrl::toEncoded() when valid
    QString urlError; // QUrl::errorString() when not
    QString streamSid;

    static ConnectRequest make(const QUrl &url, const QString &streamSid);
};

struct ListenRequest
{
    int protocol = -1; // QAbstractSocket::NetworkLayerProtocol
    quint32 ipv4 = 0;
    Q_IPV6ADDR ipv6{};
    QString scopeId;
    quint16 port = 0;

    static ListenRequest make(const QHostAddress &addr, quint16 port);
    QHostAddress address() const;
};

} // namespace pacelab

Q_DECLARE_METATYPE(pacelab::ConnectRequest)
Q_DECLARE_METATYPE(pacelab::ListenRequest)
