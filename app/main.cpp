// pacelab: GUI by default; `--headless` or a sub-command (emulate, check, replay, doctor) runs
// without a window. The heavy lifting lives in core/ and ui/; this file only wires.
#include "CliOutput.h"
#include "Commands.h"
#include "Headless.h"

#include <QApplication>
#include <QCommandLineParser>

#include "MainWindow.h"

using namespace pacelab::app;

static QString commandList()
{
    QString text = QStringLiteral("\nCommands (pacelab COMMAND --help for each):\n");
    for (const Command &c : commands())
        text += QStringLiteral("  %1  %2\n").arg(c.name, -9).arg(c.summary);
    return text;
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
    const bool headless = parser.isSet(QStringLiteral("headless"));

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
    if (headless)
        return runHeadless(opts);

    pacelab::ui::MainWindow window;
    window.show();
    return app->exec();
}
