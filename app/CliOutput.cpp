#include "CliOutput.h"

#include "Commands.h"
#include "util/FileUtil.h"

#include <QJsonDocument>

namespace pacelab::app {

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

QStringList commandArgv(const QStringList &args, const QString &command)
{
    QStringList argv{args.value(0, QStringLiteral("pacelab")) + QLatin1Char(' ') + command};
    argv += args.mid(2);
    return argv;
}

QString withTryHelp(const QString &command, const QString &message)
{
    return QStringLiteral("%1\nTry 'pacelab %2 --help'.\n").arg(message, command);
}

Parse parseCommandLine(QCommandLineParser &parser, const QString &command, const QStringList &args,
                       QString *helpText, QString *usageText)
{
    if (!parser.parse(commandArgv(args, command))) {
        *usageText = withTryHelp(command, parser.errorText());
        return Parse::Usage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        *helpText = parser.helpText();
        return Parse::Help;
    }
    return Parse::Run;
}

int endParse(const QString &command, Parse outcome, const QString &helpText, const QString &usageText)
{
    if (outcome == Parse::Help) {
        out() << helpText;
        out().flush();
        return ExitOk;
    }
    err() << "pacelab " << command << ": " << usageText;
    err().flush();
    return ExitUsage;
}

bool saveJson(const QString &path, const QJsonObject &json, QString *error)
{
    return saveFileAtomically(path, QJsonDocument(json).toJson(QJsonDocument::Indented), error);
}

} // namespace pacelab::app
