#include "MainWindow.h"

#include <QLabel>
#include <QStatusBar>

namespace pacelab::ui {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("PaceLab"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/pacelab.svg")));
    auto *label = new QLabel(tr("PaceLab — outbound audio pacing lab"), this);
    label->setAlignment(Qt::AlignCenter);
    setCentralWidget(label);
    statusBar()->showMessage(tr("Ready"));
    resize(1280, 800);
}

} // namespace pacelab::ui
