#include "TimeSeriesPlot.h"

#include <QPixmap>

namespace pacelab::ui {

bool TimeSeriesPlot::exportPng(const QString &path, QString *error) const
{
    const QPixmap pix = const_cast<TimeSeriesPlot *>(this)->grab();
    if (pix.isNull() || !pix.save(path, "PNG")) {
        if (error)
            *error = tr("could not write the PNG file %1").arg(path);
        return false;
    }
    return true;
}

} // namespace pacelab::ui
