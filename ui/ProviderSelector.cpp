#include "ProviderSelector.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSettings>

namespace pacelab::ui {

ProviderSelector::ProviderSelector(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("providerSelectorBox"));
    auto *label = new QLabel(tr("Provider:"), this);
    m_combo = new QComboBox(this);
    m_combo->setObjectName(QStringLiteral("providerSelector"));
    for (provider::Id id : provider::allIds()) {
        const provider::Profile &p = provider::profile(id);
        m_combo->addItem(shortName(id), int(id));
        m_combo->setItemData(m_combo->count() - 1, QStringLiteral("%1 — %2").arg(p.displayName(), wireText(id)), Qt::ToolTipRole);
    }
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_combo->setAccessibleName(tr("Provider (media-stream protocol)"));
    m_combo->setToolTip(tr("The protocol the live session, the checklist and the Load page speak (--provider). "
                           "Replay reads the protocol from the capture."));
    label->setBuddy(m_combo);
    m_description = new QLabel(this);
    m_description->setObjectName(QStringLiteral("providerDescription"));
    m_description->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->setSpacing(6);
    layout->addWidget(label);
    layout->addWidget(m_combo);
    layout->addWidget(m_description);
    connect(m_combo, &QComboBox::currentIndexChanged, this, [this] {
        showDescription();
        Q_EMIT providerChanged(provider());
    });
    showDescription();
}

provider::Id ProviderSelector::provider() const
{
    return provider::Id(m_combo->currentData().toInt());
}

void ProviderSelector::setProvider(provider::Id id)
{
    const int index = m_combo->findData(int(id));
    if (index >= 0)
        m_combo->setCurrentIndex(index);
}

QString ProviderSelector::descriptionText() const
{
    return m_description->text();
}

void ProviderSelector::showDescription()
{
    const provider::Id id = provider();
    m_description->setText(wireText(id));
    m_description->setToolTip(QStringLiteral("%1: %2").arg(provider::profile(id).displayName(), wireText(id)));
    m_description->setAccessibleName(describe(id));
}

QString ProviderSelector::shortName(provider::Id id)
{
    QString n = provider::name(id);
    if (!n.isEmpty())
        n[0] = n[0].toUpper();
    return n;
}

QString ProviderSelector::wireText(provider::Id id)
{
    const provider::Profile &p = provider::profile(id);
    return QStringLiteral("%1, %2").arg(p.outboundFormat().describe(),
                                        p.outboundAudioIsBinary() ? tr("binary") : tr("JSON"));
}

QString ProviderSelector::describe(provider::Id id)
{
    return QStringLiteral("%1: %2").arg(shortName(id), wireText(id));
}

QString ProviderSelector::compactText(provider::Id id)
{
    const provider::Profile &p = provider::profile(id);
    const MediaFormat f = p.outboundFormat();
    return QStringLiteral("%1 (%2 kHz %3, %4 ms, %5)")
        .arg(shortName(id), QString::number(f.sampleRate / 1000.0, 'g', 3), f.encodingName())
        .arg(f.frameMs)
        .arg(p.outboundAudioIsBinary() ? tr("binary") : tr("JSON"));
}

QString ProviderSelector::settingsKey()
{
    return QStringLiteral("session/provider");
}

provider::Id ProviderSelector::loadSaved(const QSettings &settings, QString *problem)
{
    problem->clear();
    if (!settings.contains(settingsKey()))
        return provider::Id::Twilio;
    const QString text = settings.value(settingsKey()).toString().trimmed();
    if (const std::optional<provider::Id> id = provider::idFromName(text))
        return *id;
    *problem = tr("the saved provider '%1' (%2) is not one of %3: using Twilio")
                   .arg(text.left(40), settingsKey(), provider::namesJoined());
    return provider::Id::Twilio;
}

void ProviderSelector::save(QSettings &settings, provider::Id id)
{
    settings.setValue(settingsKey(), provider::name(id));
}

} // namespace pacelab::ui
