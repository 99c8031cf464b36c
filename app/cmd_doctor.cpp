// `pacelab doctor FILE|-`: diagnose per-second sender metrics pasted from a bot's log.
// Options -> run (the diagnosis) -> print, each its own function.
#include "CliOutput.h"
#include "Commands.h"

#include "doctor/Follower.h"
#include "doctor/LogDoctor.h"

#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QThread>

using namespace pacelab;
using namespace pacelab::app;

namespace {

const QString kCommand = QStringLiteral("doctor");

struct DoctorOptions
{
    QString file;     // or "-" for standard input
    QString jsonPath; // "-" = stdout, replacing the text
    bool series = false;
    bool follow = false; // diagnose as lines arrive, print each verdict change
    QString helpText;
};

Parse parseDoctorOptions(const QStringList &args, DoctorOptions *o, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Reads log lines with the sender's per-second metrics (e.g. `[TX] fps=50 q=6 drops=0`, "
        "key: value pairs or JSON lines), mixed with any other lines, and says what is wrong, "
        "citing the lines. Exit status: 0 healthy or idle, 1 a problem or warning found, 2 bad "
        "usage or unusable input. Lines of several calls are grouped by call/stream id; gzip input "
        "is decompressed. --follow FILE|- diagnoses as lines arrive and prints a line whenever the "
        "verdict changes (a file is followed until interrupted; - ends at end of input)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Log file, or - for standard input."));
    const QCommandLineOption jsonOpt(QStringLiteral("json"),
                                     QStringLiteral("Also write the report (series and diagnoses) as JSON to FILE (- = stdout, replacing the text)."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption seriesOpt(QStringLiteral("series"), QStringLiteral("Print the parsed series (line, fps, q, drops) before the diagnosis."));
    const QCommandLineOption followOpt(QStringLiteral("follow"), QStringLiteral("Diagnose as lines arrive (FILE is followed like tail -f; - reads a pipe) and print each verdict change."));
    parser.addOption(jsonOpt);
    parser.addOption(seriesOpt);
    parser.addOption(followOpt);

    if (const Parse p = parseCommandLine(parser, kCommand, args, &o->helpText, error); p != Parse::Run)
        return p;
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        *error = QStringLiteral("%1.\nUsage: pacelab doctor FILE|- [--json FILE] [--series] | --follow FILE|-\n")
                     .arg(pos.isEmpty() ? QStringLiteral("missing FILE (use - to read standard input)")
                                        : QStringLiteral("exactly one FILE expected"));
        return Parse::Usage;
    }
    o->file = pos.first();
    o->jsonPath = parser.value(jsonOpt);
    o->series = parser.isSet(seriesOpt);
    o->follow = parser.isSet(followOpt);
    if (o->follow && (o->series || !o->jsonPath.isEmpty())) {
        *error = QStringLiteral("--follow prints verdict changes as they happen: it does not combine with --series or --json.\n");
        return Parse::Usage;
    }
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

void printChanges(doctor::Follower &f)
{
    const QList<doctor::Verdict> changes = f.takeChanges();
    for (const doctor::Verdict &v : changes)
        out() << v.toLine() << "\n";
    if (!changes.isEmpty())
        out().flush();
}

// Live: every verdict change as a line. A pipe ends at its end (then the full report, and the
// exit code of the whole input); a file is followed until the process is interrupted, from the
// start again when it is truncated or replaced (log rotation).
int followDoctor(const DoctorOptions &o)
{
    doctor::Follower follower;
    QByteArray buf(64 * 1024, Qt::Uninitialized);
    if (o.file == QLatin1String("-")) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly | QIODevice::Unbuffered)) {
            err() << "pacelab doctor: cannot read standard input: " << in.errorString() << "\n";
            return ExitUsage;
        }
        for (;;) {
            const qint64 got = in.read(buf.data(), buf.size());
            if (got <= 0)
                break;
            follower.addData(QByteArrayView(buf.constData(), got));
            printChanges(follower);
            if (follower.failed())
                break;
        }
        const doctor::Report r = follower.finish();
        printChanges(follower);
        if (!r.inputOk || r.metricLines == 0) {
            err() << r.toText();
            return r.exitCode();
        }
        out() << "\n" << r.toText();
        return r.exitCode();
    }
    const QFileInfo fi(o.file);
    if (!fi.exists() || fi.isDir()) {
        err() << "pacelab doctor: " << (fi.isDir() ? QStringLiteral("%1 is a directory, not a log file.").arg(o.file)
                                                  : QStringLiteral("%1: no such file.").arg(o.file))
              << "\n";
        return ExitUsage;
    }
    QFile f(o.file);
    if (!f.open(QIODevice::ReadOnly)) {
        err() << "pacelab doctor: cannot open " << o.file << ": " << f.errorString() << "\n";
        return ExitUsage;
    }
    out() << "following " << o.file << " (Ctrl+C to stop)\n";
    out().flush();
    std::unique_ptr<doctor::Follower> live = std::make_unique<doctor::Follower>();
    qint64 pos = 0;
    for (;;) {
        const qint64 size = QFileInfo(o.file).size();
        if (size < pos) {
            out() << "(the file was truncated or replaced: reading it from the start)\n";
            f.close();
            if (!f.open(QIODevice::ReadOnly)) {
                err() << "pacelab doctor: cannot reopen " << o.file << ": " << f.errorString() << "\n";
                return ExitUsage;
            }
            pos = 0;
            live = std::make_unique<doctor::Follower>();
        }
        f.seek(pos);
        qint64 got = 0;
        while ((got = f.read(buf.data(), buf.size())) > 0) {
            pos += got;
            live->addData(QByteArrayView(buf.constData(), got));
            printChanges(*live);
        }
        if (live->failed()) {
            err() << live->finish().toText();
            return ExitUsage;
        }
        QThread::msleep(250);
    }
}

int doctorCommand(const QStringList &args)
{
    return runCommand(kCommand, args, parseDoctorOptions, [](const DoctorOptions &o) {
        return o.follow ? followDoctor(o) : printDoctor(o, runDoctor(o));
    });
}

} // namespace

PACELAB_COMMAND(doctorCommandReg, "doctor", "diagnose [TX] fps/q/drops log lines (FILE or - for stdin)", doctorCommand);
