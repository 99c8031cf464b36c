#pragma once

#include <QString>
#include <QStringList>

// Sub-commands of the `pacelab` binary (emulate, check, replay, doctor, ...). Each lives in its
// own app/cmd_*.cpp and registers itself with a static PACELAB_COMMAND, so main.cpp need not
// know them. Argument lists start with the program name, then the command name.
namespace pacelab::app {

using CommandFn = int (*)(const QStringList &args);

struct Command
{
    QString name;
    QString summary;
    CommandFn run = nullptr;
    bool needsGui = false;
};

struct CommandRegistrar
{
    CommandRegistrar(const char *name, const char *summary, CommandFn fn, bool needsGui = false);
};

const QList<Command> &commands();
const Command *findCommand(const QString &name);

// Exit codes shared by every command.
enum ExitCode { ExitOk = 0, ExitFailed = 1, ExitUsage = 2 };

} // namespace pacelab::app

#define PACELAB_COMMAND(var, name, summary, fn) \
    static const ::pacelab::app::CommandRegistrar var(name, summary, fn)
