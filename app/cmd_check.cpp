// `pacelab check`: the pre-deploy checklist, headless (CI). Runs the scenarios against the
// built-in emulator (default), a given peer, a real Twilio stream (--listen) or, with --bot, the
// test-your-bot set against an external bot. Exit 0 only if every scenario passed, 1 if any
// failed, 2 for bad usage. Options -> run -> print, each its own function.
#include "CliOutput.h"
#include "CliUtil.h"
#include "Commands.h"
#include "ProviderOption.h"

#include "check/ProfileAudio.h"
#include "check/Reports.h"
#include "check/ScenarioRunner.h"
#include "check/SpeechSynth.h"
#include "tts/EspeakTts.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QUrl>

#include <cstdio>
#include <unistd.h>

using namespace pacelab;
using namespace pacelab::check;
using namespace pacelab::app;

namespace {

const QString kCommand = QStringLiteral("check");

void scaleDurations(Durations &d, double f)
{
    d.s1Sec *= f;
    d.s2Sec *= f;
    d.s3Sec *= f;
    d.s4Sec *= f;
    d.s5SecPerRate *= f;
    d.s6Sec *= f;
    d.e2MinSpeechSec *= f;
    d.e3Sec *= f;
    d.botSec *= f;
}

QString scenarioLine(const ScenarioResult &r)
{
    return QStringLiteral("%1 %2  %3  %4 s  %5")
        .arg(r.id, -3)
        .arg(r.title, -22)
        .arg(verdictName(r.verdict), -7)
        .arg(r.durationSec, 5, 'f', 1)
        .arg(r.reason);
}

struct CheckOptions
{
    CheckConfig cfg;
    QStringList ids;
    QString junit, json, html; // report paths, empty = none
    bool quiet = false;
    bool verbose = false;
    QString helpText; // --help, or the --list output
};

Parse parseCheckOptions(const QStringList &args, CheckOptions *o, QString *usageText)
{
    auto usage = [usageText](const QString &message) {
        *usageText = withTryHelp(kCommand, message);
        return Parse::Usage;
    };
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs the pre-deploy checklist: S1-S6 (stability), E1-E3 (end to end) against PaceLab's sender and the "
        "built-in Twilio emulator, or B1-B5 (test-your-bot) against a bot with --bot.\n"
        "Exit code: 0 all passed, 1 something failed, 2 bad usage."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("scenario"), QStringLiteral("Scenarios to run, comma-separated (S1..S6, E1..E3, B1..B5)."), QStringLiteral("ids")});
    parser.addOption({QStringLiteral("all"), QStringLiteral("Run every scenario that fits the target (default: S1-S6,E1-E3; with --bot: B1-B5).")});
    parser.addOption({QStringLiteral("list"), QStringLiteral("List the scenarios and exit.")});
    parser.addOption({QStringLiteral("target"), QStringLiteral("PaceLab's sender connects to this peer instead of the built-in emulator."), QStringLiteral("ws://...")});
    parser.addOption({QStringLiteral("listen"), QStringLiteral("PaceLab's sender listens here like a bot; the peer (Twilio, pacelab emulate) connects."), QStringLiteral("host:port")});
    parser.addOption({QStringLiteral("bot"), QStringLiteral("Test-your-bot: the built-in emulator calls this bot."), QStringLiteral("ws://...")});
    parser.addOption({QStringLiteral("ca-file"), QStringLiteral("Trust this PEM CA for wss:// (with --target)."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("junit"), QStringLiteral("Write a JUnit XML report."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Write a JSON report with every figure."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("html"), QStringLiteral("Write a self-contained HTML report with charts."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("quiet"), QStringLiteral("Print only the summary and failures.")});
    parser.addOption({QStringLiteral("verbose"), QStringLiteral("Also print the engine's and emulator's log lines.")});
    parser.addOption({QStringLiteral("scale"), QStringLiteral("Multiply scenario durations (0.1..10; default 1). Shorter runs judge less."), QStringLiteral("factor")});
    parser.addOption({QStringLiteral("break"), QStringLiteral("Deliberately broken configuration, to see the checklist fail: ")
                                                   + BrokenTwins::allNames().join(QStringLiteral(", ")),
                      QStringLiteral("list")});
    // The protocol every scenario speaks: engine, emulator, reference bots and judges.
    addProviderOption(parser);

    if (const Parse p = parseCommandLine(parser, kCommand, args, &o->helpText, usageText); p != Parse::Run) {
        if (p == Parse::Help)
            o->helpText.replace(0, o->helpText.indexOf(QLatin1Char('\n')), QStringLiteral("Usage: pacelab check [options]"));
        return p;
    }
    if (!parser.positionalArguments().isEmpty())
        return usage(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));

    if (parser.isSet(QStringLiteral("list"))) {
        for (const ScenarioInfo &i : ScenarioRunner::available())
            o->helpText += QStringLiteral("%1  %2 (~%3 s)\n    %4\n").arg(i.id, i.title).arg(qRound(i.expectedDurationSec)).arg(i.whatItChecks);
        return Parse::Help; // the list is printed like help: on stdout, exit 0
    }

    CheckConfig &cfg = o->cfg;
    QString error;
    // Target mode: at most one of --target / --listen / --bot.
    QStringList targets;
    for (const char *t : {"target", "listen", "bot"})
        if (parser.isSet(QLatin1String(t)))
            targets << QStringLiteral("--%1").arg(QLatin1String(t));
    if (targets.size() > 1)
        return usage(QStringLiteral("conflicting targets: %1 (choose one)").arg(targets.join(QStringLiteral(" and "))));
    if (!readProviderOption(parser, &cfg.provider, &error))
        return usage(error);
    if (parser.isSet(QStringLiteral("target"))) {
        cfg.mode = TargetMode::Target;
        if (!parseWebSocketUrl(QStringLiteral("target"), parser.value(QStringLiteral("target")), &cfg.targetUrl, &error))
            return usage(error);
    } else if (parser.isSet(QStringLiteral("listen"))) {
        cfg.mode = TargetMode::Listen;
        if (!parseHostPort(QStringLiteral("listen"), parser.value(QStringLiteral("listen")), 1, &cfg.listenAddress, &cfg.listenPort, &error))
            return usage(error);
    } else if (parser.isSet(QStringLiteral("bot"))) {
        cfg.mode = TargetMode::Bot;
        if (!parseWebSocketUrl(QStringLiteral("bot"), parser.value(QStringLiteral("bot")), &cfg.botUrl, &error))
            return usage(error);
    }
    if (parser.isSet(QStringLiteral("ca-file"))) {
        cfg.caFile = parser.value(QStringLiteral("ca-file"));
        if (!QFileInfo(cfg.caFile).isReadable())
            return usage(QStringLiteral("--ca-file: cannot read '%1'").arg(cfg.caFile));
    }
    if (parser.isSet(QStringLiteral("break"))
        && !BrokenTwins::parse(parser.value(QStringLiteral("break")), &cfg.broken, &error))
        return usage(error);
    if (parser.isSet(QStringLiteral("scale"))) {
        double f = 1;
        if (!parseNumber(QStringLiteral("scale"), parser.value(QStringLiteral("scale")), 0.1, 10, &f, &error, QStringLiteral("a factor")))
            return usage(error);
        scaleDurations(cfg.durations, f);
    }

    // Scenarios.
    if (parser.isSet(QStringLiteral("scenario")) && parser.isSet(QStringLiteral("all")))
        return usage(QStringLiteral("use either --scenario or --all, not both"));
    QStringList &ids = o->ids;
    if (parser.isSet(QStringLiteral("scenario"))) {
        for (const QString &v : parser.values(QStringLiteral("scenario")))
            for (const QString &p : v.split(QLatin1Char(','), Qt::SkipEmptyParts))
                ids << p.trimmed().toUpper();
        if (ids.isEmpty())
            return usage(QStringLiteral("--scenario wants a comma-separated list such as S2,E1"));
    } else if (cfg.mode == TargetMode::Bot) {
        ids = ScenarioRunner::botIds();
    } else if (parser.isSet(QStringLiteral("all")) && cfg.mode == TargetMode::Embedded) {
        ids = ScenarioRunner::defaultIds() + ScenarioRunner::botIds(); // B set vs the reference bot
    } else {
        ids = ScenarioRunner::defaultIds();
    }
    const QString notApplicable = ScenarioRunner::checkApplicable(ids, cfg);
    if (!notApplicable.isEmpty())
        return usage(notApplicable);

    // Reports: fail now, not after minutes of scenarios.
    const QString junit = o->junit = parser.value(QStringLiteral("junit"));
    const QString json = o->json = parser.value(QStringLiteral("json"));
    const QString html = o->html = parser.value(QStringLiteral("html"));
    for (const auto &[opt, path] : {std::pair{"junit", junit}, std::pair{"json", json}, std::pair{"html", html}}) {
        if (parser.isSet(QLatin1String(opt)) && !checkWritable(path, &error))
            return usage(QStringLiteral("--%1: %2").arg(QLatin1String(opt), error));
    }

    o->quiet = parser.isSet(QStringLiteral("quiet"));
    o->verbose = parser.isSet(QStringLiteral("verbose")) && !o->quiet;
    return Parse::Run;
}

struct CheckRun
{
    QList<ScenarioResult> results;
    QDateTime started;
    double totalSec = 0;
};

// Runs the scenarios; progress (a line per scenario, or a live line on a terminal) is printed as
// they go.
CheckRun runCheck(const CheckOptions &o)
{
    const bool tty = isatty(fileno(stdout)) == 1;

    ScenarioRunner runner;
    runner.setSpeechSynthFactory([] { return std::make_unique<SpeechSynthAdapter<tts::EspeakTts>>(); });
    QHash<QString, QString> titles;
    for (const ScenarioInfo &i : ScenarioRunner::available(o.cfg.durations))
        titles.insert(i.id, i.title);

    if (!o.quiet) {
        out() << "PaceLab checklist: " << o.ids.join(QLatin1Char(',')) << " — " << o.cfg.describeTarget() << "\n";
        if (o.cfg.provider != provider::Id::Twilio)
            out() << "provider: " << describeProvider(o.cfg.provider) << "\n";
        if (o.cfg.broken.any())
            out() << "deliberately broken: " << o.cfg.broken.names().join(QStringLiteral(", ")) << "\n";
        out().flush();
    }
    QObject::connect(&runner, &ScenarioRunner::scenarioStarted, [&](const QString &id) {
        if (!o.quiet && !tty) {
            double expected = 0;
            for (const ScenarioInfo &i : ScenarioRunner::available(o.cfg.durations))
                if (i.id == id)
                    expected = i.expectedDurationSec;
            out() << id << " " << titles.value(id) << ": running (about " << qRound(expected) << " s)\n";
            out().flush();
        }
    });
    QObject::connect(&runner, &ScenarioRunner::progress, [&](const QString &id, double elapsed, double expected) {
        if (o.quiet || !tty)
            return;
        out() << QStringLiteral("\r\033[K%1 %2  %3 / %4 s").arg(id, titles.value(id)).arg(elapsed, 0, 'f', 1).arg(expected, 0, 'f', 0);
        out().flush();
    });
    QObject::connect(&runner, &ScenarioRunner::scenarioFinished, [&](const ScenarioResult &r) {
        if (o.quiet)
            return;
        if (tty)
            out() << "\r\033[K";
        out() << scenarioLine(r) << "\n";
        out().flush();
    });
    QObject::connect(&runner, &ScenarioRunner::logMessage, [&](const QString &level, const QString &text) {
        if (!o.verbose)
            return;
        if (tty)
            out() << "\r\033[K";
        out() << "  [" << level << "] " << text << "\n";
        out().flush();
    });

    CheckRun res;
    res.started = QDateTime::currentDateTime();
    QElapsedTimer clock;
    clock.start();
    QObject::connect(&runner, &ScenarioRunner::allFinished, [&](const QList<ScenarioResult> &r) {
        res.results = r;
        QCoreApplication::quit();
    });
    runner.run(o.ids, o.cfg);
    QCoreApplication::exec();

    res.totalSec = clock.nsecsElapsed() / 1e9;
    return res;
}

// The reports, the failures (--quiet) and the summary line; returns the exit code.
int printCheck(const CheckOptions &o, const CheckRun &r)
{
    const ReportMeta meta = ReportMeta::from(o.cfg, r.started, r.totalSec);
    int rc = ExitOk;
    const ReportCounts counts = ReportCounts::of(r.results);
    if (counts.failed > 0 || counts.errors > 0 || counts.passed == 0)
        rc = ExitFailed;
    for (const auto &[kind, path] : {std::pair{"JUnit", o.junit}, std::pair{"JSON", o.json}, std::pair{"HTML", o.html}}) {
        if (path.isEmpty())
            continue;
        QString error;
        bool ok = false;
        if (qstrcmp(kind, "JUnit") == 0)
            ok = writeJUnit(r.results, path, &error, meta);
        else if (qstrcmp(kind, "JSON") == 0)
            ok = writeJson(r.results, path, &error, meta);
        else
            ok = writeHtml(r.results, path, &error, meta);
        if (!ok) {
            err() << "pacelab check: " << error << "\n";
            rc = ExitFailed;
        } else if (!o.quiet) {
            out() << kind << " report: " << path << "\n";
        }
    }
    if (o.quiet) {
        for (const ScenarioResult &sr : r.results)
            if (sr.verdict == Verdict::Fail || sr.verdict == Verdict::Error)
                out() << scenarioLine(sr) << "\n";
    }
    out() << QStringLiteral("%1: %2 passed, %3 failed, %4 errors, %5 skipped of %6 in %7 s\n")
                 .arg(rc == ExitOk ? QStringLiteral("PASS") : QStringLiteral("FAIL"))
                 .arg(counts.passed).arg(counts.failed).arg(counts.errors).arg(counts.skipped).arg(counts.total)
                 .arg(r.totalSec, 0, 'f', 1);
    out().flush();
    return rc;
}

int checkCommand(const QStringList &args)
{
    return runCommand(kCommand, args, parseCheckOptions, [](const CheckOptions &o) { return printCheck(o, runCheck(o)); });
}

} // namespace

PACELAB_COMMAND(reg, "check", "Run the pre-deploy checklist (JUnit/JSON/HTML reports; exit 0 = all pass)", checkCommand);
