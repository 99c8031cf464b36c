#pragma once

#include <QCommandLineParser>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QTextStream>

// Output shared by the sub-commands: one stdout and one stderr stream for the whole process (a
// command's helpers and the command itself write through the same buffer), the usage-error
// wording, and the JSON result files.
namespace pacelab::app {

QTextStream &out();
QTextStream &err();

// The argument list QCommandLineParser wants for a sub-command: "pacelab <command>" (so help
// and errors name it), then the options (args = program, command, options...).
QStringList commandArgv(const QStringList &args, const QString &command);

// What reading a command line came to. Every parseXOptions returns one: Run, or Help (the
// help text is to be printed), or Usage (the usage error text is to be printed).
enum class Parse { Run, Help, Usage };

// message + "\nTry 'pacelab <command> --help'.\n": the usual usage error text.
QString withTryHelp(const QString &command, const QString &message);

// Parses the sub-command's arguments (commandArgv) and handles the two outcomes every command
// shares: a parse error (Usage, *usageText with the "Try" line) and --help (Help, *helpText).
// Run means: go on reading the options.
Parse parseCommandLine(QCommandLineParser &parser, const QString &command, const QStringList &args,
                       QString *helpText, QString *usageText);

// Ends a Help or Usage outcome: the help text on stdout (ExitOk), or "pacelab <command>: " and
// the usage text on stderr (ExitUsage).
int endParse(const QString &command, Parse outcome, const QString &helpText, const QString &usageText);

// A command in three parts: parse(args, &options, &usageText) -> Parse; on Run, run(options)
// gives the exit code (the command's run and print). Options has a `helpText`.
template <typename Options, typename RunFn>
int runCommand(const QString &command, const QStringList &args,
               Parse (*parse)(const QStringList &, Options *, QString *), RunFn run)
{
    Options options;
    QString usageText;
    const Parse p = parse(args, &options, &usageText);
    if (p != Parse::Run)
        return endParse(command, p, options.helpText, usageText);
    const int rc = run(options);
    out().flush();
    err().flush();
    return rc;
}

// The document, indented, saved atomically (a failed write leaves a previous file intact). On
// failure *error reads "cannot write '<path>': <reason>".
bool saveJson(const QString &path, const QJsonObject &json, QString *error);

} // namespace pacelab::app
