// pacelab-bench: micro-benchmarks. Each prints its figures next to a baseline measured in the
// same run; sub-benchmarks register in Benchmarks.h.
#include "Benchmarks.h"

#include <QApplication>
#include <QCoreApplication>
#include <QTextStream>

#include <memory>

int main(int argc, char *argv[])
{
    // Widgets only for the benchmarks that draw (plotcost): the others run without a display.
    bool gui = false;
    if (argc >= 2)
        for (const auto &b : pacelab::bench::benchmarks())
            if (b.name == QLatin1String(argv[1]))
                gui = b.gui == pacelab::bench::NeedsGui::Yes;
    if (gui && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY")
        && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    std::unique_ptr<QCoreApplication> app(gui ? new QApplication(argc, argv) : new QCoreApplication(argc, argv));
    const QStringList args = app->arguments();
    QTextStream out(stdout);
    if (args.size() < 2 || args[1] == QLatin1String("--help") || args[1] == QLatin1String("-h")) {
        out << "usage: pacelab-bench NAME [options]\nbenchmarks:\n";
        for (const auto &b : pacelab::bench::benchmarks())
            out << "  " << b.name << "  " << b.summary << "\n";
        return args.size() < 2 ? 2 : 0;
    }
    for (const auto &b : pacelab::bench::benchmarks())
        if (b.name == args[1])
            return b.run(args.mid(2));
    QTextStream(stderr) << "pacelab-bench: unknown benchmark '" << args[1] << "'\n";
    return 2;
}
