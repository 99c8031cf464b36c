// pacelab: GUI by default; `--headless` or a sub-command (emulate, check, replay, doctor) runs
// without a window. The heavy lifting lives in core/ and ui/; this file only wires.
#include "CliOutput.h"
#include "Commands.h"
#include "Headless.h"
#include "ProviderOption.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include "MainWindow.h"

using namespace pacelab::app;

static QString commandList()
{
    QString text = QStringLiteral("\nCommands (pacelab COMMAND --help for each):\n");
    for (const Command &c : commands())
        text += QStringLiteral("  %1  %2\n").arg(c.name, -9).arg(c.summary);
    return text;
}

// Whether a QApplication could open a window, decided the way QGuiApplication picks its
// platform plugin (Qt 6.4, qguiapplication.cpp): `-platform` on the command line, else
// QT_QPA_PLATFORM, else the build default (xcb on Linux, with wayland tried first when a Wayland
// session is detected). The names form a ';' list tried in order, each possibly with ":options".
// Only xcb and wayland need a display server; for any other plugin (offscreen, minimal, eglfs,
// vnc, cocoa, windows...) we let Qt decide. Without this check Qt aborts with "could not connect
// to display" and no way to continue.
static bool displayAvailable(const QStringList &arguments)
{
#if defined(Q_OS_UNIX) && !defined(Q_OS_DARWIN)
    QString platforms = QStringLiteral("xcb");
    const bool waylandSession = qEnvironmentVariableIsSet("WAYLAND_DISPLAY")
                                || qgetenv("XDG_SESSION_TYPE") == "wayland";
    const QString desktop = (qEnvironmentVariable("XDG_CURRENT_DESKTOP") + qEnvironmentVariable("XDG_SESSION_DESKTOP")).toLower();
    if (waylandSession && !desktop.contains(QLatin1String("gnome")))
        platforms = QStringLiteral("wayland;xcb");
    if (!qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        platforms = qEnvironmentVariable("QT_QPA_PLATFORM");
    bool displayArg = false;
    for (int i = 1; i < arguments.size(); ++i) {
        const QString &a = arguments[i];
        if ((a == QLatin1String("-platform") || a == QLatin1String("--platform")) && i + 1 < arguments.size())
            platforms = arguments[i + 1];
        if (a == QLatin1String("-display") || a == QLatin1String("--display"))
            displayArg = true;
    }
    auto waylandSocket = [] {
        const QString name = qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ? QStringLiteral("wayland-0")
                                                                           : qEnvironmentVariable("WAYLAND_DISPLAY");
        if (QDir::isAbsolutePath(name))
            return QFileInfo::exists(name);
        const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
        return !runtime.isEmpty() && QFileInfo::exists(runtime + QLatin1Char('/') + name);
    };
    for (const QString &entry : platforms.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
        const QString name = entry.section(QLatin1Char(':'), 0, 0).trimmed();
        if (name == QLatin1String("xcb")) {
            if (displayArg || !qEnvironmentVariableIsEmpty("DISPLAY") || entry.contains(QLatin1String("display=")))
                return true;
        } else if (name.startsWith(QLatin1String("wayland"))) {
            if (waylandSocket())
                return true;
        } else {
            return true;
        }
    }
    return false;
#else
    Q_UNUSED(arguments);
    return true;
#endif
}

int main(int argc, char *argv[])
{
    // A sub-command decides itself whether it needs a GUI; most are headless.
    if (argc > 1) {
        const QString first = QString::fromLocal8Bit(argv[1]);
        if (const Command *cmd = findCommand(first)) {
            QStringList args;
            for (int i = 0; i < argc; ++i)
                args << QString::fromLocal8Bit(argv[i]);
            if (cmd->needsGui) {
                QApplication app(argc, argv);
                return cmd->run(args);
            }
            QCoreApplication app(argc, argv);
            QCoreApplication::setApplicationName(QStringLiteral("pacelab"));
            QCoreApplication::setApplicationVersion(QStringLiteral(PACELAB_VERSION));
            return cmd->run(args);
        }
    }

    // Options are parsed before any application object exists, so --help, --version and bad
    // usage work without a display; only a GUI run creates a QApplication.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("PaceLab: pacing diagnostics for the outbound audio of Twilio Media Streams bots.")
        + commandList());
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    HeadlessOptions::addTo(parser);
    if (!parser.parse(arguments)) {
        err() << "pacelab: " << parser.errorText() << "\nTry 'pacelab --help'.\n";
        return ExitUsage;
    }
    if (parser.isSet(helpOption)) {
        QCoreApplication core(argc, argv); // helpText() names the executable through it
        out() << parser.helpText();
        return ExitOk;
    }
    if (parser.isSet(versionOption)) {
        out() << "pacelab " << PACELAB_VERSION << "\n";
        return ExitOk;
    }
    if (!parser.positionalArguments().isEmpty()) {
        err() << "pacelab: unknown command '" << parser.positionalArguments().first()
                            << "'.\nTry 'pacelab --help'.\n";
        return ExitUsage;
    }
    bool headless = parser.isSet(QStringLiteral("headless"));
    // No display (SSH, a server, CI): the same main job in text instead of Qt's abort.
    const bool noDisplay = !headless && !displayAvailable(arguments);
    headless = headless || noDisplay;

    std::unique_ptr<QCoreApplication> app;
    if (headless)
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("pacelab"));
    QCoreApplication::setOrganizationName(QStringLiteral("PaceLab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PACELAB_VERSION));

    HeadlessOptions opts;
    QString error;
    if (!opts.read(parser, &error)) {
        err() << "pacelab: " << error << "\n";
        return ExitUsage;
    }
    if (noDisplay) {
        const QString where = opts.listen ? QStringLiteral("listening for Twilio")
                              : !opts.target.isEmpty() ? QStringLiteral("facing %1").arg(opts.target.toString())
                                                       : QStringLiteral("on the built-in emulator");
        err() << "no display: running the headless session " << where
              << "; use --headless, or set DISPLAY\n";
        err().flush();
    }
    if (headless)
        return runHeadless(opts);

    // --provider picks the selector's provider for this run (opts.read() has checked it); the
    // window remembers only what the user picks in it.
    std::optional<pacelab::provider::Id> provider;
    if (parser.isSet(QStringLiteral("provider"))) {
        pacelab::provider::Id id = pacelab::provider::Id::Twilio;
        if (readProviderOption(parser, &id, &error))
            provider = id;
    }
    pacelab::ui::MainWindow window(nullptr, provider);
    window.show();
    return app->exec();
}
