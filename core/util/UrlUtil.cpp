#include "UrlUtil.h"

namespace pacelab {

WsUrlError parseWebSocketUrl(const QString &text, QUrl *url, QString *detail)
{
    const QString t = text.trimmed();
    if (t.isEmpty())
        return WsUrlError::Empty;
    const QUrl u(t, QUrl::StrictMode);
    if (!u.isValid()) {
        if (detail)
            *detail = u.errorString();
        return WsUrlError::Malformed;
    }
    const QString scheme = u.scheme().toLower();
    if (scheme.isEmpty())
        return WsUrlError::NoScheme;
    if (scheme != QLatin1String("ws") && scheme != QLatin1String("wss"))
        return WsUrlError::WrongScheme;
    if (u.host().isEmpty())
        return WsUrlError::NoHost;
    if (u.port() == 0)
        return WsUrlError::PortZero;
    *url = u;
    return WsUrlError::None;
}

} // namespace pacelab
