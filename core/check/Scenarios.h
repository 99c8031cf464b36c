#pragma once

#include "CheckTypes.h"
#include "Scenario.h"

#include <QList>
#include <QString>

// The catalog of checklist scenarios and their factory (implemented across
// SenderScenarios.cpp, SpeechScenarios.cpp and BotScenarios.cpp).
namespace pacelab::check {

// Every scenario, in checklist order, with expected durations for the given settings.
QList<ScenarioInfo> scenarioCatalog(const Durations &d = {});
// nullptr for an unknown id.
Scenario *createScenario(const QString &id, const RunContext &ctx, QObject *parent = nullptr);

// Factories per file (the catalog dispatches to them).
Scenario *createSenderScenario(const ScenarioInfo &info, const RunContext &ctx, QObject *parent);
Scenario *createSpeechScenario(const ScenarioInfo &info, const RunContext &ctx, QObject *parent);
Scenario *createBotScenario(const ScenarioInfo &info, const RunContext &ctx, QObject *parent);

} // namespace pacelab::check
