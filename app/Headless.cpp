#include "Headless.h"

#include <QTextStream>

namespace pacelab::app {

void HeadlessOptions::addTo(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("headless"), QStringLiteral("Run without a window: stream to the built-in emulator and print telemetry.")});
    parser.addOption({QStringLiteral("duration"), QStringLiteral("Headless run length in seconds (default 10)."), QStringLiteral("seconds")});
}

bool HeadlessOptions::read(const QCommandLineParser &parser, QString *error)
{
    if (parser.isSet(QStringLiteral("duration"))) {
        bool ok = false;
        durationSec = parser.value(QStringLiteral("duration")).toDouble(&ok);
        if (!ok || durationSec <= 0 || durationSec > 86400) {
            *error = QStringLiteral("--duration wants a number of seconds between 0 and 86400, got '%1'.")
                         .arg(parser.value(QStringLiteral("duration")));
            return false;
        }
    }
    return true;
}

int runHeadless(const HeadlessOptions &opts)
{
    Q_UNUSED(opts);
    // Wired to the engine and emulator once they exist (engine and emulator issues).
    QTextStream(stderr) << "pacelab: headless run not wired yet\n";
    return 1;
}

} // namespace pacelab::app
