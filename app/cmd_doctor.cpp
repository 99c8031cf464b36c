// `pacelab doctor FILE|-`: diagnose per-second sender metrics pasted from a bot's log.
// Options -> run (the diagnosis) -> print, each its own function.
#include "CliOutput.h"
#include "Commands.h"

#include "doctor/LogDoctor.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>

using namespace pacelab;
using namespace pacelab::app;

namespace {

const QString kCommand = QStringLiteral("doctor");

struct DoctorOptions
{
    QString file;     // or "-" for standard input
    QString jsonPath; // "-" = stdout, replacing the text
    bool series = false;
    QString helpText;
};

Parse parseDoctorOptions(const QStringList &args, DoctorOptions *o, QString *error)
{
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

    if (const Parse p = parseCommandLine(parser, kCommand, args, &o->helpText, error); p != Parse::Run)
        return p;
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        *error = QStringLiteral("%1.\nUsage: pacelab doctor FILE|- [--json FILE] [--series]\n")
                     .arg(pos.isEmpty() ? QStringLiteral("missing FILE (use - to read standard input)")
                                        : QStringLiteral("exactly one FILE expected"));
        return Parse::Usage;
    }
    o->file = pos.first();
    o->jsonPath = parser.value(jsonOpt);
    o->series = parser.isSet(seriesOpt);
    return Parse::Run;
}

struct DoctorResult
{
    doctor::Report report;
    QString inputError; // standard input could not be opened
};

DoctorResult runDoctor(const DoctorOptions &o)
{
    DoctorResult r;
    if (o.file == QLatin1String("-")) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly)) {
            r.inputError = in.errorString();
            return r;
        }
        r.report = doctor::LogDoctor::analyzeDevice(&in);
    } else {
        r.report = doctor::LogDoctor::analyzeFile(o.file);
    }
    return r;
}

int printDoctor(const DoctorOptions &o, const DoctorResult &r)
{
    if (!r.inputError.isEmpty()) {
        err() << "pacelab doctor: cannot read standard input: " << r.inputError << "\n";
        return ExitUsage;
    }
    const doctor::Report &report = r.report;
    const bool jsonToStdout = o.jsonPath == QLatin1String("-");
    if (jsonToStdout) {
        out() << QJsonDocument(report.toJson()).toJson(QJsonDocument::Indented);
    } else if (!o.jsonPath.isEmpty()) {
        QString error;
        if (!saveJson(o.jsonPath, report.toJson(), &error)) {
            err() << "pacelab doctor: " << error << "\n";
            return ExitUsage;
        }
    }
    if (!report.inputOk || report.metricLines == 0) {
        err() << report.toText();
        return report.exitCode();
    }
    if (!jsonToStdout) {
        if (o.series) {
            out() << "line      fps      q  drops\n";
            for (const doctor::MetricLine &m : report.series)
                out() << QStringLiteral("%1 %2 %3 %4\n")
                             .arg(m.lineNo, 6)
                             .arg(m.fps, 8, 'g', 4)
                             .arg(m.q < 0 ? QStringLiteral("-") : QString::number(m.q), 6)
                             .arg(m.drops < 0 ? QStringLiteral("-") : QString::number(m.drops), 6);
            out() << "\n";
        }
        out() << report.toText();
    }
    return report.exitCode();
}

int doctorCommand(const QStringList &args)
{
    return runCommand(kCommand, args, parseDoctorOptions, [](const DoctorOptions &o) { return printDoctor(o, runDoctor(o)); });
}

} // namespace

PACELAB_COMMAND(doctorCommandReg, "doctor", "diagnose [TX] fps/q/drops log lines (FILE or - for stdin)", doctorCommand);
