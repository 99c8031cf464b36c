// Every command-line input of every command, given a bad value: the program exits 2 (usage,
// unreadable input) with one line naming the option or file and the problem, never crashes and
// never starts a run it cannot finish. This table backs the CLI rows of docs/robustness.md;
// the per-command tests (tst_cli_headless, tst_cli_check, tst_emulator_cli, tst_replay) cover
// the good paths.
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QtTest>

class TestCliBadInput final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    // Files every row can point at: empty, binary, text that is not what the command reads,
    // a directory, and a "directory" that is a regular file (so nothing can be created below it,
    // even as root).
    void makeFiles()
    {
        auto write = [&](const QString &name, const QByteArray &data) {
            QFile f(path(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(data);
        };
        write(QStringLiteral("empty.bin"), {});
        QByteArray binary;
        for (int i = 0; i < 65536; ++i)
            binary.append(char((i * 7919 + 13) & 0xff));
        write(QStringLiteral("binary.bin"), binary);
        write(QStringLiteral("prose.txt"), "Dear diary,\nno metrics here.\n");
        write(QStringLiteral("notadir"), "a file where a directory is expected\n");
        write(QStringLiteral("bad.pem"), "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        write(QStringLiteral("huge-line.log"), QByteArray(4 * 1024 * 1024, 'x') + "\n");
        QVERIFY(QDir(m_dir.path()).mkdir(QStringLiteral("adir")));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(QStringLiteral(PACELAB_BINARY)), PACELAB_BINARY);
        makeFiles();
    }

    void rejected_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString unwritable = path(QStringLiteral("notadir/out"));
        const QString bot = QStringLiteral("ws://127.0.0.1:9/");
        auto row = [](const char *name, QStringList args, const QString &message) {
            QTest::newRow(name) << args << message;
        };

        // pacelab --headless
        const QString h = QStringLiteral("--headless");
        row("headless duration negative", {h, "--duration", "-5"}, "--duration");
        row("headless duration huge", {h, "--duration", "1e12"}, "--duration");
        row("headless duration nan", {h, "--duration", "nan"}, "--duration");
        row("headless tone-hz 0", {h, "--tone-hz", "0"}, "--tone-hz");
        row("headless tone-hz above Nyquist", {h, "--tone-hz", "99999"}, "--tone-hz");
        row("headless level positive", {h, "--level", "50"}, "--level");
        row("headless level text", {h, "--level", "loud"}, "--level");
        row("headless streams 0", {h, "--streams", "0", "--target", "ws://127.0.0.1:9/"}, "--streams");
        row("headless streams huge", {h, "--streams", "1e9", "--target", "ws://127.0.0.1:9/"}, "--streams");
        row("headless streams fraction", {h, "--streams", "2.5", "--target", "ws://127.0.0.1:9/"}, "--streams");
        row("headless streams without target", {h, "--streams", "3"}, "--streams needs --target");
        row("headless streams with listen", {h, "--streams", "3", "--target", "ws://127.0.0.1:9/", "--listen", "127.0.0.1:8080"}, "exclude");
        row("headless streams with tts", {h, "--streams", "3", "--target", "ws://127.0.0.1:9/", "--source", "silence"}, "--source silence");
        row("headless source unknown", {h, "--source", "kazoo"}, "--source");
        row("headless file empty", {h, "--source", "file", "--file", path("empty.bin")}, "empty.bin");
        row("headless file binary", {h, "--source", "file", "--file", path("binary.bin")}, "binary.bin");
        row("headless file directory", {h, "--source", "file", "--file", path("adir")}, "adir");
        row("headless target no host", {h, "--target", "ws://"}, "--target");
        row("headless target scheme", {h, "--target", "ftp://127.0.0.1:9/"}, "--target");
        row("headless target port 0", {h, "--target", "ws://127.0.0.1:0/"}, "--target");
        row("headless listen port", {h, "--listen", "127.0.0.1:99999"}, "--listen");
        row("headless listen garbage", {h, "--listen", ":::"}, "--listen");
        row("headless capture unwritable", {h, "--capture", unwritable}, "notadir");
        row("headless json unwritable", {h, "--json", unwritable}, "notadir");
        row("headless telemetry unwritable", {h, "--telemetry-jsonl", unwritable}, "notadir");

        // pacelab emulate
        const QString e = QStringLiteral("emulate");
        row("emulate no peer", {e}, "--listen");
        row("emulate tone negative", {e, "--bot", bot, "--tone", "-3"}, "--tone");
        row("emulate barge-in-ms", {e, "--bot", bot, "--barge-in-at", "1", "--barge-in-ms", "-1"}, "--barge-in-ms");
        row("emulate barge-in-at text", {e, "--bot", bot, "--barge-in-at", "soon"}, "--barge-in-at");
        row("emulate jitter buffer huge", {e, "--bot", bot, "--jitter-buffer-ms", "99999999"}, "--jitter-buffer-ms");
        row("emulate header", {e, "--bot", bot, "--header", "nocolon"}, "--header");
        row("emulate caller binary", {e, "--bot", bot, "--caller", path("binary.bin")}, "binary.bin");
        row("emulate caller empty", {e, "--bot", bot, "--caller", path("empty.bin")}, "empty.bin");
        row("emulate barge-in-file missing", {e, "--bot", bot, "--barge-in-at", "1", "--barge-in-file", path("none.wav")}, "none.wav");
        row("emulate ca-file missing", {e, "--bot", bot, "--ca-file", path("none.pem")}, "none.pem");
        row("emulate record unwritable", {e, "--bot", bot, "--record", unwritable}, "notadir");
        row("emulate capture unwritable", {e, "--bot", bot, "--capture", unwritable}, "notadir");
        row("emulate stream-sid empty", {e, "--bot", bot, "--stream-sid", ""}, "--stream-sid");

        // pacelab check
        const QString c = QStringLiteral("check");
        row("check scenario unknown", {c, "--scenario", "Z9"}, "Z9");
        row("check scale zero", {c, "--scale", "0"}, "--scale");
        row("check scale text", {c, "--scale", "fast"}, "--scale");
        row("check break unknown", {c, "--break", "nonsense"}, "nonsense");
        row("check bot scheme", {c, "--bot", "http://x"}, "--bot");
        row("check target and bot", {c, "--target", bot, "--bot", bot}, "--target");
        row("check junit unwritable", {c, "--scenario", "E1", "--junit", unwritable}, "notadir");
        row("check html unwritable", {c, "--scenario", "E1", "--html", unwritable}, "notadir");
        row("check json unwritable", {c, "--scenario", "E1", "--json", unwritable}, "notadir");
        row("check ca-file missing", {c, "--ca-file", path("none.pem")}, "none.pem");

        // pacelab replay
        const QString r = QStringLiteral("replay");
        row("replay no file", {r}, "missing FILE");
        row("replay missing", {r, path("none.jsonl")}, "no such file");
        row("replay directory", {r, path("adir")}, "directory");
        row("replay empty", {r, path("empty.bin")}, "empty");
        row("replay binary", {r, path("binary.bin")}, "binary");
        row("replay prose", {r, path("prose.txt")}, "not a PaceLab capture");
        row("replay huge line", {r, path("huge-line.log")}, "huge-line.log");
        row("replay send scheme", {r, "--send", "ftp://x", path("prose.txt")}, "--send");
        row("replay as-caller scheme", {r, "--as-caller", "http://x", path("prose.txt")}, "--as-caller");
        row("replay json unwritable", {r, "--json", unwritable, path("prose.txt")}, "");

        // pacelab doctor
        const QString d = QStringLiteral("doctor");
        row("doctor no file", {d}, "missing FILE");
        row("doctor missing", {d, path("none.log")}, "no such file");
        row("doctor directory", {d, path("adir")}, "adir");
        row("doctor empty", {d, path("empty.bin")}, "empty");
        row("doctor binary", {d, path("binary.bin")}, "binary");
        row("doctor prose", {d, path("prose.txt")}, "no metric lines");
        row("doctor huge line", {d, path("huge-line.log")}, "no metric lines");
        row("doctor json unwritable", {d, "--json", unwritable, path("prose.txt")}, "");

        // Unknown words anywhere
        row("unknown command", {"frobnicate"}, "unknown command");
        row("unknown option", {"--frobnicate"}, "frobnicate");
        row("unknown emulate option", {e, "--frobnicate"}, "frobnicate");
        row("unknown check option", {c, "--frobnicate"}, "frobnicate");
        row("unknown replay option", {r, "--frobnicate"}, "frobnicate");
        row("unknown doctor option", {d, "--frobnicate"}, "frobnicate");
    }

    void rejected()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(PACELAB_BINARY), args);
        // Generous: only a hang (a run started that should not have been) fails this.
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished();
            QFAIL("still running after 60 s: a bad input started a run");
        }
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitStatus(), QProcess::NormalExit); // no crash, no abort
        QVERIFY2(p.exitCode() == 2, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(p.exitCode()).arg(err)));
        QVERIFY2(err.contains(message), qPrintable(err));
        QVERIFY2(!err.trimmed().isEmpty(), "no message on stderr");
    }
};

QTEST_GUILESS_MAIN(TestCliBadInput)
#include "tst_cli_badinput.moc"
