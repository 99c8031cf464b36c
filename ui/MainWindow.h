#pragma once

#include <QMainWindow>

namespace pacelab::ui {

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
};

} // namespace pacelab::ui
