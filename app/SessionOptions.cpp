#include "SessionOptions.h"

#include "ProviderOption.h"

#include <limits>

namespace pacelab::app {

namespace {

bool inGroups(const SessionSetting &s, SessionGroups groups)
{
    const int bit = s.group == SessionSetting::Group::Sender ? int(SessionGroups::Sender) : int(SessionGroups::Emulator);
    return (int(groups) & bit) != 0;
}

} // namespace

void addSessionOptions(QCommandLineParser &parser, SessionGroups groups)
{
    const SessionConfig defaults;
    addProviderOption(parser); // every command that takes session options streams
    for (const SessionSetting &s : sessionSettings()) {
        if (!inGroups(s, groups))
            continue;
        if (s.kind == SessionSetting::Kind::Bool) {
            parser.addOption({s.key, s.help});
            continue;
        }
        const QString unit = s.unit.isEmpty() ? QStringLiteral("n") : s.unit;
        parser.addOption({s.key, QStringLiteral("%1 (default %2).").arg(s.help.chopped(1)).arg(s.get(defaults)), unit});
    }
}

bool readSessionOptions(const QCommandLineParser &parser, SessionConfig *cfg, QString *error, SessionGroups groups)
{
    provider::Id id = cfg->provider();
    if (!readProviderOption(parser, &id, error))
        return false;
    if (id != cfg->provider())
        cfg->setProvider(id);
    for (const SessionSetting &s : sessionSettings()) {
        if (!inGroups(s, groups) || !parser.isSet(s.key))
            continue;
        if (s.kind == SessionSetting::Kind::Bool) {
            s.set(*cfg, 1);
            continue;
        }
        const QString text = parser.value(s.key);
        bool ok = false;
        const qint64 v = text.trimmed().toLongLong(&ok);
        // Whole numbers in the int range: the settings' own limits are validate()'s to word.
        if (!ok || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
            *error = QStringLiteral("--%1 wants a whole number%2, got '%3'")
                         .arg(s.key, s.unit.isEmpty() ? QString() : QStringLiteral(" of %1").arg(s.unit), text);
            return false;
        }
        s.set(*cfg, v);
    }
    QString key;
    const QString problem = cfg->validate(&key);
    if (problem.isEmpty())
        return true;
    *error = key.isEmpty() ? problem : QStringLiteral("--%1: %2").arg(key, problem);
    return false;
}

} // namespace pacelab::app
