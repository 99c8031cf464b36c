// `pacelab doctor FILE|-`: diagnose per-second sender metrics pasted from a bot's log.
#include "Commands.h"

#include "replay/LogDoctor.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QTextStream>

using namespace pacelab;

static int runDoctor(const QStringList &args)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Reads log lines with the sender's per-second metrics (e.g. `[TX] fps=50 q=6 drops=0`, "
        "key: value pairs or JSON lines), mixed with any other lines, and says what is wrong, "
        "citing the lines. Exit status: 0 healthy or idle, 1 a problem or warning found, 2 bad "
        "usage or unusable input."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Log file, or - for standard input."));
    const QCommandLineOption jsonOpt(QStringLiteral("json"),
                                     QStringLiteral("Also write the report (series and diagnoses) as JSON to FILE (- = stdout, replacing the text)."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption seriesOpt(QStringLiteral("series"), QStringLiteral("Print the parsed series (line, fps, q, drops) before the diagnosis."));
    parser.addOption(jsonOpt);
    parser.addOption(seriesOpt);

    QStringList argv{args.value(0, QStringLiteral("pacelab")) + QStringLiteral(" doctor")};
    argv += args.mid(2);
    if (!parser.parse(argv)) {
        err << "pacelab doctor: " << parser.errorText() << "\nTry 'pacelab doctor --help'.\n";
        return app::ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out << parser.helpText();
        return app::ExitOk;
    }
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        err << "pacelab doctor: " << (pos.isEmpty() ? "missing FILE (use - to read standard input)"
                                                    : "exactly one FILE expected")
            << ".\nUsage: pacelab doctor FILE|- [--json FILE] [--series]\n";
        return app::ExitUsage;
    }

    doctor::Report report;
    if (pos.first() == QLatin1String("-")) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly)) {
            err << "pacelab doctor: cannot read standard input: " << in.errorString() << "\n";
            return app::ExitUsage;
        }
        report = doctor::LogDoctor::analyzeDevice(&in);
    } else {
        report = doctor::LogDoctor::analyzeFile(pos.first());
    }

    const QString jsonPath = parser.value(jsonOpt);
    const bool jsonToStdout = jsonPath == QLatin1String("-");
    if (!jsonPath.isEmpty()) {
        const QByteArray json = QJsonDocument(report.toJson()).toJson(QJsonDocument::Indented);
        if (jsonToStdout) {
            out << json;
        } else {
            QFile f(jsonPath);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(json) != json.size()) {
                err << "pacelab doctor: cannot write " << jsonPath << ": " << f.errorString() << "\n";
                return app::ExitUsage;
            }
        }
    }
    if (!report.inputOk || report.metricLines == 0) {
        err << report.toText();
        return report.exitCode();
    }
    if (!jsonToStdout) {
        if (parser.isSet(seriesOpt)) {
            out << "line      fps      q  drops\n";
            for (const doctor::MetricLine &m : report.series)
                out << QStringLiteral("%1 %2 %3 %4\n")
                           .arg(m.lineNo, 6)
                           .arg(m.fps, 8, 'g', 4)
                           .arg(m.q < 0 ? QStringLiteral("-") : QString::number(m.q), 6)
                           .arg(m.drops < 0 ? QStringLiteral("-") : QString::number(m.drops), 6);
            out << "\n";
        }
        out << report.toText();
    }
    return report.exitCode();
}

PACELAB_COMMAND(doctorCommand, "doctor", "diagnose [TX] fps/q/drops log lines (FILE or - for stdin)", runDoctor);
