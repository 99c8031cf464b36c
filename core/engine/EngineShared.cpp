#include "engine/EngineShared.h"

#include <QAbstractSocket>

namespace pacelab {

ConnectRequest ConnectRequest::make(const QUrl &url, const QString &streamSid)
{
    ConnectRequest r;
    r.urlValid = url.isValid();
    if (r.urlValid)
        r.url = url.toEncoded();
    else
        r.urlError = url.errorString();
    r.streamSid = QString(streamSid.constData(), streamSid.size()); // a deep copy
    return r;
}

ListenRequest ListenRequest::make(const QHostAddress &addr, quint16 port)
{
    ListenRequest r;
    r.protocol = int(addr.protocol());
    r.ipv4 = addr.toIPv4Address();
    r.ipv6 = addr.toIPv6Address();
    const QString scope = addr.scopeId();
    r.scopeId = QString(scope.constData(), scope.size());
    r.port = port;
    return r;
}

QHostAddress ListenRequest::address() const
{
    switch (protocol) {
    case QAbstractSocket::IPv4Protocol:
        return QHostAddress(ipv4);
    case QAbstractSocket::IPv6Protocol: {
        QHostAddress a(ipv6);
        a.setScopeId(scopeId);
        return a;
    }
    case QAbstractSocket::AnyIPProtocol:
        return QHostAddress(QHostAddress::Any);
    default:
        return QHostAddress();
    }
}

} // namespace pacelab
