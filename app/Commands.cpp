#include "Commands.h"

namespace pacelab::app {

static QList<Command> &registry()
{
    static QList<Command> list;
    return list;
}

CommandRegistrar::CommandRegistrar(const char *name, const char *summary, CommandFn fn, bool needsGui)
{
    registry().append(Command{QString::fromUtf8(name), QString::fromUtf8(summary), fn, needsGui});
}

const QList<Command> &commands()
{
    return registry();
}

const Command *findCommand(const QString &name)
{
    for (const Command &c : registry())
        if (c.name == name)
            return &c;
    return nullptr;
}

} // namespace pacelab::app
