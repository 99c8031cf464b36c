#include "CliUtil.h"

#include "util/FileUtil.h"
#include "util/UrlUtil.h"

#include <QCoreApplication>
#include <QTimer>

#include <cmath>
#include <csignal>

namespace pacelab::app {

namespace {

void quitOnSignal(int)
{
    QMetaObject::invokeMethod(QCoreApplication::instance(), "quit", Qt::QueuedConnection);
}

} // namespace

void runEventLoopFor(double seconds)
{
    std::signal(SIGINT, quitOnSignal);
    std::signal(SIGTERM, quitOnSignal);
    QTimer::singleShot(qRound64(seconds * 1000), QCoreApplication::instance(), &QCoreApplication::quit);
    QCoreApplication::exec();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

bool parseHostPort(const QString &option, const QString &text, int minPort, QHostAddress *address,
                   quint16 *port, QString *error)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0 || colon == text.size() - 1) {
        *error = QStringLiteral("--%1 wants HOST:PORT (e.g. 127.0.0.1:8080), got '%2'").arg(option, text);
        return false;
    }
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (host == QLatin1String("localhost"))
        host = QStringLiteral("127.0.0.1");
    bool ok = false;
    const int p = text.mid(colon + 1).toInt(&ok);
    if (!ok || p < minPort || p > 65535) {
        *error = QStringLiteral("--%1: port must be %2..65535, got '%3'").arg(option).arg(minPort).arg(text.mid(colon + 1));
        return false;
    }
    QHostAddress a;
    if (!a.setAddress(host)) {
        *error = QStringLiteral("--%1: '%2' is not an IP address (use e.g. 0.0.0.0 or 127.0.0.1)").arg(option, host);
        return false;
    }
    *address = a;
    *port = quint16(p);
    return true;
}

bool parseWebSocketUrl(const QString &option, const QString &text, QUrl *url, QString *error)
{
    QString detail;
    switch (pacelab::parseWebSocketUrl(text, url, &detail)) {
    case WsUrlError::None:
        return true;
    case WsUrlError::Empty:
    case WsUrlError::Malformed:
        *error = QStringLiteral("--%1: malformed URL '%2'%3").arg(option, text,
                  detail.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(detail));
        return false;
    case WsUrlError::NoScheme:
    case WsUrlError::WrongScheme:
        *error = QStringLiteral("--%1: URL '%2' must start with ws:// or wss://").arg(option, text);
        return false;
    case WsUrlError::NoHost:
        *error = QStringLiteral("--%1: URL '%2' has no host").arg(option, text);
        return false;
    case WsUrlError::PortZero:
        *error = QStringLiteral("--%1: URL '%2' has port 0").arg(option, text);
        return false;
    }
    return false;
}

bool parseNumber(const QString &option, const QString &text, double min, double max, double *value,
                 QString *error, const QString &what)
{
    bool ok = false;
    const double v = text.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < min || v > max) {
        *error = QStringLiteral("--%1 wants %2 from %3 to %4, got '%5'").arg(option, what).arg(min).arg(max).arg(text);
        return false;
    }
    *value = v;
    return true;
}

bool checkOutputOption(const QString &option, const QString &path, QString *error)
{
    QString why;
    if (checkOutputPath(path, &why))
        return true;
    *error = QStringLiteral("--%1: %2").arg(option, why);
    return false;
}

} // namespace pacelab::app
