// Command-line address parsing (app/CliUtil.cpp, compiled in): --listen/--bind HOST:PORT and
// --bot ws(s):// URLs. Any text is accepted with a usable result or refused with a message that
// names the option.
#include "FuzzCheck.h"

#include "CliUtil.h"

#include <QString>

using namespace pacelab::app;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString option = QStringLiteral("opt");

    for (int minPort : {0, 1}) {
        QHostAddress address;
        quint16 port = 0;
        QString error;
        if (parseHostPort(option, text, minPort, &address, &port, &error)) {
            FUZZ_CHECK(error.isEmpty(), "ok with error '%s'", qPrintable(error));
            FUZZ_CHECK(!address.isNull(), "ok with a null address");
            FUZZ_CHECK(port >= minPort, "port %d below %d", port, minPort);
        } else {
            FUZZ_CHECK(error.startsWith(QStringLiteral("--opt")), "error not naming the option: '%s'",
                       qPrintable(error));
        }
    }

    QUrl url;
    QString error;
    if (parseWebSocketUrl(option, text, &url, &error)) {
        FUZZ_CHECK(error.isEmpty(), "ok with error '%s'", qPrintable(error));
        FUZZ_CHECK(url.isValid(), "invalid URL accepted");
        const QString scheme = url.scheme().toLower();
        FUZZ_CHECK(scheme == QLatin1String("ws") || scheme == QLatin1String("wss"), "scheme '%s'",
                   qPrintable(scheme));
        FUZZ_CHECK(!url.host().isEmpty() && url.port() != 0, "no host or port 0");
        (void)url.toString(QUrl::FullyEncoded);
    } else {
        FUZZ_CHECK(error.startsWith(QStringLiteral("--opt")), "error not naming the option: '%s'",
                   qPrintable(error));
    }
    return 0;
}
