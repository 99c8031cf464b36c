#pragma once
// The log doctor moved to core/doctor/ (issue 12); this keeps older includes working.
#include "doctor/LogDoctor.h"
