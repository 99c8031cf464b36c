#include "ProviderOption.h"

namespace pacelab::app {

void addProviderOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("provider"),
                      QStringLiteral("Media-stream protocol: %1 (default twilio).").arg(provider::namesJoined(QStringLiteral(", "))),
                      QStringLiteral("name")});
}

bool readProviderOption(const QCommandLineParser &parser, provider::Id *id, QString *error)
{
    if (!parser.isSet(QStringLiteral("provider")))
        return true;
    const QString text = parser.value(QStringLiteral("provider"));
    const std::optional<provider::Id> found = provider::idFromName(text);
    if (!found) {
        *error = QStringLiteral("--provider: unknown provider '%1' (one of %2)").arg(text.left(40), provider::namesJoined());
        return false;
    }
    *id = *found;
    return true;
}

} // namespace pacelab::app
